import DeepGen

/// The base of every layer and model.
///
/// Parameters, buffers and submodules are found by reflection over stored properties (also in
/// arrays and optionals), and named by dotted paths of their property names converted to
/// snake_case (`convBlock` → `conv_block`): the same names PyTorch's `state_dict` uses for the
/// same architecture, so checkpoints exchange weights with PyTorch.
open class Module {
    /// Whether the module is in training mode (batch statistics, dropout) or evaluation mode.
    public private(set) var isTraining = true

    public init() {}

    /// The direct submodules with their names. Override to name children differently
    /// (``Sequential`` names them `0`, `1`, …).
    open var namedChildren: [(String, Module)] {
        reflectedMembers().compactMap { name, value in (value as? Module).map { (name, $0) } }
    }

    /// Parameters held directly by this module.
    open var localParameters: [(String, Parameter)] {
        reflectedMembers().compactMap { name, value in (value as? Parameter).map { (name, $0) } }
    }

    /// Buffers held directly by this module.
    open var localBuffers: [(String, Buffer)] {
        reflectedMembers().compactMap { name, value in (value as? Buffer).map { (name, $0) } }
    }

    /// Stored properties of this class and its superclasses, with arrays flattened to `name.i`
    /// and optionals unwrapped.
    private func reflectedMembers() -> [(String, Any)] {
        var mirrors: [Mirror] = []
        var m: Mirror? = Mirror(reflecting: self)
        while let current = m { mirrors.insert(current, at: 0); m = current.superclassMirror }
        var out: [(String, Any)] = []
        for mirror in mirrors {
            for child in mirror.children {
                guard let label = child.label else { continue }
                let name = Module.snakeCase(label.hasPrefix("_") ? String(label.dropFirst()) : label)
                Module.flatten(child.value, name: name, into: &out)
            }
        }
        return out
    }

