import Foundation
import DeepGenKernels

/// One node of the define-by-run graph: the tensors an op read (with their own nodes) and its
/// vector-Jacobian product, written with tensor ops so gradients of gradients work.
final class AutogradNode {
    /// The op's name, for error messages.
    let op: String
    /// The op's differentiable inputs; `nil` where an input does not require gradients.
    private(set) var inputs: [AutogradNode?]
    /// Maps the gradient of the op's output to the gradients of its inputs (same order as `inputs`).
    private(set) var backward: ((Tensor) -> [Tensor?])?
    /// Set when a pass with `releasingGraph` dropped `backward` (and with it the tensors it saved).
    private(set) var isReleased = false

    /// Whether the `gradients` pass running on this thread skips this node: it leads to none of
    /// the pass's wanted inputs (``Tensor/needsGradient``). Kept per thread and per pass, not in
    /// the node, so passes over graphs that share parameters may run on several threads at once.
    var skipsGradient: Bool { GradientPass.skipped?.contains(ObjectIdentifier(self)) ?? false }

    init(op: String, inputs: [AutogradNode?], backward: ((Tensor) -> [Tensor?])?) {
        self.op = op
        self.inputs = inputs
        self.backward = backward
    }

    /// Drops the saved tensors once a pass has used them, as PyTorch's `backward()` does without
    /// `retain_graph`: a training step's parameters then have one owner again and the optimizer
    /// can update them in place.
    func release() {
        backward = nil
        isReleased = true
    }

    /// Frees a long chain iteratively: plain release would recurse once per node and overflow
    /// the stack on graphs hundreds of thousands of ops deep.
    deinit {
        backward = nil
        var stack = inputs.compactMap { $0 }
        inputs = []
        while var node = stack.popLast() {
            guard isKnownUniquelyReferenced(&node) else { continue }
            node.backward = nil
            stack.append(contentsOf: node.inputs.compactMap { $0 })
            node.inputs = []
        }
    }
}

/// Whether operations record the autograd graph. Per thread: each thread that builds graphs
/// (a training loop, a test) has its own no-grad depth; kernels' worker threads never record.
public enum GradMode {
    private final class Depth { var value = 0 }
    private static let perThread = PerThread { Depth() }
    private static var depth: Depth { perThread.value }

    /// `true` unless inside ``withoutGrad(_:)`` on this thread.
    public static var isEnabled: Bool { depth.value == 0 }

    static func enter() { depth.value += 1 }
    static func exit() { depth.value -= 1 }
}

/// Runs `body` without recording the autograd graph (like `torch.no_grad()`).
public func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
    GradMode.enter()
    defer { GradMode.exit() }
    return try body()
}

extension Tensor {
    /// Whether this tensor tracks gradients.
    public var requiresGrad: Bool { node != nil }

    /// Whether the running backward pass wants this tensor's gradient: it tracks gradients and
    /// leads to one of the pass's inputs (a discriminator's weights do not, in the generator's
    /// step). Backward closures test this; recording still follows ``requiresGrad``.
    var needsGradient: Bool { node.map { !$0.skipsGradient } ?? false }

    /// The shape and graph node of this tensor without its values, for backward closures that
    /// need no more: capturing the tensor itself would keep its storage alive with the graph.
    var gradientSlot: GradientSlot { GradientSlot(shape: shape, node: node) }

    /// This tensor as a new leaf of the graph that tracks gradients (a parameter).
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        var t = self
        t.node = flag ? AutogradNode(op: "leaf", inputs: [], backward: nil) : nil
        return t
    }

    /// The same values, cut from the graph.
    public func detached() -> Tensor {
        var t = self
        t.node = nil
        return t
    }

    /// Attaches a graph node to `result` when recording is on and some input requires gradients.
    /// `backward` maps the output gradient to one gradient (or `nil`) per input.
    static func record(
        _ op: String, _ result: Tensor, inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]
    ) -> Tensor {
        OpProfiler.recorded(op, shape: result.shape)
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return result }
        var out = result
        out.node = AutogradNode(op: op, inputs: inputs.map { $0.node }, backward: backward)
        return out
    }
}

