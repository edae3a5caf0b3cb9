import DeepGen
import DeepGenNN

/// The DCGAN generator of Radford et al. (2015) as in PyTorch's examples: z as a 1×1 image,
/// transposed convolutions 4×4 doubling the size from 4×4 to `imageSize` (32 or 64), BatchNorm and
/// ReLU between, tanh out. Child names match `pytorch/examples/dcgan` (`main.N`).
public final class DCGANGenerator: Module, Layer {
    public let main: Sequential
    public let latentSize: Int

    public init(latentSize: Int = 100, imageSize: Int = 64, width: Int = 64, channels: Int = 3, using rng: inout RandomGenerator) {
        precondition(imageSize == 32 || imageSize == 64, "[DCGANGenerator] image size must be 32 or 64, got \(imageSize)")
        self.latentSize = latentSize
        let stages = imageSize == 64 ? 3 : 2
        var c = width << stages
        var layers: [any Layer] = [
            ConvTranspose2d(latentSize, c, kernelSize: 4, stride: 1, padding: 0, bias: false, using: &rng), BatchNorm2d(c), ReLU(),
        ]
        for _ in 0..<stages {
            layers += [ConvTranspose2d(c, c / 2, kernelSize: 4, stride: 2, padding: 1, bias: false, using: &rng), BatchNorm2d(c / 2), ReLU()]
            c /= 2
        }
        layers += [ConvTranspose2d(c, channels, kernelSize: 4, stride: 2, padding: 1, bias: false, using: &rng), Tanh()]
        main = Sequential(layers)
    }

    public func forward(_ z: Tensor) -> Tensor { main(z.reshaped([z.shape[0], latentSize, 1, 1])) }
}

/// The DCGAN discriminator of Radford et al.: 4×4 stride-2 convolutions halving the size down to
/// 4×4 with BatchNorm (not on the first) and LeakyReLU 0.2, then a 4×4 convolution to one logit.
/// `batchNorm: false` gives a WGAN-GP critic (a per-sample gradient penalty forbids BatchNorm);
/// `minibatchGroupSize` adds the minibatch standard deviation as one more 4×4 channel before the
/// last convolution. With `packing` k it judges k consecutive images at once (``SamplePacking``),
/// stacked along the channels.
public final class DCGANDiscriminator: Module, Layer, SamplePacking {
    public let main: Sequential
    public let packing: Int

    public init(imageSize: Int = 64, width: Int = 64, channels: Int = 3, batchNorm: Bool = true, minibatchGroupSize: Int? = nil,
                packing: Int = 1, using rng: inout RandomGenerator) {
        self.packing = packing
        precondition(imageSize == 32 || imageSize == 64, "[DCGANDiscriminator] image size must be 32 or 64, got \(imageSize)")
        let stages = imageSize == 64 ? 3 : 2
        var c = width
        var layers: [any Layer] = [Conv2d(channels * packing, c, kernelSize: 4, stride: 2, padding: 1, bias: false, using: &rng), LeakyReLU(0.2)]
        for _ in 0..<stages {
            layers.append(Conv2d(c, 2 * c, kernelSize: 4, stride: 2, padding: 1, bias: false, using: &rng))
            if batchNorm { layers.append(BatchNorm2d(2 * c)) }
            layers.append(LeakyReLU(0.2))
            c *= 2
        }
        if let group = minibatchGroupSize { layers.append(MinibatchStandardDeviation(groupSize: group)) }
        layers.append(Conv2d(c + (minibatchGroupSize == nil ? 0 : 1), 1, kernelSize: 4, stride: 1, padding: 0, bias: false, using: &rng))
        main = Sequential(layers)
    }

    public func forward(_ x: Tensor) -> Tensor { main(packed(x)).reshaped([x.shape[0] / packing, 1]) }
}
