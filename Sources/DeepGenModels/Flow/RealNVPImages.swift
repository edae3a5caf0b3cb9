import DeepGen
import DeepGenNN

/// The normalization layer before each coupling of a flow.
public enum FlowNormalization: String, Codable, Sendable, CaseIterable {
    /// ``ActNorm``: data-dependent initialization, then learned.
    case actnorm
    /// ``BatchNormFlow``: batch statistics in training, running averages in evaluation.
    case batchnorm
    case none

    /// The layer for `channels` channels, or `nil`.
    func layer(channels: Int) -> (any FlowLayer)? {
        switch self {
        case .actnorm: return ActNorm(channels: channels)
        case .batchnorm: return BatchNormFlow(channels: channels)
        case .none: return nil
        }
    }
}

extension MultiScaleFlow {
    /// RealNVP for images (Dinh et al. 2017, §3.6): each of `scales − 1` scales is three
    /// checkerboard couplings of alternating parity, a squeeze, three channel couplings
    /// conditioned on alternate halves, and then half of the channels are factored out; the last
    /// scale is four checkerboard couplings. Every coupling has a residual conditioner of
    /// `blocks` blocks of `hiddenChannels` channels and a normalization layer in front of it.
    public static func realNVP(shape: [Int], scales: Int, hiddenChannels: Int, blocks: Int, normalization: FlowNormalization,
                               using rng: inout RandomGenerator) -> MultiScaleFlow {
        precondition(shape.count == 3 && scales >= 1 && blocks >= 0, "[realNVP] needs [C, H, W], ≥ 1 scale and ≥ 0 blocks")
        var (c, h, w) = (shape[0], shape[1], shape[2])
        var built: [FlowSequence] = []
        for scale in 0..<scales {
            let last = scale == scales - 1
            var layers: [any FlowLayer] = []
            for k in 0..<(last ? 4 : 3) {
                if let norm = normalization.layer(channels: c) { layers.append(norm) }
                layers.append(CheckerboardCoupling(shape: [c, h, w], parity: k % 2, hiddenChannels: hiddenChannels, blocks: blocks, using: &rng))
            }
            if !last {
                layers.append(Squeeze())
                (c, h, w) = (4 * c, h / 2, w / 2)
                for k in 0..<3 {
                    if let norm = normalization.layer(channels: c) { layers.append(norm) }
                    let flipped = k % 2 == 1
                    let (conditioning, transformed) = flipped ? (c - c / 2, c / 2) : (c / 2, c - c / 2)
                    let conditioner = ResNetConditioner(inputs: conditioning, hidden: hiddenChannels, outputs: 2 * transformed, blocks: blocks, using: &rng)
                    layers.append(ChannelCoupling(channels: c, flipped: flipped, conditioner: conditioner))
                }
                c /= 2
            }
            built.append(FlowSequence(layers))
        }
        return MultiScaleFlow(shape: shape, levels: built)
    }
}
