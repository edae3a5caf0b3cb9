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
    var parameters = [consume parameter], states = [consume state]
    let problems = adamSteps(gradients: [gradient], parameters: &parameters, states: &states, learningRate: lr, beta1: beta1,
                             beta2: beta2, epsilon: epsilon, weightDecays: [weightDecay], decoupled: decoupled, amsgrad: amsgrad)
    return (parameters.removeLast(), states.removeLast(), problems[0])
}

/// ``adamStep(gradient:parameter:state:learningRate:beta1:beta2:epsilon:weightDecay:decoupled:amsgrad:)``
/// on several parameters (each with its own weight decay), each gradient times `gradientScale`
/// first (in the same pass), updated in place where the arrays hold their only references. The
/// elements of all of them are one range split over the threads: every element gets the same
/// arithmetic as alone, while a pass per parameter would pay a dispatch each and run the small
/// ones on one thread.
func adamSteps(
    gradients: [Tensor], parameters: inout [Tensor], states: inout [AdamState], learningRate lr: Double, beta1: Double,
    beta2: Double, epsilon: Double, weightDecays: [Double], decoupled: Bool, amsgrad: Bool, gradientScale: Float = 1
) -> [NonFiniteUpdate?] {
    let n = gradients.count
    precondition(parameters.count == n && states.count == n && weightDecays.count == n, "[adamSteps] mismatched lists")
    var scalars: [AdamUpdate.Scalars] = []
    var maxima: [Tensor] = []
    // Where each parameter's buffers are: the tensors stay in these arrays, unshared and unchanged
    // otherwise, until the pass is over.
    var g: [UnsafePointer<Float>?] = [], p: [UnsafeMutablePointer<Float>?] = [], m: [UnsafeMutablePointer<Float>?] = []
    var v: [UnsafeMutablePointer<Float>?] = [], vmax: [UnsafeMutablePointer<Float>?] = []
    for i in 0..<n {
        states[i].step += 1
        let t = Double(states[i].step), weightDecay = weightDecays[i]
        let biasCorrection1 = 1 - pow(beta1, t), biasCorrection2 = 1 - pow(beta2, t)
        scalars.append(AdamUpdate.Scalars(
            decoupled: decoupled, decay: decoupled ? Float(1 - lr * weightDecay) : 1, l2: decoupled ? 0 : Float(weightDecay),
            w1: Float(1 - beta1), beta2: Float(beta2), oneMinusBeta2: Float(1 - beta2),
            biasCorrection2Sqrt: Float(biasCorrection2.squareRoot()), epsilon: Float(epsilon), negStepSize: Float(-(lr / biasCorrection1)),
            gradientScale: gradientScale))
        if amsgrad && states[i].maxExpAvgSq == nil { states[i].maxExpAvgSq = Tensor(zeros: parameters[i].shape) }
        // Taken out of the state so the buffer has one owner and is updated in place.
        maxima.append(amsgrad ? states[i].maxExpAvgSq.take()! : Tensor(zeros: [0]))
        g.append(gradients[i].withUnsafeBufferPointer { $0.baseAddress })
        p.append(parameters[i].withUnsafeMutableBufferPointer { $0.baseAddress })
        m.append(states[i].expAvg.withUnsafeMutableBufferPointer { $0.baseAddress })
        v.append(states[i].expAvgSq.withUnsafeMutableBufferPointer { $0.baseAddress })
        vmax.append(amsgrad ? maxima[i].withUnsafeMutableBufferPointer { $0.baseAddress } : nil)
    }
    // Element e of the whole is element e − starts[i] of parameter i.
    var starts = [0]
    for t in gradients { starts.append(starts.last! + t.count) }
    let total = starts.last!
    // Read once: it sizes the flags.
    let chunks = Parallel.chunkCount(total, minChunk: 1 << 15)
    var seen = [AdamUpdate.NonFinite](repeating: [], count: chunks * n)
    seen.withUnsafeMutableBufferPointer { seen in
        let seen = seen
        Parallel.forEachChunk(total, chunks: chunks) { c, range in
            var i = starts.lastIndex { $0 <= range.lowerBound }!
            while i < n && starts[i] < range.upperBound {
                let lo = Swift.max(range.lowerBound, starts[i]) - starts[i], hi = Swift.min(range.upperBound, starts[i + 1]) - starts[i]
                if hi > lo, let gi = g[i], let pi = p[i], let mi = m[i], let vi = v[i] {
                    seen[c * n + i] = AdamUpdate.run(parameter: pi + lo, gradient: gi + lo, expAvg: mi + lo, expAvgSq: vi + lo,
                                                     maxExpAvgSq: vmax[i].map { $0 + lo }, count: hi - lo, scalars[i])
                }
                i += 1
            }
        }
    }
    withExtendedLifetime(gradients) {}
    var problems: [NonFiniteUpdate?] = []
    for i in 0..<n {
        if amsgrad { states[i].maxExpAvgSq = maxima[i] }
        var flags: AdamUpdate.NonFinite = []
        for c in 0..<chunks { flags.formUnion(seen[c * n + i]) }
        // The value as the scaled gradient holds it.
        problems.append(flags.contains(.gradient) ? .gradient(gradients[i].scalars.lazy.map { $0 * gradientScale }.first { !$0.isFinite } ?? .nan)
            : flags.contains(.parameter) ? .parameter : nil)
    }
    return problems
}
