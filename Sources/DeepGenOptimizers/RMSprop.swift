import DeepGen

/// RMSprop with `torch.optim.RMSprop`'s semantics: `v ← αv + (1 − α)g²`, step `g / (√v + ε)`;
/// `centered` subtracts the squared moving average of gradients from `v`; `momentum` accumulates
/// the scaled steps in a buffer. Elementwise work follows PyTorch's order of operations in
/// `Float`, with a fused multiply-add where PyTorch's `add(_, alpha:)` fuses.
public struct RMSprop: ParameterwiseOptimizer {
    /// The step size.
    public var learningRate: Double
    /// Smoothing constant of the squared-gradient average.
    public var alpha: Double
    /// Added to the denominator for numerical stability.
    public var epsilon: Double
    /// L2 penalty coefficient added to the gradient.
    public var weightDecay: Double
    /// Momentum factor (0 for none).
    public var momentum: Double
    /// Whether to normalise by the gradient variance estimate.
    public var centered: Bool
    /// How many updates have run.
    public var stepCount = 0
    /// Per-parameter state by parameter name.
    public var states: [String: RMSpropState] = [:]

    /// The name recorded with saved state.
    public static let typeName = "RMSprop"

    private enum CodingKeys: String, CodingKey {
        case learningRate = "lr", alpha, epsilon = "eps", weightDecay = "weight_decay", momentum, centered
    }

    /// - Parameters:
    ///   - learningRate: Step size (PyTorch default 1e-2).
    ///   - alpha: Smoothing constant of the squared-gradient average.
    ///   - epsilon: Added to the denominator for stability.
    ///   - weightDecay: L2 penalty coefficient, added to the gradient.
    ///   - momentum: Momentum factor (0 for none).
    ///   - centered: Normalise by an estimate of the gradient's variance instead of its second moment.
    public init(learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8, weightDecay: Double = 0,
                momentum: Double = 0, centered: Bool = false) {
        precondition(learningRate >= 0, "[RMSprop] invalid learning rate \(learningRate)")
        precondition(alpha >= 0, "[RMSprop] invalid alpha \(alpha)")
        precondition(epsilon >= 0, "[RMSprop] invalid epsilon \(epsilon)")
        precondition(weightDecay >= 0, "[RMSprop] invalid weight decay \(weightDecay)")
        precondition(momentum >= 0, "[RMSprop] invalid momentum \(momentum)")
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
    }

    public func initialState(for parameter: Tensor) -> RMSpropState {
        RMSpropState(step: 0, squareAverage: Tensor(zeros: parameter.shape),
                     momentumBuffer: momentum > 0 ? Tensor(zeros: parameter.shape) : nil,
                     gradientAverage: centered ? Tensor(zeros: parameter.shape) : nil)
    }

    public func applySingle(gradient: Tensor, parameter: consuming Tensor, state: consuming RMSpropState)
        -> (parameter: Tensor, state: RMSpropState, nonFinite: NonFiniteUpdate?) {
        var p = consume parameter, s = consume state
        s.step += 1
        let wd = Float(weightDecay), a = Float(alpha), oneMinusA = Float(1 - alpha), eps = Float(epsilon)
        let mu = Float(momentum), negLR = Float(-learningRate)
        let useMomentum = momentum > 0, centered = centered
        let empty = Tensor(zeros: [0])
        var buffer = useMomentum ? (s.momentumBuffer.take() ?? Tensor(zeros: p.shape)) : empty
        var average = centered ? (s.gradientAverage.take() ?? Tensor(zeros: p.shape)) : empty

        gradient.withUnsafeBufferPointer { g in
            p.withUnsafeMutableBufferPointer { p in
                s.squareAverage.withUnsafeMutableBufferPointer { v in
                    buffer.withUnsafeMutableBufferPointer { b in
                        average.withUnsafeMutableBufferPointer { ga in
                            guard let g = g.baseAddress, let p = p.baseAddress, let v = v.baseAddress else { return }
                            forEachLaneGroup(gradient.count) { i, n in
                                var gi = loadLanes(g, i, n), pi = loadLanes(p, i, n)
                                if wd != 0 { gi = gi.addingProduct(wd, pi) }
                                let vi = loadLanes(v, i, n) * a + oneMinusA * gi * gi
                                storeLanes(vi, v, i, n)
                                var denominator: Lanes
                                if centered {
                                    let gai = lerp(loadLanes(ga.baseAddress!, i, n), gi, oneMinusA)
                                    storeLanes(gai, ga.baseAddress!, i, n)
                                    denominator = (vi + -1 * gai * gai).squareRoot()
                                } else {
                                    denominator = vi.squareRoot()
                                }
                                denominator += eps
                                if useMomentum {
                                    let bi = loadLanes(b.baseAddress!, i, n) * mu + gi / denominator
                                    storeLanes(bi, b.baseAddress!, i, n)
                                    pi = pi.addingProduct(negLR, bi)
                                } else {
                                    pi += negLR * gi / denominator
                                }
                                storeLanes(pi, p, i, n)
                            }
                        }
                    }
                }
            }
        }
        if useMomentum { s.momentumBuffer = buffer }
        if centered { s.gradientAverage = average }
        // Checked in passes of their own: these optimizers are not on a benchmark's hot path.
        return (p, s, NonFiniteUpdate.check(gradient: gradient, parameter: p))
    }
}

/// RMSprop's state for one parameter (PyTorch's slot names).
public struct RMSpropState: ParameterState {
    /// Updates applied to this parameter so far.
    public var step: Int
    /// The moving average of squared gradients.
    public var squareAverage: Tensor
    /// The momentum buffer, kept only with momentum.
    public var momentumBuffer: Tensor?
    /// The moving average of gradients, kept only when centered.
    public var gradientAverage: Tensor?

    /// The slot names, as PyTorch names them.
    public static let slotNames = ["square_avg", "momentum_buffer", "grad_avg"]

    /// A state after `step` updates with the given averages and buffer.
    public init(step: Int, squareAverage: Tensor, momentumBuffer: Tensor?, gradientAverage: Tensor?) {
        self.step = step
        self.squareAverage = squareAverage
        self.momentumBuffer = momentumBuffer
        self.gradientAverage = gradientAverage
    }

    /// The present slots by name.
    public var slots: [String: Tensor] {
        var out = ["square_avg": squareAverage]
        out["momentum_buffer"] = momentumBuffer
        out["grad_avg"] = gradientAverage
        return out
    }

    /// Rebuilds the state from saved slots, refusing missing or inconsistent ones.
    public init(step: Int, slots: [String: Tensor]) throws {
        try checkSameShape(slots)
        self.init(step: step, squareAverage: try requiredSlot("square_avg", in: slots),
                  momentumBuffer: slots["momentum_buffer"], gradientAverage: slots["grad_avg"])
    }
}
