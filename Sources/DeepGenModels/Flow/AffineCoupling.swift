import DeepGen
import DeepGenNN

/// RealNVP's affine coupling layer for vectors `[N, D]` (Dinh et al. 2017).
///
/// The features where `mask` is 1 pass unchanged and condition a scale and shift of the rest:
/// `(r, t) = conditioner(x·m)`, `s = scale·tanh(r)·(1−m)`, `y = x·exp(s) + t·(1−m)`, so
/// `log |det J| = Σ s`. The scale is bounded by the learned `scale` (tanh, as the reference code
/// does): an unbounded `exp(s)` is where flows blow up. The conditioner's last layer starts at
/// zero, so a new layer is the identity.
public final class AffineCoupling: Module, FlowLayer {
    /// MLP `D → hidden (× hiddenLayers, ReLU) → 2D`: the raw log-scale, then the shift.
    public let conditioner: Sequential
    /// The bound of each feature's log-scale, `[D]`, starting at 1.
    public let scale: Parameter
    /// 1 for the features that condition, 0 for those transformed, `[D]` (a buffer, as PyTorch
    /// code registers it).
    public let mask: Buffer

    public var kind: String { "affine coupling" }

    /// A coupling over `features` values whose conditioning half is the features of parity
    /// `parity` (0: even indices, 1: odd).
    public init(features: Int, hiddenSize: Int, hiddenLayers: Int, parity: Int, using rng: inout RandomGenerator) {
        precondition(features >= 2 && hiddenLayers >= 1, "[AffineCoupling] needs ≥ 2 features and ≥ 1 hidden layer")
        var layers: [any Layer] = [Linear(features, hiddenSize, using: &rng), ReLU()]
        for _ in 1..<hiddenLayers { layers += [Linear(hiddenSize, hiddenSize, using: &rng), ReLU()] }
        let last = Linear(hiddenSize, 2 * features, using: &rng)
        last.weight.value = Tensor(zeros: last.weight.shape)
        last.bias?.value = Tensor(zeros: [2 * features])
        conditioner = Sequential(layers + [last])
        scale = Parameter(Tensor(ones: [features]))
        mask = Buffer(Tensor(shape: [features], scalars: (0..<features).map { $0 % 2 == parity ? 1 : 0 }))
    }

    /// The log-scale `s` and shift `t` for the conditioning values `x·m`, both zero on the
    /// conditioning features.
    func scaleAndShift(_ conditioning: Tensor) -> (s: Tensor, t: Tensor) {
        let d = mask.shape[0]
        let transformed = 1 - mask.value
        let h = conditioner(conditioning)
        let s = scale.value * h.sliced(axis: 1, 0..<d).tanh() * transformed
        let t = h.sliced(axis: 1, d..<(2 * d)) * transformed
        return (s, t)
    }

    public func forward(_ x: Tensor) -> (y: Tensor, logDet: Tensor) {
        precondition(x.rank == 2 && x.shape[1] == mask.shape[0], "[AffineCoupling] input \(x.shape) is not [N, \(mask.shape[0])]")
        let (s, t) = scaleAndShift(x * mask.value)
        return (x * s.exp() + t, s.sum(axis: 1))
    }

    public func inverse(_ y: Tensor) -> Tensor {
        precondition(y.rank == 2 && y.shape[1] == mask.shape[0], "[AffineCoupling] input \(y.shape) is not [N, \(mask.shape[0])]")
        let (s, t) = scaleAndShift(y * mask.value)
        return (y - t) * (-s).exp()
    }
}
