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
    precondition(normType > 0, "[clipGradientNorm] norm type \(normType) must be positive")
    // Accumulated in Double: a large model's sum of squares loses digits in Float. In name
    // order: a dictionary's order changes between processes, and a resumed run must clip alike.
    var total = 0.0
    for name in gradients.keys.sorted() {
        gradients[name]!.withUnsafeBufferPointer { b in
            if normType == 2 {
                if let base = b.baseAddress { total += VectorMath.sumOfSquares(base, count: b.count) }
            } else if normType == .infinity {
                for x in b { total = max(total, Double(abs(x))) }
            } else {
                for x in b { total += pow(Double(abs(x)), normType) }
            }
        }
    }
    let norm = Float(normType == .infinity ? total : normType == 2 ? total.squareRoot() : pow(total, 1 / normType))
    let coefficient = min(Float(maxNorm) / (norm + 1e-6), 1)
    guard coefficient != 1 else { return norm }
    for name in gradients.keys {
        gradients[name]!.withUnsafeMutableBufferPointer { b in
            for i in b.indices { b[i] *= coefficient }
        }
    }
    return norm
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
        var clipped = gradients
        clipGradientNorm(&clipped, maxNorm: maxNorm)
        return base.update(&parameters, gradients: clipped)
    }

    public func stateTensors() -> [String: Tensor] { base.stateTensors() }
    public func stateMetadata() -> [String: String] { base.stateMetadata() }
    public mutating func loadState(tensors: [String: Tensor], metadata: [String: String]) throws {
        try base.loadState(tensors: tensors, metadata: metadata)
    }
}
