import DeepGen
import DeepGenNN

/// RealNVP for vectors (2-D points): `couplings` affine couplings with MLP conditioners whose
/// conditioning features alternate between the even and odd coordinates, each after a
/// normalization layer (ActNorm by default) and an invertible linear map (Glow's step: actnorm, 1×1
/// convolution, coupling). A standard normal base density.
public final class RealNVPPoints: Module, FlowNetwork {
    public let flow: FlowSequence
    let features: Int

    public init(features: Int, couplings: Int, hiddenSize: Int, hiddenLayers: Int, normalization: FlowNormalization, using rng: inout RandomGenerator) {
        self.features = features
        var layers: [any FlowLayer] = []
        for k in 0..<couplings {
            if let norm = normalization.layer(channels: features) { layers.append(norm) }
            layers.append(InvertibleLinear(channels: features, using: &rng))
            layers.append(AffineCoupling(features: features, hiddenSize: hiddenSize, hiddenLayers: hiddenLayers, parity: k % 2, using: &rng))
        }
        flow = FlowSequence(layers)
    }

    /// log p(x) of each example, exact: the base density of `f(x)` plus the log-determinant.
    public func logProbability(_ x: Tensor) -> Tensor {
        let (z, logDet) = flow.forward(x)
        return standardNormalLogDensity(z) + logDet
    }

    /// `count` samples: base noise of standard deviation `temperature` through the inverse.
    public func sample(count: Int, temperature: Float, using rng: inout RandomGenerator) -> Tensor {
        flow.inverse(Tensor.normal([count, features], using: &rng) * temperature)
    }

    public func latents(_ x: Tensor) -> [Tensor] { [flow.forward(x).z] }
    public func decode(_ latents: [Tensor]) -> Tensor { flow.inverse(latents[0]) }

    public func firstNonFiniteLayer(_ x: Tensor) -> String? { flow.firstNonFiniteLayer(x).map { "flow.\($0)" } }
}
