import DeepGen
import DeepGenNN

/// Glow's affine coupling for images `[N, C, H, W]`: the first `C/2` channels pass unchanged and
/// condition a scale and shift of the others through a small CNN (3×3 conv, ReLU, 1×1 conv,
/// ReLU, 3×3 conv whose weights start at zero, so a new layer is the identity):
/// `(r, t) = conditioner(x₁)`, `s = scale·tanh(r)`, `y₂ = x₂·exp(s) + t`, `log |det J| = Σ s`.
/// The tanh bound with a learned per-channel `scale` is RealNVP's stability measure.
public final class ChannelCoupling: Module, FlowLayer {
    public let conditioner: Sequential
    /// The bound of each transformed channel's log-scale, `[C − C/2]`, starting at 1.
    public let scale: Parameter
    let channels: Int

    public var kind: String { "affine coupling (channels)" }

    public init(channels: Int, hiddenChannels: Int, using rng: inout RandomGenerator) {
        precondition(channels >= 2, "[ChannelCoupling] needs at least 2 channels")
        self.channels = channels
        let kept = channels / 2, changed = channels - kept
        let last = Conv2d(hiddenChannels, 2 * changed, kernelSize: 3, padding: 1, using: &rng)
        last.weight.value = Tensor(zeros: last.weight.shape)
        last.bias?.value = Tensor(zeros: [2 * changed])
        conditioner = Sequential([
            Conv2d(kept, hiddenChannels, kernelSize: 3, padding: 1, using: &rng), ReLU(),
            Conv2d(hiddenChannels, hiddenChannels, kernelSize: 1, using: &rng), ReLU(),
            last,
        ])
        scale = Parameter(Tensor(ones: [changed]))
    }

    /// The log-scale and shift for the conditioning half.
    private func scaleAndShift(_ kept: Tensor) -> (s: Tensor, t: Tensor) {
        let changed = channels - channels / 2
        let h = conditioner(kept)
        let s = scale.value.reshaped([1, changed, 1, 1]) * h.sliced(axis: 1, 0..<changed).tanh()
        return (s, h.sliced(axis: 1, changed..<(2 * changed)))
    }

    private func check(_ x: Tensor) {
        precondition(x.rank == 4 && x.shape[1] == channels, "[ChannelCoupling] input \(x.shape) is not [N, \(channels), H, W]")
    }

    public func forward(_ x: Tensor) -> (y: Tensor, logDet: Tensor) {
        check(x)
        let kept = x.sliced(axis: 1, 0..<(channels / 2)), changed = x.sliced(axis: 1, (channels / 2)..<channels)
        let (s, t) = scaleAndShift(kept)
        let y = Tensor.concat([kept, changed * s.exp() + t], axis: 1)
        return (y, s.flattened(from: 1).sum(axis: 1))
    }

    public func inverse(_ y: Tensor) -> Tensor {
        check(y)
        let kept = y.sliced(axis: 1, 0..<(channels / 2)), changed = y.sliced(axis: 1, (channels / 2)..<channels)
        let (s, t) = scaleAndShift(kept)
        return Tensor.concat([kept, (changed - t) * (-s).exp()], axis: 1)
    }
}
