import CDeepGenVector

/// Adam's elementwise update over a range of one parameter (the C loop is one vectorized pass
/// with the vector square root; Swift's SIMD code ran the roots lane by lane).
public enum AdamUpdate {
    /// The scalars of one step; see `deepgen_adam_update` for the formula and its order of operations.
    public struct Scalars {
        var c: deepgen_adam_scalars

        /// `decay` multiplies p (AdamW), `l2` adds `l2·p` to g (Adam's weight decay); `w1` is
        /// 1 − β₁; `negStepSize` is −lr / (1 − β₁ᵗ); `biasCorrection2Sqrt` is √(1 − β₂ᵗ);
        /// `gradientScale` multiplies g first (gradient clipping's coefficient).
        public init(decoupled: Bool, decay: Float, l2: Float, w1: Float, beta2: Float, oneMinusBeta2: Float,
                    biasCorrection2Sqrt: Float, epsilon: Float, negStepSize: Float, gradientScale: Float = 1) {
            c = deepgen_adam_scalars(decay: decay, l2: l2, w1: w1, b2: beta2, one_minus_b2: oneMinusBeta2,
                                     bias_correction2_sqrt: biasCorrection2Sqrt, eps: epsilon,
                                     neg_step_size: negStepSize, grad_scale: gradientScale, decoupled: decoupled ? 1 : 0)
        }
    }

    /// What the pass saw that was not finite.
    public struct NonFinite: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// A gradient element was NaN or infinite.
        public static let gradient = NonFinite(rawValue: 1)
        /// An updated parameter was.
        public static let parameter = NonFinite(rawValue: 2)
    }

    /// Updates `p`, `m`, `v` (and `vmax` with AMSGrad) in place for `count` elements, and says
    /// whether it met a non-finite gradient or produced a non-finite parameter.
    @discardableResult
    public static func run(parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                           expAvg m: UnsafeMutablePointer<Float>, expAvgSq v: UnsafeMutablePointer<Float>,
                           maxExpAvgSq vmax: UnsafeMutablePointer<Float>?, count: Int, _ scalars: Scalars) -> NonFinite {
        var c = scalars.c
        return NonFinite(rawValue: deepgen_adam_update(p, g, m, v, vmax, count, &c))
    }
}
