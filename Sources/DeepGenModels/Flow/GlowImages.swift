import DeepGen
import DeepGenNN

extension MultiScaleFlow {
    /// Glow (Kingma & Dhariwal 2018): `levels` levels, each a squeeze and then `steps` steps of
    /// ActNorm (when `actNorm`), invertible 1×1 convolution and channel coupling.
    public static func glow(shape: [Int], levels levelCount: Int, steps: Int, hiddenChannels: Int, actNorm: Bool,
                            using rng: inout RandomGenerator) -> MultiScaleFlow {
        precondition(shape.count == 3 && levelCount >= 1 && steps >= 1, "[glow] needs [C, H, W], ≥ 1 level and ≥ 1 step")
        var c = shape[0]
        var built: [FlowSequence] = []
        for level in 0..<levelCount {
            c *= 4
            var layers: [any FlowLayer] = [Squeeze()]
            for _ in 0..<steps {
                if actNorm { layers.append(ActNorm(channels: c)) }
                layers.append(InvertibleLinear(channels: c, using: &rng))
                layers.append(ChannelCoupling(channels: c, hiddenChannels: hiddenChannels, using: &rng))
            }
            built.append(FlowSequence(layers))
            if level < levelCount - 1 { c /= 2 }
        }
        return MultiScaleFlow(shape: shape, levels: built)
    }
}
