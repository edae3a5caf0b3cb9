import DeepGen

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
/// weight decay, with `torch.optim.SGD`'s semantics: the momentum buffer starts as a copy of the
/// first gradient, and `p ← p − lr·d` where `d` is the buffer (or `g + momentum·buffer` with
/// Nesterov).
public struct SGD: ParameterwiseOptimizer {
    /// The step size.
    public var learningRate: Double
    /// Momentum factor (0 for none).
    public var momentum: Double
    /// The gradient enters the momentum buffer scaled by `1 − dampening`.
    public var dampening: Double
    /// L2 penalty coefficient added to the gradient.
    public var weightDecay: Double
    /// Whether to use Nesterov momentum.
    public var nesterov: Bool
    /// How many updates have run.
    public var stepCount = 0
    /// Per-parameter state by parameter name.
    public var states: [String: SGDState] = [:]

    /// The name recorded with saved state.
    public static let typeName = "SGD"

    private enum CodingKeys: String, CodingKey {
        case learningRate = "lr", momentum, dampening, weightDecay = "weight_decay", nesterov
    }

    /// - Parameters:
    ///   - learningRate: Step size.
    ///   - momentum: Momentum factor (0 for plain SGD).
    ///   - dampening: Scales the gradient added to the momentum buffer by `1 − dampening`.
    ///   - weightDecay: L2 penalty coefficient, added to the gradient.
    ///   - nesterov: Nesterov momentum (needs momentum > 0 and no dampening).
    public init(learningRate: Double, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0,
                nesterov: Bool = false) {
        precondition(learningRate >= 0, "[SGD] invalid learning rate \(learningRate)")
        precondition(momentum >= 0, "[SGD] invalid momentum \(momentum)")
        precondition(weightDecay >= 0, "[SGD] invalid weight decay \(weightDecay)")
        precondition(!nesterov || (momentum > 0 && dampening == 0), "[SGD] Nesterov momentum needs momentum > 0 and zero dampening")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public func initialState(for parameter: Tensor) -> SGDState { SGDState(step: 0, momentumBuffer: nil) }

    public func applySingle(gradient: Tensor, parameter: consuming Tensor, state: consuming SGDState)
        -> (parameter: Tensor, state: SGDState, nonFinite: NonFiniteUpdate?) {
        var p = consume parameter, s = consume state
        s.step += 1
        let wd = Float(weightDecay), mu = Float(momentum), negLR = Float(-learningRate)
        let gradientScale = Float(1 - dampening)
        let useMomentum = momentum != 0, firstStep = s.momentumBuffer == nil, nesterov = nesterov
        var buffer = useMomentum ? (s.momentumBuffer.take() ?? Tensor(zeros: p.shape)) : Tensor(zeros: [0])

        gradient.withUnsafeBufferPointer { g in
            p.withUnsafeMutableBufferPointer { p in
                buffer.withUnsafeMutableBufferPointer { b in
                    // `addingProduct` where PyTorch calls `add(_, alpha:)`, whose kernel fuses the
                    // multiply-add; with it the results match PyTorch's bit for bit.
                    for i in 0..<p.count {
                        var d = g[i]
                        if wd != 0 { d = d.addingProduct(wd, p[i]) }
                        if useMomentum {
                            b[i] = firstStep ? d : (b[i] * mu).addingProduct(gradientScale, d)
                            d = nesterov ? d.addingProduct(mu, b[i]) : b[i]
                        }
                        p[i] = p[i].addingProduct(negLR, d)
                    }
                }
            }
        }
        if useMomentum { s.momentumBuffer = buffer }
        // Checked in passes of their own: these optimizers are not on a benchmark's hot path.
        return (p, s, NonFiniteUpdate.check(gradient: gradient, parameter: p))
    }
}

/// SGD's state for one parameter.
public struct SGDState: ParameterState {
    /// Updates applied to this parameter so far.
    public var step: Int
    /// The momentum buffer; `nil` before the first step or without momentum.
    public var momentumBuffer: Tensor?

    /// The slot names, as PyTorch names them.
    public static let slotNames = ["momentum_buffer"]

    /// A state after `step` updates with the given buffer.
    public init(step: Int, momentumBuffer: Tensor?) {
        self.step = step
        self.momentumBuffer = momentumBuffer
    }

    /// The present slots by name.
    /// The present slots by name.
    public var slots: [String: Tensor] { momentumBuffer.map { ["momentum_buffer": $0] } ?? [:] }

    /// Rebuilds the state from saved slots, refusing missing or inconsistent ones.
    public init(step: Int, slots: [String: Tensor]) throws {
        self.init(step: step, momentumBuffer: slots["momentum_buffer"])
    }
}
