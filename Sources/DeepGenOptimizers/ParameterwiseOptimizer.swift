import DeepGen
import Foundation

/// The state one optimizer keeps for one parameter: a step count and named tensors ("slots")
/// of the parameter's shape.
public protocol ParameterState {
    /// Updates applied to this parameter so far.
    var step: Int { get }
    /// The state tensors by slot name, as saved in a checkpoint.
    var slots: [String: Tensor] { get }
    /// Every slot name this state can have.
    static var slotNames: [String] { get }
    /// Rebuilds a state from saved slots.
    ///
    /// - Throws: A message naming a missing slot or inconsistent shapes.
    init(step: Int, slots: [String: Tensor]) throws
}

/// A problem with one parameter's saved slots.
struct SlotError: Error { var message: String }

/// An optimizer whose update is a pure function of one parameter, its gradient and its state,
/// mapped over the named parameters. The protocol supplies `update`, saving and restoring.
///
/// Conforming types encode only their hyperparameters (their `CodingKeys` leave out `states` and
/// `stepCount`), so the hyperparameters travel with the state as JSON.
public protocol ParameterwiseOptimizer: Optimizer, Codable {
    associatedtype State: ParameterState

    /// The name recorded with saved state, so Adam state is never loaded into SGD.
    static var typeName: String { get }
    /// Per-parameter state by parameter name.
    var states: [String: State] { get set }
    var stepCount: Int { get set }

    /// The state before the first update of `parameter`.
    func initialState(for parameter: Tensor) -> State

    /// One update of one parameter: returns the new parameter and state and changes nothing else,
    /// and what was not finite in it (a NaN gradient, an overflowing step), if anything.
    /// Parameter and state are `consuming` so that, when the caller hands over its only copy,
    /// the update writes into their buffers instead of copying them.
    func applySingle(gradient: Tensor, parameter: consuming Tensor, state: consuming State)
        -> (parameter: Tensor, state: State, nonFinite: NonFiniteUpdate?)

    /// ``applySingle(gradient:parameter:state:)`` on each of several parameters (name order)
    /// with each gradient times `gradientScale`, replacing each parameter and state with its
    /// updated one; returns what was not finite in each. The default scales the gradients and
    /// updates the parameters one after another; an optimizer whose elementwise work can cover
    /// them all in one pass over the threads, taking the scale in it, does that instead (the same
    /// results).
    func applyAll(gradients: [Tensor], parameters: inout [Tensor], states: inout [State], gradientScale: Float) -> [NonFiniteUpdate?]
}

extension ParameterwiseOptimizer {
    public func applyAll(gradients: [Tensor], parameters: inout [Tensor], states: inout [State], gradientScale: Float)
        -> [NonFiniteUpdate?] {
        let gradients = gradientScale == 1 ? gradients : gradients.map { $0.scaled(by: gradientScale) }
        var problems: [NonFiniteUpdate?] = []
        for i in gradients.indices {
            // Moved out of the arrays, so that the update holds the only references.
            let parameter = parameters[i], state = states[i]
            parameters[i] = Tensor(zeros: [0])
            states[i] = initialState(for: parameters[i])
            let (p, s, problem) = applySingle(gradient: gradients[i], parameter: consume parameter, state: consume state)
            parameters[i] = p
            states[i] = s
            problems.append(problem)
        }
        return problems
    }
}

extension ParameterwiseOptimizer {
    @discardableResult
    public mutating func update(_ parameters: inout [String: Tensor], gradients: [String: Tensor]) -> [String: NonFiniteUpdate] {
        update(&parameters, gradients: gradients, gradientScale: 1)
    }