/// The gradients of a scalar `output` with respect to each of `inputs` (zeros for an input it does
/// not depend on).
///
/// - Parameters:
///   - output: A one-element tensor (the loss).
///   - inputs: Tensors that require gradients (parameters or intermediate values).
///   - seed: The gradient of the output; defaults to one.
///   - createGraph: Record the backward pass itself so the returned gradients can be
///     differentiated again (a gradient penalty needs this).
///   - releasingGraph: Free each node's saved tensors once the pass has used them (PyTorch's
///     default, `retain_graph=False`). A later pass through a freed node stops with an error
///     naming the op instead of returning wrong gradients.
///   - whenFinal: Called with `(i, gradient)` as soon as the gradient of `inputs[i]` is complete
///     (every op that uses it has passed its share back), while the pass goes on with the rest:
///     a data-parallel run starts summing a network's last layers over the processes while the
///     first are still being differentiated (PyTorch's DDP hooks). Inputs the pass never reaches
///     are reported at its end. Not with `createGraph`.
public func gradients(
    of output: Tensor, with inputs: [Tensor], seed: Tensor? = nil, createGraph: Bool = false,
    releasingGraph: Bool = false, whenFinal: ((Int, Tensor) -> Void)? = nil
) -> [Tensor] {
    precondition(seed != nil || output.count == 1,
                 "[gradients] output of shape \(output.shape) is not a scalar; pass a seed gradient")
    precondition(!(createGraph && releasingGraph), "[gradients] createGraph needs the graph kept; do not release it")
    precondition(!(createGraph && whenFinal != nil), "[gradients] whenFinal reports finished gradients, which a recorded pass does not make")
    OpProfiler.charge(.other, "between the forward ops and the backward pass")
    guard let root = output.node else {
        let zeros = inputs.map { $0.zerosLike() }
        if let whenFinal { for (i, z) in zeros.enumerated() { whenFinal(i, z) } }
        return zeros
    }

    // Iterative post-order DFS: no recursion limit on deep graphs.
    var order: [AutogradNode] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(AutogradNode, Bool)] = [(root, false)]
    while let (node, expanded) = stack.popLast() {
        if expanded { order.append(node); continue }
        if !visited.insert(ObjectIdentifier(node)).inserted { continue }
        stack.append((node, true))
        for case let input? in node.inputs where !visited.contains(ObjectIdentifier(input)) {
            stack.append((input, false))
        }
    }

    let wanted = Set(inputs.compactMap { $0.node.map(ObjectIdentifier.init) })
    // Nodes from which no wanted input can be reached need no gradient (post-order: inputs first).
    var leads = Set<ObjectIdentifier>(), skipped = Set<ObjectIdentifier>()
    for node in order {
        let id = ObjectIdentifier(node)
        if wanted.contains(id) || node.inputs.contains(where: { $0.map { leads.contains(ObjectIdentifier($0)) } ?? false }) {
            leads.insert(id)
        } else {
            skipped.insert(id)
        }
    }
    let outerPass = GradientPass.skipped
    GradientPass.skipped = skipped
    defer { GradientPass.skipped = outerPass }
    var grads: [ObjectIdentifier: Tensor] = [:]
    grads[ObjectIdentifier(root)] = seed ?? Tensor(repeating: 1, shape: output.shape)

    // For whenFinal: how many ops that the pass runs still owe each wanted input its share.
    var owed: [ObjectIdentifier: Int] = [:]
    var indicesOf: [ObjectIdentifier: [Int]] = [:]
    var reported = Set<Int>()
    if whenFinal != nil {
        for (i, t) in inputs.enumerated() { if let n = t.node { indicesOf[ObjectIdentifier(n), default: []].append(i) } }
        for node in order where !skipped.contains(ObjectIdentifier(node)) && node.backward != nil {
            for case let input? in node.inputs where indicesOf[ObjectIdentifier(input)] != nil { owed[ObjectIdentifier(input), default: 0] += 1 }
        }
    }
    func report(_ key: ObjectIdentifier) {
        guard let whenFinal, let indices = indicesOf[key], let g = grads[key] else { return }
        for i in indices where reported.insert(i).inserted {
            precondition(g.shape == inputs[i].shape, "[gradients] gradient shape \(g.shape) != input shape \(inputs[i].shape)")
            whenFinal(i, g.detached())
        }
    }

    OpProfiler.charge(.backward, "graph order")
    let outerInBackward = OpProfiler.inBackward
    OpProfiler.inBackward = true
    defer { OpProfiler.inBackward = outerInBackward }
    func run() {
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            guard !skipped.contains(id) else { continue }
            guard let g = grads[id] else {
                // Nothing reached this op: it owes its inputs nothing more.
                if whenFinal != nil, node.backward != nil { settle(node.inputs) }
                continue
            }
            precondition(!node.isReleased, "[gradients] the graph through '\(node.op)' was freed by an earlier pass "
                         + "(a training step's gradients release it); compute the loss again")
            guard let backward = node.backward else { continue }
            // Interior gradients are no longer needed once passed on, unless the caller asked for them.
            if !wanted.contains(id) { grads[id] = nil }
            let inputGrads = backward(g)
            if releasingGraph { node.release() }
            OpProfiler.charge(.backward, node.op, shape: g.shape)
            for (input, ig) in zip(node.inputs, inputGrads) {
                guard let input, let ig else { continue }
                let key = ObjectIdentifier(input)
                if var existing = grads.removeValue(forKey: key) {
                    if createGraph { existing = existing + ig } else { existing.accumulateGradient(ig) }
                    grads[key] = existing
                    OpProfiler.charge(.backward, "sum of gradient shares", shape: ig.shape)
                } else {
                    grads[key] = ig
                }
            }
            if whenFinal != nil { settle(node.inputs) }
        }
    }
    /// One op has passed its share to `inputs`: those it was the last to owe are complete.
    func settle(_ inputs: [AutogradNode?]) {
        for case let input? in inputs {
            let key = ObjectIdentifier(input)
            guard let left = owed[key] else { continue }
            owed[key] = left - 1
            if left == 1 { report(key) }
        }
    }
    if createGraph { run() } else { withoutGrad(run) }

    let result = inputs.map { t -> Tensor in
        guard let n = t.node, let g = grads[ObjectIdentifier(n)] else { return t.zerosLike() }
        precondition(g.shape == t.shape, "[gradients] gradient shape \(g.shape) != input shape \(t.shape)")
        return createGraph ? g : g.detached()
    }
    // Inputs the pass never completed (not reached, or not in the graph), in order.
    if let whenFinal { for i in inputs.indices where !reported.contains(i) { whenFinal(i, result[i]) } }
    return result
}

