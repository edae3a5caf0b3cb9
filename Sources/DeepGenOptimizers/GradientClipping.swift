import DeepGen
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
    // Accumulated in Double: a large model's sum of squares loses digits in Float.
    var total = 0.0
    for g in gradients.values {
        g.withUnsafeBufferPointer { b in
            for x in b {
                let m = Double(abs(x))
                if normType == .infinity { total = max(total, m) } else if normType == 2 { total += m * m } else { total += pow(m, normType) }
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
