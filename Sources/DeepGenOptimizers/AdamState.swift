import DeepGen
import DeepGenKernels
import Foundation

/// Adam's and AdamW's state for one parameter (PyTorch's slot names).
public struct AdamState: ParameterState {
    /// Updates applied to this parameter so far.
    public var step: Int
    /// The moving average of gradients (first moment).
    public var expAvg: Tensor
    /// The moving average of squared gradients (second moment).
    public var expAvgSq: Tensor
    /// The running maximum of `expAvgSq`, kept only with AMSGrad.
    public var maxExpAvgSq: Tensor?

    /// The slot names, as PyTorch names them.
    public static let slotNames = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]

    /// Zero moments for a parameter of `shape`.
    public init(zerosLike shape: [Int], amsgrad: Bool) {
        step = 0
        expAvg = Tensor(zeros: shape)
        expAvgSq = Tensor(zeros: shape)
        maxExpAvgSq = amsgrad ? Tensor(zeros: shape) : nil
    }

    /// The present slots by name.
    public var slots: [String: Tensor] {
        var out = ["exp_avg": expAvg, "exp_avg_sq": expAvgSq]
        out["max_exp_avg_sq"] = maxExpAvgSq
        return out
    }

    /// Rebuilds the state from saved slots, refusing missing or inconsistent ones.
    public init(step: Int, slots: [String: Tensor]) throws {
        try checkSameShape(slots)
        self.step = step
        expAvg = try requiredSlot("exp_avg", in: slots)
        expAvgSq = try requiredSlot("exp_avg_sq", in: slots)
        maxExpAvgSq = slots["max_exp_avg_sq"]
    }
}

/// One Adam step on one parameter, as `torch.optim.Adam`'s single-tensor path computes it:
/// scalars in `Double` (Python floats), elementwise work in `Float` in the same order of
/// operations (fused multiply-add where PyTorch's `add(_, alpha:)` fuses). `decoupled` selects AdamW's weight decay (`p ← p(1 − lr·wd)`) over L2
/// (`g ← g + wd·p`).
func adamStep(
    gradient: Tensor, parameter: consuming Tensor, state: consuming AdamState, learningRate lr: Double, beta1: Double,
    beta2: Double, epsilon: Double, weightDecay: Double, decoupled: Bool, amsgrad: Bool
) -> (parameter: Tensor, state: AdamState, nonFinite: NonFiniteUpdate?) {
    var p = consume parameter, s = consume state
    s.step += 1
    let t = Double(s.step)
    let biasCorrection1 = 1 - pow(beta1, t), biasCorrection2 = 1 - pow(beta2, t)
    let negStepSize = Float(-(lr / biasCorrection1))
    let biasCorrection2Sqrt = Float(biasCorrection2.squareRoot())
    let scalars = AdamUpdate.Scalars(
        decoupled: decoupled, decay: decoupled ? Float(1 - lr * weightDecay) : 1, l2: decoupled ? 0 : Float(weightDecay),
        w1: Float(1 - beta1), beta2: Float(beta2), oneMinusBeta2: Float(1 - beta2), biasCorrection2Sqrt: biasCorrection2Sqrt,
        epsilon: Float(epsilon), negStepSize: negStepSize)
    if amsgrad && s.maxExpAvgSq == nil { s.maxExpAvgSq = Tensor(zeros: p.shape) }
    // Taken out of the state so the buffer has one owner and is updated in place.
    var maximum = amsgrad ? s.maxExpAvgSq.take()! : Tensor(zeros: [0])
    var flags: AdamUpdate.NonFinite = []

    gradient.withUnsafeBufferPointer { g in
        p.withUnsafeMutableBufferPointer { p in
            s.expAvg.withUnsafeMutableBufferPointer { m in
                s.expAvgSq.withUnsafeMutableBufferPointer { v in
                    maximum.withUnsafeMutableBufferPointer { vmax in
                        guard let g = g.baseAddress, let p = p.baseAddress, let m = m.baseAddress,
                              let v = v.baseAddress else { return }
                        let vmax = amsgrad ? vmax.baseAddress : nil
                        // Elements are independent, so chunks on several threads give the same bits.
                        // The chunk count is read once: the buffer below is sized by it.
                        let chunks = Parallel.chunkCount(gradient.count, minChunk: 1 << 15)
                        withUnsafeTemporaryAllocation(of: AdamUpdate.NonFinite.self, capacity: chunks) { seen in
                            Parallel.forEachChunk(gradient.count, chunks: chunks) { c, range in
                                let i = range.lowerBound
                                seen[c] = AdamUpdate.run(parameter: p + i, gradient: g + i, expAvg: m + i, expAvgSq: v + i,
                                                         maxExpAvgSq: vmax.map { $0 + i }, count: range.count, scalars)
                            }
                            for c in 0..<chunks { flags.formUnion(seen[c]) }
                        }
                    }
                }
            }
        }
    }
    if amsgrad { s.maxExpAvgSq = maximum }
    let nonFinite: NonFiniteUpdate? = flags.contains(.gradient) ? .gradient(gradient.scalars.first { !$0.isFinite } ?? .nan)
        : flags.contains(.parameter) ? .parameter : nil
    return (p, s, nonFinite)
}
