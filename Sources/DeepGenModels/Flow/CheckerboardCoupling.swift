import DeepGen
import DeepGenNN

/// RealNVP's affine coupling with a checkerboard mask for images `[N, C, H, W]` (Dinh et al.
/// 2017, §3.4): the pixels where `(y + x) % 2 == parity` pass unchanged and, through a residual
/// conditioner, give a scale and shift of the others:
/// `(r, t) = conditioner(x·b)`, `s = scale·tanh(r)·(1−b)`, `y = x·exp(s) + t·(1−b)`,
/// `log |det J| = Σ s`, with the tanh bound of a learned per-channel `scale`.
public final class CheckerboardCoupling: Module, FlowLayer {
    public let conditioner: ResNetConditioner
    /// The bound of each channel's log-scale, `[C]`, starting at 1.
    public let scale: Parameter
    /// 1 on the conditioning pixels, `[1, 1, H, W]`, and its complement; derived from the shape,
    /// so not saved.
    let mask: Tensor, transformed: Tensor
    let channels: Int

    public var kind: String { "affine coupling (checkerboard)" }

    public init(shape: [Int], parity: Int, hiddenChannels: Int, blocks: Int, using rng: inout RandomGenerator) {
        precondition(shape.count == 3, "[CheckerboardCoupling] needs [C, H, W], got \(shape)")
        let (c, h, w) = (shape[0], shape[1], shape[2])
        channels = c
        mask = Tensor(shape: [1, 1, h, w], scalars: (0..<(h * w)).map { (($0 / w) + ($0 % w)) % 2 == parity ? 1 : 0 })
        transformed = 1 - mask
        conditioner = ResNetConditioner(inputs: c, hidden: hiddenChannels, outputs: 2 * c, blocks: blocks, using: &rng)
        scale = Parameter(Tensor(ones: [c]))
    }

    /// The log-scale and shift, zero on the conditioning pixels.
    private func scaleAndShift(_ x: Tensor) -> (s: Tensor, t: Tensor) {
        let h = conditioner(x * mask)
        let s = scale.value.reshaped([1, channels, 1, 1]) * h.sliced(axis: 1, 0..<channels).tanh() * transformed
        return (s, h.sliced(axis: 1, channels..<(2 * channels)) * transformed)
    }

    private func check(_ x: Tensor) {
        precondition(x.rank == 4 && x.shape[1] == channels && Array(x.shape[2...]) == Array(mask.shape[2...]),
                     "[CheckerboardCoupling] input \(x.shape) is not [N, \(channels), \(mask.shape[2]), \(mask.shape[3])]")
    }

    public func forward(_ x: Tensor) -> (y: Tensor, logDet: Tensor) {
        check(x)
        let (s, t) = scaleAndShift(x)
        return (x * s.exp() + t, s.flattened(from: 1).sum(axis: 1))
    }

    public func inverse(_ y: Tensor) -> Tensor {
        check(y)
        let (s, t) = scaleAndShift(y)
        return (y - t) * (-s).exp()
    }
}
