import DeepGen
import DeepGenNN

/// DCGAN generator for 28×28 images: Dense → 7×7×4w, BatchNorm, LeakyReLU, then transposed
/// convolutions 5×5 to 2w (stride 1), w (stride 2) and the image channels (stride 2, tanh),
/// each but the last followed by BatchNorm and LeakyReLU. `width` 64 gives the 256/128/64 layout.
public final class DCGAN28Generator: Module, Layer {
    public let main: Sequential
    public let latentSize: Int

    public init(latentSize: Int = 100, width: Int = 64, channels: Int = 1, using rng: inout RandomGenerator) {
        self.latentSize = latentSize
        main = Sequential(Self.denseLayers(latentSize: latentSize, width: width, using: &rng)
                          + Self.decoderLayers(width: width, extraInputChannels: 0, channels: channels, using: &rng))
    }

    public func forward(_ z: Tensor) -> Tensor { main(z) }

    /// z → 7×7×4w features: Dense (no bias), BatchNorm, LeakyReLU, reshape.
    static func denseLayers(latentSize: Int, width: Int, using rng: inout RandomGenerator) -> [any Layer] {
        let c = 4 * width
        return [Linear(latentSize, 7 * 7 * c, bias: false, using: &rng), BatchNorm1d(7 * 7 * c), LeakyReLU(0.2),
                Unflatten([c, 7, 7])]
    }

    /// 7×7×(4w + extra) features → image: the three transposed convolutions (the conditional
    /// generator feeds its label map in as the extra channels).
    static func decoderLayers(width: Int, extraInputChannels: Int, channels: Int, using rng: inout RandomGenerator) -> [any Layer] {
        let c = 4 * width
        return [
            ConvTranspose2d(c + extraInputChannels, c / 2, kernelSize: 5, stride: 1, padding: 2, bias: false, using: &rng),
            BatchNorm2d(c / 2), LeakyReLU(0.2),
            ConvTranspose2d(c / 2, c / 4, kernelSize: 5, stride: 2, padding: 2, outputPadding: 1, bias: false, using: &rng),
            BatchNorm2d(c / 4), LeakyReLU(0.2),
            ConvTranspose2d(c / 4, channels, kernelSize: 5, stride: 2, padding: 2, outputPadding: 1, using: &rng),
            Tanh(),
        ]
    }
}

/// DCGAN discriminator for 28×28 images: Conv 5×5 s2 to w, LeakyReLU, dropout 0.3, Conv 5×5 s2
/// to 2w, LeakyReLU, dropout 0.3, Dense → 1 logit (optionally Dense → `hidden`, LeakyReLU,
/// Dense → 1). With `packing` k it judges k consecutive images at once (``SamplePacking``),
/// stacked along the channels.
public final class DCGAN28Discriminator: Module, Layer, SamplePacking {
    public let main: Sequential
    public let packing: Int

    /// - Parameters:
    ///   - dropout: 0 leaves the dropout layers out (a WGAN-GP critic), which shifts the later
    ///     layers' indices in `main`.
    ///   - minibatchGroupSize: adds the minibatch standard deviation (``MinibatchStandardDeviation``)
    ///     as one more 7×7 channel before the dense layer.
    ///   - hidden: a hidden dense layer of this many units (LeakyReLU 0.2) between the
    ///     convolutions and the logit, which judges the whole image at once: without it the logit
    ///     is a weighted sum of features that each see 13×13 pixels, and on the built-in shapes,
    ///     drawn anywhere in the frame, no sum of local features tells a blob from a square.
    public init(width: Int = 64, channels: Int = 1, dropout: Float = 0.3, minibatchGroupSize: Int? = nil, packing: Int = 1,
                hidden: Int? = nil, seed: UInt64 = 0, using rng: inout RandomGenerator) {
        self.packing = packing
        func drop(_ k: UInt64) -> [any Layer] { dropout > 0 ? [Dropout(dropout, seed: seed &+ k)] : [] }
        let statistic: [any Layer] = minibatchGroupSize.map { [MinibatchStandardDeviation(groupSize: $0)] } ?? []
        // The convolutions draw their weights first, then the head (as in PyTorch's module order).
        var layers: [any Layer] = [Conv2d(channels * packing, width, kernelSize: 5, stride: 2, padding: 2, using: &rng), LeakyReLU(0.2)]
        layers += drop(0)
        layers += [Conv2d(width, 2 * width, kernelSize: 5, stride: 2, padding: 2, using: &rng), LeakyReLU(0.2)]
        layers += drop(1) + statistic + [Flatten()]
        let features = (2 * width + statistic.count) * 7 * 7
        if let hidden {
            layers += [Linear(features, hidden, using: &rng), LeakyReLU(0.2), Linear(hidden, 1, using: &rng)]
        } else {
            layers.append(Linear(features, 1, using: &rng))
        }
        main = Sequential(layers)
    }

    public func forward(_ x: Tensor) -> Tensor { main(packed(x)) }
}
