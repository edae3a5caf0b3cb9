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
    mutating func update(_ parameters: inout [String: Tensor], gradients: [String: Tensor])

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
