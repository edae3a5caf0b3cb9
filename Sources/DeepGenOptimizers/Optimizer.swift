import DeepGen

/// Updates named parameters from their gradients, and saves and restores its own state.
///
/// Parameters are keyed by dotted names (`main.0.weight`), as a module lists them; the optimizer
/// keeps its per-parameter state under the same names.
public protocol Optimizer {
    /// The learning rate of the next step (a schedule sets it; see ``LearningRateScheduler``).
    var learningRate: Double { get set }

    /// How many times ``update(_:gradients:)`` has run.
    var stepCount: Int { get }

    /// Applies one step to every parameter that has a gradient, replacing each with a fresh leaf
    /// that requires gradients. A parameter without a gradient is left alone (as PyTorch skips a
    /// parameter whose `.grad` is `None`); a gradient without a parameter is a programming error.
    /// - Returns: the parameters whose gradient was not finite, or whose update was not (found in
    ///   the update's own pass where the optimizer can): a diverging run, for the caller to stop.
    @discardableResult
    mutating func update(_ parameters: inout [String: Tensor], gradients: [String: Tensor]) -> [String: NonFiniteUpdate]

    /// ``update(_:gradients:)`` with every gradient multiplied by `gradientScale` first (gradient
    /// clipping's coefficient): the same results as scaling the gradients and then updating, which
    /// is what the default does; an optimizer that can take the product in its own pass over the
    /// gradients does that instead of a pass of its own.
    @discardableResult
    mutating func update(_ parameters: inout [String: Tensor], gradients: [String: Tensor], gradientScale: Float)
        -> [String: NonFiniteUpdate]

    /// The state tensors, named `<parameter>.<slot>` (`main.0.weight.exp_avg`).
    func stateTensors() -> [String: Tensor]

    /// The scalar state and hyperparameters, as strings for checkpoint metadata.
    func stateMetadata() -> [String: String]

    /// Replaces this optimizer's state and hyperparameters with saved ones (as PyTorch's
    /// `load_state_dict` does).
    ///
    /// - Throws: ``OptimizerStateError`` listing every problem found; the optimizer is unchanged then.
    mutating func loadState(tensors: [String: Tensor], metadata: [String: String]) throws
}

extension Optimizer {
    @discardableResult
    public mutating func update(_ parameters: inout [String: Tensor], gradients: [String: Tensor], gradientScale: Float)
        -> [String: NonFiniteUpdate] {
        update(&parameters, gradients: scaled(gradients, by: gradientScale))
    }
}

/// `gradients` times `scale` (themselves when it is 1), for optimizers that take a gradient scale
/// but have no pass of their own to fold it into.
func scaled(_ gradients: [String: Tensor], by scale: Float) -> [String: Tensor] {
    scale == 1 ? gradients : gradients.mapValues { $0.scaled(by: scale) }
}

/// What was not finite in one parameter's update.
public enum NonFiniteUpdate: Equatable, Sendable, CustomStringConvertible {
    /// The gradient held this NaN or infinite value.
    case gradient(Float)
    /// The gradient was finite; the updated parameter is not (the step overflowed).
    case parameter

    public var description: String {
        switch self {
        case .gradient(let v): return "gradient is \(v)"
        case .parameter: return "update is not finite"
        }
    }

    /// What `gradient` and `parameter` (a parameter after its update) hold; `nil` when both are
    /// finite. For optimizers whose update pass does not check (two read passes).
    public static func check(gradient: Tensor, parameter: Tensor) -> NonFiniteUpdate? {
        if !gradient.isFinite { return .gradient(gradient.scalars.first { !$0.isFinite } ?? .nan) }
        return parameter.isFinite ? nil : .parameter
    }
}

/// Why saved optimizer state could not be restored; lists every problem at once.
public struct OptimizerStateError: Error, CustomStringConvertible {
    /// The checkpoint file, when the state came from one.
    public var file: String?
    /// The optimizer type that was restoring.
    public var optimizer: String
    /// Every problem found, in words.
    public var problems: [String]

    /// An error listing `problems`.
    public init(file: String? = nil, optimizer: String, problems: [String]) {
        self.file = file
        self.optimizer = optimizer
        self.problems = problems
    }

    /// The optimizer, the file and every problem.
    public var description: String {
        let place = file.map { " from '\($0)'" } ?? ""
        return "cannot restore \(optimizer) state\(place): \(problems.joined(separator: "; "))"
    }
}
