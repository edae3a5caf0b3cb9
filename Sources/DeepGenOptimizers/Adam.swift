import DeepGen

/// Adam (Kingma & Ba) with PyTorch's semantics: weight decay is an L2 term added to the
/// gradient (see ``AdamW`` for decoupled decay), optional AMSGrad.
public struct Adam: ParameterwiseOptimizer {
    /// The step size.
    public var learningRate: Double
    /// Decay rate of the first-moment average.
    public var beta1: Double
    /// Decay rate of the second-moment average.
    public var beta2: Double
    /// Added to the denominator for numerical stability.
    public var epsilon: Double
    /// L2 penalty coefficient added to the gradient.
    public var weightDecay: Double
    /// Whether to normalise by the running maximum of the second moment.
    public var amsgrad: Bool
    /// How many updates have run.
    public var stepCount = 0
    /// Per-parameter state by parameter name.
    public var states: [String: AdamState] = [:]

    /// The name recorded with saved state.
    public static let typeName = "Adam"

    private enum CodingKeys: String, CodingKey {
        case learningRate = "lr", beta1, beta2, epsilon = "eps", weightDecay = "weight_decay", amsgrad
    }

    /// - Parameters:
    ///   - learningRate: Step size (PyTorch default 1e-3; GANs often use 2e-4).
    ///   - betas: Decay rates of the first and second moment averages (DCGAN uses (0.5, 0.999)).
    ///   - epsilon: Added to the denominator for stability.
    ///   - weightDecay: L2 penalty coefficient, added to the gradient.
    ///   - amsgrad: Normalise by the running maximum of the second moment.
    public init(learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8,
                weightDecay: Double = 0, amsgrad: Bool = false) {
        checkAdamHyperparameters("Adam", learningRate, betas, epsilon, weightDecay)
        self.learningRate = learningRate
        (beta1, beta2) = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
    }

    public func initialState(for parameter: Tensor) -> AdamState {
        AdamState(zerosLike: parameter.shape, amsgrad: amsgrad)
    }

    public func applySingle(gradient: Tensor, parameter: consuming Tensor, state: consuming AdamState)
        -> (parameter: Tensor, state: AdamState, nonFinite: NonFiniteUpdate?) {
        adamStep(gradient: gradient, parameter: consume parameter, state: consume state, learningRate: learningRate, beta1: beta1,
                 beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupled: false, amsgrad: amsgrad)
    }

    public func applyAll(gradients: [Tensor], parameters: inout [Tensor], states: inout [AdamState], gradientScale: Float)
        -> [NonFiniteUpdate?] {
        adamSteps(gradients: gradients, parameters: &parameters, states: &states, learningRate: learningRate, beta1: beta1,
                  beta2: beta2, epsilon: epsilon, weightDecays: gradients.map { _ in weightDecay }, decoupled: false, amsgrad: amsgrad,
                  gradientScale: gradientScale)
    }
}

/// The range checks `torch.optim.Adam` makes, as preconditions naming the optimizer.
func checkAdamHyperparameters(_ op: String, _ lr: Double, _ betas: (Double, Double), _ eps: Double, _ wd: Double) {
    precondition(lr >= 0, "[\(op)] invalid learning rate \(lr)")
    precondition(eps >= 0, "[\(op)] invalid epsilon \(eps)")
    precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1), "[\(op)] invalid betas \(betas)")
    precondition(wd >= 0, "[\(op)] invalid weight decay \(wd)")
}
