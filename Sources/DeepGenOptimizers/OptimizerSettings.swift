/// Which optimizer a run uses and its hyperparameters: the `--optimizer` choice, stored with the
/// run so a checkpoint rebuilds the same one. Fields an optimizer does not have stay `nil`;
/// `nil` fields it has take PyTorch's defaults.
public struct OptimizerSettings: Codable, Equatable, Sendable {
    /// The optimizers by their command-line names.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case adam, adamw, sgd, rmsprop
    }

    public var kind: Kind
    public var learningRate: Double
    /// Adam and AdamW: decay rates of the moment averages.
    public var beta1: Double?
    public var beta2: Double?
    /// Adam, AdamW, RMSprop: added to the denominator (default 1e-8).
    public var epsilon: Double?
    /// L2 penalty (Adam, SGD, RMSprop; default 0) or decoupled decay (AdamW; default 1e-2).
    public var weightDecay: Double?
    /// SGD and RMSprop: momentum factor (default 0).
    public var momentum: Double?
    /// SGD: Nesterov momentum.
    public var nesterov: Bool?
    /// RMSprop: smoothing constant of the squared-gradient average (default 0.99).
    public var alpha: Double?
    /// Every optimizer: each network's gradients are scaled together to at most this L2 norm
    /// before its step (`torch.nn.utils.clip_grad_norm_`); `nil` clips nothing.
    public var maxGradientNorm: Double?
    /// AdamW: decay only parameters with two or more axes (`nil`: every parameter).
    public var decayMatricesOnly: Bool? = nil

    public init(kind: Kind, learningRate: Double, beta1: Double? = nil, beta2: Double? = nil, epsilon: Double? = nil,
                weightDecay: Double? = nil, momentum: Double? = nil, nesterov: Bool? = nil, alpha: Double? = nil,
                maxGradientNorm: Double? = nil) {
        self.kind = kind
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.nesterov = nesterov
        self.alpha = alpha
        self.maxGradientNorm = maxGradientNorm
    }

    /// Adam with the given rate and betas.
    public static func adam(learningRate: Double, betas: (Double, Double)) -> OptimizerSettings {
        OptimizerSettings(kind: .adam, learningRate: learningRate, beta1: betas.0, beta2: betas.1)
    }

    /// The hyperparameters `kind` has, by their command-line flags.
    public static func flags(of kind: Kind) -> Set<String> {
        switch kind {
        case .adam, .adamw: return ["--beta1", "--beta2", "--eps", "--weight-decay"]
        case .sgd: return ["--momentum", "--nesterov", "--weight-decay"]
        case .rmsprop: return ["--alpha", "--eps", "--momentum", "--weight-decay"]
        }
    }

    /// The flags of the fields that are set.
    var setFlags: [String] {
        [("--beta1", beta1 != nil), ("--beta2", beta2 != nil), ("--eps", epsilon != nil), ("--weight-decay", weightDecay != nil),
         ("--momentum", momentum != nil), ("--nesterov", nesterov == true), ("--alpha", alpha != nil)].filter(\.1).map(\.0)
    }

    /// Checks every value, with a message naming the flag at fault.
    public func validate() throws {
        func fail(_ message: String) throws { throw OptimizerSettingsError(message: message) }
        for flag in setFlags where !Self.flags(of: kind).contains(flag) {
            try fail("\(flag) is not a hyperparameter of \(kind.rawValue) (it has \(Self.flags(of: kind).sorted().joined(separator: ", ")))")
        }
        if !(learningRate > 0) || !learningRate.isFinite { try fail("--lr must be positive, got \(learningRate)") }
        for (name, beta) in [("β₁ (--beta1)", beta1), ("β₂ (--beta2)", beta2)] {
            if let beta, !(0..<1).contains(beta) { try fail("\(name) must be in [0, 1), got \(beta)") }
        }
        if let epsilon, !(epsilon >= 0) || !epsilon.isFinite { try fail("--eps must be zero or positive, got \(epsilon)") }
        if let weightDecay, !(weightDecay >= 0) || !weightDecay.isFinite { try fail("--weight-decay must be zero or positive, got \(weightDecay)") }
        if let momentum, !(momentum >= 0) || !momentum.isFinite { try fail("--momentum must be zero or positive, got \(momentum)") }
        // At 1 the squared-gradient average never leaves zero and every step is lr·g/ε.
        if let alpha, !(0..<1).contains(alpha) { try fail("--alpha must be in [0, 1), got \(alpha)") }
        if nesterov == true, !((momentum ?? 0) > 0) { try fail("--nesterov needs --momentum above 0") }
        if let maxGradientNorm, !(maxGradientNorm > 0) || !maxGradientNorm.isFinite {
            try fail("--clip-grad-norm must be positive, got \(maxGradientNorm)")
        }
    }

    /// A fresh optimizer with these settings (call ``validate()`` first: invalid values trap).
    public func makeOptimizer() -> any Optimizer {
        guard let maxGradientNorm else { return makeBaseOptimizer() }
        return GradientClippedOptimizer(makeBaseOptimizer(), maxNorm: maxGradientNorm)
    }

    private func makeBaseOptimizer() -> any Optimizer {
        switch kind {
        case .adam:
            return Adam(learningRate: learningRate, betas: (beta1 ?? 0.9, beta2 ?? 0.999), epsilon: epsilon ?? 1e-8, weightDecay: weightDecay ?? 0)
        case .adamw:
            var adamW = AdamW(learningRate: learningRate, betas: (beta1 ?? 0.9, beta2 ?? 0.999), epsilon: epsilon ?? 1e-8, weightDecay: weightDecay ?? 1e-2)
            adamW.decayMatricesOnly = decayMatricesOnly == true ? true : nil
            return adamW
        case .sgd:
            return SGD(learningRate: learningRate, momentum: momentum ?? 0, weightDecay: weightDecay ?? 0, nesterov: nesterov ?? false)
        case .rmsprop:
            return RMSprop(learningRate: learningRate, alpha: alpha ?? 0.99, epsilon: epsilon ?? 1e-8, weightDecay: weightDecay ?? 0,
                           momentum: momentum ?? 0)
        }
    }
}

/// Optimizer settings that cannot work, with a message for the user.
public struct OptimizerSettingsError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
