import DeepGen
import Foundation

/// Uniform dequantization and the logit transform of RealNVP, for 8-bit images given in
/// [0, 1]: `y = (255x + u)/256` with `u ~ U(0, 1)`, `p = α + (1 − 2α)y`, `v = logit p`. The
/// flow models `v`; `log p(y) = log p(v) + Σ log((1 − 2α)/(p(1 − p)))`, and the discrete pixels'
/// `−log P(x) ≤ −log p(y) + D·log 256` (Theis et al. 2016), the figure reported in bits per
/// dimension.
public struct LogitDequantization: Sendable {
    public var alpha: Float

    public init(alpha: Float) { self.alpha = alpha }

    /// `v` and the log-determinant of `x ↦ v` per example, with `u` drawn from `rng`.
    public func forward(_ x: Tensor, using rng: inout RandomGenerator) -> (v: Tensor, logDet: Tensor) {
        withoutGrad {
            let pixels = (x * 255).map { $0.rounded() }.clamped(min: 0, max: 255)
            return logit((pixels + Tensor.uniform(perSample: x.shape, low: 0, high: 1, using: &rng)) / 256)
        }
    }

    /// `v = logit(α + (1 − 2α)y)` of dequantized pixels `y` in (0, 1) and its log-determinant per
    /// example, `Σ log((1 − 2α)/(p(1 − p)))`.
    public func logit(_ y: Tensor) -> (v: Tensor, logDet: Tensor) {
        let p = alpha + (1 - 2 * alpha) * y
        let (logP, logQ) = (p.log(), (1 - p).log())
        let perValue = Float(log(Double(1 - 2 * alpha))) - logP - logQ
        return (logP - logQ, perValue.flattened(from: 1).sum(axis: 1))
    }

    /// `v` for the middle of each pixel's bin, `u = 1/2`: a deterministic point to encode.
    public func midpoint(_ x: Tensor) -> Tensor {
        withoutGrad { logit(((x * 255).map { $0.rounded() }.clamped(min: 0, max: 255) + 0.5) / 256).v }
    }

    /// Pixels in [0, 1] from `v` (the inverse, clamped).
    public func inverse(_ v: Tensor) -> Tensor {
        ((v.sigmoid() - alpha) / (1 - 2 * alpha)).clamped(min: 0, max: 1)
    }
}
