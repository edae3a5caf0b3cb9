import DeepGen
import DeepGenNN

/// The generator of the classic fully connected GAN (Goodfellow et al. 2014, as commonly
/// reproduced): z → 256 → 512 → 1024 → prod(outputShape), LeakyReLU 0.2 between layers, tanh out.
/// With `hidden: [128, 128]` and `outputShape: [2]` it serves the 2-D mixtures.
/// With `batchNorm`, every hidden layer after the first is normalized (BatchNorm1d before its
/// LeakyReLU), as in PyTorch-GAN's `gan.py`.
public final class MLPGenerator: Module, Layer {
    public let main: Sequential
    public let latentSize: Int
    public let outputShape: [Int]

    public init(latentSize: Int = 100, hidden: [Int] = [256, 512, 1024], outputShape: [Int] = [1, 28, 28],
                outputActivation: Bool = true, batchNorm: Bool = false, using rng: inout RandomGenerator) {
        self.latentSize = latentSize
        self.outputShape = outputShape
        var layers: [any Layer] = []
        var width = latentSize
        for (i, h) in hidden.enumerated() {
            layers.append(Linear(width, h, using: &rng))
            if batchNorm, i > 0 { layers.append(BatchNorm1d(h)) }
            layers.append(LeakyReLU(0.2))
            width = h
        }
        layers.append(Linear(width, outputShape.reduce(1, *), using: &rng))
        if outputActivation { layers.append(Tanh()) }
        main = Sequential(layers)
    }

    public func forward(_ z: Tensor) -> Tensor { main(z).reshaped([z.shape[0]] + outputShape) }
}

/// The discriminator of the classic GAN: input → 512 → 256 → 1 logit, LeakyReLU 0.2.
/// Without BatchNorm it also serves as a WGAN critic. With `minibatchGroupSize`, the last hidden
/// features gain the minibatch standard deviation (``MinibatchStandardDeviation``) before the logit.
/// With `packing` k it judges k consecutive samples at once (``SamplePacking``): its input is k
/// samples' features, one after the other.
public final class MLPDiscriminator: Module, Layer, SamplePacking {
    public let main: Sequential
    public let packing: Int

    public init(inputSize: Int = 784, hidden: [Int] = [512, 256], minibatchGroupSize: Int? = nil, packing: Int = 1,
                using rng: inout RandomGenerator) {
        self.packing = packing
        var layers: [any Layer] = []
        var width = inputSize * packing
        for h in hidden { layers += [Linear(width, h, using: &rng), LeakyReLU(0.2)]; width = h }
        if let group = minibatchGroupSize { layers.append(MinibatchStandardDeviation(groupSize: group)); width += 1 }
        layers.append(Linear(width, 1, using: &rng))
        main = Sequential(layers)
    }

    public func forward(_ x: Tensor) -> Tensor { main(packed(x.flattened(from: 1))) }
}
