import DeepGen

/// AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient,
/// `p ← p(1 − lr·wd)` before the Adam step, as `torch.optim.AdamW` (default decay 1e-2).
public struct AdamW: ParameterwiseOptimizer {
    /// The step size.
    public var learningRate: Double
    /// Decay rate of the first-moment average.
    public var beta1: Double
    /// Decay rate of the second-moment average.
    public var beta2: Double
    /// Added to the denominator for numerical stability.
    public var epsilon: Double
    /// Decoupled weight decay coefficient.
    public var weightDecay: Double
    /// Whether to normalise by the running maximum of the second moment.
    public var amsgrad: Bool
    /// Decay only parameters of two or more axes (weight matrices, embeddings), not biases or
    /// normalization weights: the transformer recipes' two parameter groups. Saved with the
    /// optimizer's hyperparameters (absent, so `nil`, in checkpoints of runs that decay everything).
    public var decayMatricesOnly: Bool?
    /// How many updates have run.
    public var stepCount = 0
    /// Per-parameter state by parameter name.
    public var states: [String: AdamState] = [:]

    /// The name recorded with saved state.
    public static let typeName = "AdamW"

    private enum CodingKeys: String, CodingKey {
        case learningRate = "lr", beta1, beta2, epsilon = "eps", weightDecay = "weight_decay", amsgrad
        case decayMatricesOnly = "decay_matrices_only"
    }

    /// - Parameters:
    ///   - learningRate: Step size.
    ///   - betas: Decay rates of the first and second moment averages.
    ///   - epsilon: Added to the denominator for stability.
    ///   - weightDecay: Decoupled decay coefficient (multiplied by the learning rate each step).
    ///   - amsgrad: Normalise by the running maximum of the second moment.
    public init(learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), epsilon: Double = 1e-8,
                weightDecay: Double = 1e-2, amsgrad: Bool = false) {
        checkAdamHyperparameters("AdamW", learningRate, betas, epsilon, weightDecay)
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
                 beta2: beta2, epsilon: epsilon, weightDecay: decay(for: gradient), decoupled: true, amsgrad: amsgrad)
    }

    public func applyAll(gradients: [Tensor], parameters: inout [Tensor], states: inout [AdamState], gradientScale: Float)
        -> [NonFiniteUpdate?] {
        adamSteps(gradients: gradients, parameters: &parameters, states: &states, learningRate: learningRate, beta1: beta1,
                  beta2: beta2, epsilon: epsilon, weightDecays: gradients.map(decay(for:)), decoupled: true, amsgrad: amsgrad,
                  gradientScale: gradientScale)
    }

    /// The weight decay of a parameter with this gradient: none for vectors with `decayMatricesOnly`.
    private func decay(for gradient: Tensor) -> Double { decayMatricesOnly == true && gradient.rank < 2 ? 0 : weightDecay }
}
