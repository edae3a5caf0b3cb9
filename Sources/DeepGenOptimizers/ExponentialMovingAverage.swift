import DeepGen

/// An exponential moving average of weights, as GAN code keeps of its generator (Karras et al.
/// 2018; Yazıcı et al. 2019): `average ← d·average + (1 − d)·weights` after every update, with
/// `d = min(decay, (1 + t)/(10 + t))` at update `t` (TensorFlow's `num_updates` warm-up), so
/// that the random initial weights fade within the first few dozen updates however close
/// `decay` is to 1.
public struct ExponentialMovingAverage: Sendable, Equatable {
    public var decay: Float

    public init(decay: Float) { self.decay = decay }

    /// The decay applied at update `step` (1 for the first update).
    public func decay(atUpdate step: Int) -> Float {
        let t = Float(Swift.max(step, 0))
        return Swift.min(decay, (1 + t) / (10 + t))
    }

    /// `average ← d·average + (1 − d)·value` in place, one pass.
    public static func update(_ average: inout Tensor, toward value: Tensor, decay d: Float) {
        precondition(average.shape == value.shape, "[ExponentialMovingAverage] average \(average.shape) and value \(value.shape) differ in shape")
        let w = 1 - d
        value.withUnsafeBufferPointer { x in
            average.withUnsafeMutableBufferPointer { a in
                let n = a.count
                guard n > 0, let ap = a.baseAddress, let xp = x.baseAddress else { return }
                var i = 0
                while i + 16 <= n {
                    let av = UnsafeRawPointer(ap + i).loadUnaligned(as: SIMD16<Float>.self)
                    let xv = UnsafeRawPointer(xp + i).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(ap + i).storeBytes(of: av.addingProduct(xv - av, w), as: SIMD16<Float>.self)
                    i += 16
                }
                while i < n { ap[i] += (xp[i] - ap[i]) * w; i += 1 }
            }
        }
    }
}