extension Tensor {
    /// `self = self + share` outside a recorded pass: into this gradient's own buffer when nothing
    /// else holds it and the shapes agree (a residual stream's gradient collects a share from
    /// every block; a new tensor for each sum cost wavenet 2% of its step), else a new sum.
    /// Either way the same additions.
    mutating func accumulateGradient(_ share: Tensor) {
        guard shape == share.shape, node == nil, isKnownUniquelyReferenced(&storage) else {
            self = self + share
            return
        }
        let pa = storage.pointer, pb = UnsafePointer(share.storage.pointer)
        Parallel.forEachChunk(count, minChunk: 1 << 15) { _, r in
            for i in r { pa[i] = pa[i] + pb[i] }
        }
        withExtendedLifetime(share) {}
    }
}

/// An op input as its backward closure sees it when the values are not needed (see
/// ``Tensor/gradientSlot``).
struct GradientSlot {
    let shape: [Int]
    let node: AutogradNode?
    var needsGradient: Bool { node.map { !$0.skipsGradient } ?? false }
}

/// The nodes the running `gradients` pass skips, per thread (`nil` outside a pass).
enum GradientPass {
    private final class State { var skipped: Set<ObjectIdentifier>? }
    private static let perThread = PerThread { State() }
    private static var state: State { perThread.value }

    static var skipped: Set<ObjectIdentifier>? {
        get { state.skipped }
        set { state.skipped = newValue }
    }
}
