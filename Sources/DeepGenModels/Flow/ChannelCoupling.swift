import DeepGen
import DeepGenNN

/// The affine coupling of Glow and of RealNVP's channel-wise masks, for images `[N, C, H, W]`:
/// one half of the channels passes unchanged and conditions a scale and shift of the other
/// through a CNN whose last layer starts at zero (so a new layer is the identity):
/// `(r, t) = conditioner(x₁)`, `s = scale·tanh(r)`, `y₂ = x₂·exp(s) + t`, `log |det J| = Σ s`.
/// The tanh bound with a learned per-channel `scale` is RealNVP's stability measure. The first
/// `C/2` channels condition, or with `flipped` the last `C − C/2` (RealNVP alternates).
public final class ChannelCoupling: Module, FlowLayer {
    public let conditioner: any Layer
    /// The bound of each transformed channel's log-scale, starting at 1.
    public let scale: Parameter
    let channels: Int
    let flipped: Bool

    public var kind: String { "affine coupling (channels)" }

    /// The channels that condition and those transformed.
    var conditioning: Range<Int> { flipped ? (channels / 2)..<channels : 0..<(channels / 2) }
    var transformed: Range<Int> { flipped ? 0..<(channels / 2) : (channels / 2)..<channels }

    /// A coupling whose conditioner maps the conditioning channels to `2 × transformed` channels
    /// (the raw log-scales, then the shifts); its last layer should start at zero.
    public init(channels: Int, flipped: Bool = false, conditioner: any Layer) {
        precondition(channels >= 2, "[ChannelCoupling] needs at least 2 channels")
        self.channels = channels
        self.flipped = flipped
        self.conditioner = conditioner
        scale = Parameter(Tensor(ones: [flipped ? channels / 2 : channels - channels / 2]))
    }

    /// Glow's coupling: a 3×3 conv, ReLU, 1×1 conv, ReLU, and a zero-started 3×3 conv.
    public convenience init(channels: Int, hiddenChannels: Int, using rng: inout RandomGenerator) {
        let kept = channels / 2, changed = channels - kept
        let last = Conv2d(hiddenChannels, 2 * changed, kernelSize: 3, padding: 1, using: &rng)
        last.weight.value = Tensor(zeros: last.weight.shape)
        last.bias?.value = Tensor(zeros: [2 * changed])
        self.init(channels: channels, conditioner: Sequential([
            Conv2d(kept, hiddenChannels, kernelSize: 3, padding: 1, using: &rng), ReLU(),
            Conv2d(hiddenChannels, hiddenChannels, kernelSize: 1, using: &rng), ReLU(),
            last,
        ]))
    }

    /// The log-scale and shift for the conditioning half.
    private func scaleAndShift(_ kept: Tensor) -> (s: Tensor, t: Tensor) {
        let changed = transformed.count
        let h = conditioner.forward(kept)
        let s = scale.value.reshaped([1, changed, 1, 1]) * h.sliced(axis: 1, 0..<changed).tanh()
        return (s, h.sliced(axis: 1, changed..<(2 * changed)))
    }

    private func check(_ x: Tensor) {
        precondition(x.rank == 4 && x.shape[1] == channels, "[ChannelCoupling] input \(x.shape) is not [N, \(channels), H, W]")
    }

    /// The two parts put back in channel order.
    private func join(kept: Tensor, changed: Tensor) -> Tensor {
        Tensor.concat(flipped ? [changed, kept] : [kept, changed], axis: 1)
    }

    public func forward(_ x: Tensor) -> (y: Tensor, logDet: Tensor) {
        check(x)
        let kept = x.sliced(axis: 1, conditioning), changed = x.sliced(axis: 1, transformed)
        let (s, t) = scaleAndShift(kept)
        return (join(kept: kept, changed: changed * s.exp() + t), s.flattened(from: 1).sum(axis: 1))
    }

    public func inverse(_ y: Tensor) -> Tensor {
        check(y)
        let kept = y.sliced(axis: 1, conditioning), changed = y.sliced(axis: 1, transformed)
        let (s, t) = scaleAndShift(kept)
        return join(kept: kept, changed: (changed - t) * (-s).exp())
    }
}