    @discardableResult
    public mutating func update(_ parameters: inout [String: Tensor], gradients: [String: Tensor], gradientScale: Float)
        -> [String: NonFiniteUpdate] {
        var nonFinite: [String: NonFiniteUpdate] = [:]
        withoutGrad {
            // Sorted: a fixed order keeps runs reproducible whatever the dictionary's layout.
            let names = gradients.keys.sorted()
            var grads: [Tensor] = [], params: [Tensor] = [], taken: [State] = []
            for name in names {
                let gradient = gradients[name]!
                guard let parameter = parameters[name] else {
                    preconditionFailure("[\(Self.typeName).update] gradient '\(name)' has no parameter of that name")
                }
                precondition(gradient.shape == parameter.shape,
                             "[\(Self.typeName).update] gradient '\(name)' has shape \(gradient.shape), parameter \(parameter.shape)")
                let state = states.removeValue(forKey: name) ?? initialState(for: parameter)
                for (slot, t) in state.slots {
                    precondition(t.shape == parameter.shape,
                                 "[\(Self.typeName).update] state '\(name).\(slot)' has shape \(t.shape), parameter \(parameter.shape)")
                }
                // Handing over the only references lets the update write in place (unless the
                // caller keeps another copy of the parameter).
                parameters[name] = nil
                grads.append(gradient.detached())
                params.append((consume parameter).detached())
                taken.append(consume state)
            }
            let problems = applyAll(gradients: grads, parameters: &params, states: &taken, gradientScale: gradientScale)
            for (i, name) in names.enumerated() {
                parameters[name] = params[i].requiringGrad()
                states[name] = taken[i]
                if let problem = problems[i] { nonFinite[name] = problem }
            }
            stepCount += 1
        }
        return nonFinite
    }

    public func stateTensors() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, state) in states {
            for (slot, t) in state.slots { out["\(name).\(slot)"] = t }
        }
        return out
    }

    public func stateMetadata() -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) -> String {
            // Encoding plain numbers, strings and dictionaries of them cannot fail.
            String(decoding: try! encoder.encode(value), as: UTF8.self)
        }
        return [
            "type": Self.typeName,
            "step": String(stepCount),
            "hyperparameters": json(self),
            "parameter_steps": json(states.mapValues(\.step)),
        ]
    }

    public mutating func loadState(tensors: [String: Tensor], metadata: [String: String]) throws {
        var problems: [String] = []
        func fail() -> OptimizerStateError { OptimizerStateError(optimizer: Self.typeName, problems: problems) }
        guard metadata["type"] == Self.typeName else {
            problems.append("the saved state is for \(metadata["type"].map { "'\($0)'" } ?? "no optimizer"), not \(Self.typeName)")
            throw fail()
        }
        func decode<T: Decodable>(_ key: String, _ type: T.Type) -> T? {
            guard let text = metadata[key] else { problems.append("metadata '\(key)' is missing"); return nil }
            guard let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
                problems.append("metadata '\(key)' is not a valid \(T.self): '\(text.prefix(80))'")
                return nil
            }
            return value
        }
        let step = decode("step", Int.self)
        let restored = decode("hyperparameters", Self.self)
        let parameterSteps = decode("parameter_steps", [String: Int].self)

        // Parameter names contain dots, so the slot is the longest known suffix.
        var slotsByParameter: [String: [String: Tensor]] = [:]
        for (key, t) in tensors {
            guard let slot = State.slotNames.filter({ key.hasSuffix("." + $0) }).max(by: { $0.count < $1.count }) else {
                problems.append("unexpected state tensor '\(key)'")
                continue
            }
            slotsByParameter[String(key.dropLast(slot.count + 1)), default: [:]][slot] = t
        }
        var states: [String: State] = [:]
        for (name, parameterStep) in (parameterSteps ?? [:]).sorted(by: { $0.key < $1.key }) {
            do {
                states[name] = try State(step: parameterStep, slots: slotsByParameter[name] ?? [:])
            } catch let e as SlotError {
                problems.append("parameter '\(name)': \(e.message)")
            }
        }
        if let parameterSteps {
            for name in slotsByParameter.keys.sorted() where parameterSteps[name] == nil {
                problems.append("state tensors for '\(name)' but no step count for it")
            }
        }
        guard problems.isEmpty, var optimizer = restored, let step else { throw fail() }
        optimizer.states = states
        optimizer.stepCount = step
        self = optimizer
    }
}

/// The slot `name` from saved `slots`, or a ``SlotError`` naming it.
func requiredSlot(_ name: String, in slots: [String: Tensor]) throws -> Tensor {
    guard let t = slots[name] else { throw SlotError(message: "slot '\(name)' is missing") }
    return t
}

/// Checks that all present slots share one shape.
func checkSameShape(_ slots: [String: Tensor]) throws {
    let shapes = Set(slots.values.map(\.shape))
    guard shapes.count <= 1 else {
        throw SlotError(message: "slots have different shapes: "
            + slots.keys.sorted().map { "\($0) \(slots[$0]!.shape)" }.joined(separator: ", "))
    }
}
