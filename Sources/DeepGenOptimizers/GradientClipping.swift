import DeepGen
import DeepGenKernels
import Foundation

/// Scales all gradients together so that their combined norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_`: the norm is taken over every element of every gradient,
/// and each gradient is multiplied by `min(1, maxNorm / (norm + 1e-6))`.
///
/// A non-finite norm is returned as is and, as in PyTorch, turns the gradients non-finite; check
/// the returned value to skip such a step.
///
/// - Parameters:
///   - gradients: The gradients, scaled in place.
///   - maxNorm: The largest allowed norm.
///   - normType: The `p` of the p-norm (2 by default; `.infinity` for the largest magnitude).
/// - Returns: The norm before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: inout [String: Tensor], maxNorm: Double, normType: Double = 2) -> Float {
    let (norm, coefficient) = gradientNorm(gradients, maxNorm: maxNorm, normType: normType)
    guard coefficient != 1 else { return norm }
    // Into fresh tensors: scaling in place would first copy every buffer the caller still shares.
    for name in gradients.keys { gradients[name] = gradients[name]!.scaled(by: coefficient) }
    return norm
}

/// The combined norm of `gradients` and the coefficient ``clipGradientNorm(_:maxNorm:normType:)``
/// multiplies them by (1 when they are within `maxNorm`).
public func gradientNorm(_ gradients: [String: Tensor], maxNorm: Double, normType: Double = 2) -> (norm: Float, coefficient: Float) {
    precondition(normType > 0, "[clipGradientNorm] norm type \(normType) must be positive")
    // Accumulated in Double: a large model's sum of squares loses digits in Float. In name
    // order: a dictionary's order changes between processes, and a resumed run must clip alike.
    let names = gradients.keys.sorted()
    let total: Double
    if normType == 2 || normType == .infinity {
        // One pass per tensor, on whichever thread, combined in name order: the same sum (or
        // maximum) as one thread adding them up.
        let perTensor = tensorwise(names.map { gradients[$0]! }) { b in
            guard let base = b.baseAddress else { return 0 }
            if normType == 2 { return VectorMath.sumOfSquares(base, count: b.count) }
            var m = 0.0
            for x in b { m = max(m, Double(abs(x))) }
            return m
        }
        total = normType == 2 ? perTensor.reduce(0, +) : perTensor.reduce(0, max)
    } else {
        var sum = 0.0
        for name in names {
            gradients[name]!.withUnsafeBufferPointer { b in for x in b { sum += pow(Double(abs(x)), normType) } }
        }
        total = sum
    }
    let norm = Float(normType == .infinity ? total : normType == 2 ? total.squareRoot() : pow(total, 1 / normType))
    return (norm, min(Float(maxNorm) / (norm + 1e-6), 1))
}

/// `f` of each tensor's elements, the tensors spread over the threads (largest first onto the
/// least loaded) when there are enough elements to pay for it.
private func tensorwise(_ tensors: [Tensor], _ f: (UnsafeBufferPointer<Float>) -> Double) -> [Double] {
    var results = [Double](repeating: 0, count: tensors.count)
    let threads = Parallel.chunkCount(tensors.reduce(0) { $0 + $1.count }, minChunk: 1 << 16)
    var groups = [[Int]](repeating: [], count: min(threads, max(1, tensors.count)))
    var loads = [Int](repeating: 0, count: groups.count)
    for k in tensors.indices.sorted(by: { tensors[$0].count > tensors[$1].count }) {
        let g = loads.indices.min { loads[$0] < loads[$1] }!
        groups[g].append(k)
        loads[g] += tensors[k].count
    }
    results.withUnsafeMutableBufferPointer { out in
        let out = out
        Parallel.forEachChunk(groups.count, chunks: groups.count) { _, r in
            for g in r { for k in groups[g] { out[k] = tensors[k].withUnsafeBufferPointer(f) } }
        }
    }
    return results
}

/// An optimizer whose every step first clips the gradients it is given to a combined norm of at
/// most `maxNorm` (``clipGradientNorm(_:maxNorm:normType:)``): what `--clip-grad-norm` makes.
/// Its state and checkpoint entries are the wrapped optimizer's.
public struct GradientClippedOptimizer: Optimizer {
    public var base: any Optimizer
    public let maxNorm: Double

    public init(_ base: any Optimizer, maxNorm: Double) {
        precondition(maxNorm > 0 && maxNorm.isFinite, "[GradientClippedOptimizer] maxNorm \(maxNorm) must be positive")
        self.base = base
        self.maxNorm = maxNorm
    }

    public var learningRate: Double {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }

    public var stepCount: Int { base.stepCount }

    @discardableResult
    public mutating func update(_ parameters: inout [String: Tensor], gradients: [String: Tensor]) -> [String: NonFiniteUpdate] {
        update(&parameters, gradients: gradients, gradientScale: 1)
    }

    /// The base's update with the clipping coefficient folded into `gradientScale` (Adam and
    /// AdamW take it in their own pass: no pass over the gradients to scale them).
    @discardableResult
    public mutating func update(_ parameters: inout [String: Tensor], gradients: [String: Tensor], gradientScale: Float)
        -> [String: NonFiniteUpdate] {
        let given = scaled(gradients, by: gradientScale)
        return base.update(&parameters, gradients: given, gradientScale: gradientNorm(given, maxNorm: maxNorm).coefficient)
    }

    public func stateTensors() -> [String: Tensor] { base.stateTensors() }
    public func stateMetadata() -> [String: String] { base.stateMetadata() }
    public mutating func loadState(tensors: [String: Tensor], metadata: [String: String]) throws {
        try base.loadState(tensors: tensors, metadata: metadata)
    }
}