    private static func flatten(_ value: Any, name: String, into out: inout [(String, Any)]) {
        if value is Module || value is Parameter || value is Buffer { out.append((name, value)); return }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            if let wrapped = mirror.children.first { flatten(wrapped.value, name: name, into: &out) }
        case .collection:
            for (i, element) in mirror.children.enumerated() { flatten(element.value, name: "\(name).\(i)", into: &out) }
        default: break
        }
    }

    /// `convBlock` → `conv_block`; names already in snake_case are unchanged.
    static func snakeCase(_ name: String) -> String {
        // ASCII names by bytes: Character's Unicode properties made naming a measurable share of
        // a small model's step (parameters are looked up every step).
        if name.utf8.allSatisfy({ $0 < 0x80 }) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(name.utf8.count + 4)
            for b in name.utf8 {
                if b >= 0x41 && b <= 0x5A {
                    if !bytes.isEmpty { bytes.append(0x5F) }
                    bytes.append(b + 0x20)
                } else {
                    bytes.append(b)
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        var out = ""
        for ch in name {
            if ch.isUppercase { if !out.isEmpty { out.append("_") }; out.append(Character(ch.lowercased())) } else { out.append(ch) }
        }
        return out
    }

    /// Every submodule (this one first) with its dotted path.
    public func namedModules(prefix: String = "") -> [(String, Module)] {
        var out: [(String, Module)] = [(prefix, self)]
        var stack: [(String, Module)] = namedChildren.reversed().map { (Module.join(prefix, $0.0), $0.1) }
        while let (name, module) = stack.popLast() {
            out.append((name, module))
            stack.append(contentsOf: module.namedChildren.reversed().map { (Module.join(name, $0.0), $0.1) })
        }
        return out
    }

    static func join(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }

    /// Every parameter with its dotted name, in declaration order.
    public func namedParameters(trainableOnly: Bool = false) -> [(String, Parameter)] {
        namedModules().flatMap { prefix, m in
            m.localParameters.filter { !trainableOnly || !$0.1.frozen }.map { (Module.join(prefix, $0.0), $0.1) }
        }
    }

    /// Every buffer with its dotted name.
    public func namedBuffers() -> [(String, Buffer)] {
        namedModules().flatMap { prefix, m in m.localBuffers.map { (Module.join(prefix, $0.0), $0.1) } }
    }

    /// The trainable parameters.
    public var parameters: [Parameter] { namedParameters(trainableOnly: true).map(\.1) }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Parameters and buffers by dotted name, like PyTorch's `state_dict()`.
    public func stateDict() -> [String: Tensor] {
        var d: [String: Tensor] = [:]
        for (n, p) in namedParameters() { d[n] = p.value.detached() }
        for (n, b) in namedBuffers() { d[n] = b.value }
        return d
    }

    /// Replaces parameters and buffers from `state`. Every missing, unexpected or mis-shaped
    /// name is reported together; nothing is changed unless all match.
    public func load(stateDict state: [String: Tensor], strict: Bool = true) throws {
        let params = Dictionary(uniqueKeysWithValues: namedParameters())
        let buffers = Dictionary(uniqueKeysWithValues: namedBuffers())
        var problems: [String] = []
        for (name, p) in params {
            guard let t = state[name] else { problems.append("missing \(name) \(p.shape)"); continue }
            if t.shape != p.shape { problems.append("\(name): checkpoint has shape \(t.shape), model expects \(p.shape)") }
        }
        for (name, b) in buffers {
            guard let t = state[name] else { if strict { problems.append("missing \(name) \(b.shape)") }; continue }
            if t.shape != b.shape { problems.append("\(name): checkpoint has shape \(t.shape), model expects \(b.shape)") }
        }
        if strict {
            for name in state.keys.sorted() where params[name] == nil && buffers[name] == nil {
                problems.append("unexpected \(name) \(state[name]!.shape)")
            }
        }
        if !problems.isEmpty { throw StateDictError(problems: problems.sorted()) }
        for (name, p) in params { p.value = state[name]! }
        for (name, b) in buffers { if let t = state[name] { b.value = t.detached() } }
    }

    /// Sets training mode on this module and every submodule.
    public func train(_ on: Bool = true) { for (_, m) in namedModules() { m.isTraining = on } }

    /// Sets evaluation mode on this module and every submodule.
    public func eval() { train(false) }

    /// Freezes (or unfreezes) every parameter.
    public func freeze(_ on: Bool = true) { for (_, p) in namedParameters() { p.frozen = on } }

    /// Calls `body` on this module and every submodule, as PyTorch's `Module.apply`.
    public func apply(_ body: (Module) -> Void) { for (_, m) in namedModules() { body(m) } }

    /// Lends the trainable values to `body` (an optimizer step) as their only owner and writes back
    /// what it leaves: while it runs each parameter holds an empty placeholder, so an update of a
    /// buffer nobody else references is made in place instead of on a copy.
    public func updateTrainable(_ body: (inout [String: Tensor]) -> Void) {
        Module.lend(namedParameters(trainableOnly: true), to: body)
    }

    /// ``updateTrainable(_:)`` over a list from ``namedParameters(trainableOnly:)`` the caller
    /// already has (finding parameters by reflection every step costs a few percent of a small model's step).
    public static func lend(_ params: [(String, Parameter)], to body: (inout [String: Tensor]) -> Void) {
        var values: [String: Tensor] = [:]
        values.reserveCapacity(params.count)
        let shapes = params.map { $0.1.shape }
        for (name, p) in params {
            values[name] = p.value
            p.value = Tensor(zeros: [0])
        }
        body(&values)
        for ((name, p), shape) in zip(params, shapes) {
            guard let v = values[name] else { preconditionFailure("[Module.updateTrainable] the update dropped \(name)") }
            precondition(v.shape == shape, "[Module.updateTrainable] \(name) has shape \(v.shape), expected \(shape)")
            p.value = v
        }
    }
}

/// Loading a state dict found names or shapes that do not match the model.
public struct StateDictError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String {
        "state dict does not match the model (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n  "
            + problems.joined(separator: "\n  ")
    }
}

/// A module with one input and one output.
public protocol Layer: Module {
    func forward(_ x: Tensor) -> Tensor
}

extension Layer {
    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }
}
