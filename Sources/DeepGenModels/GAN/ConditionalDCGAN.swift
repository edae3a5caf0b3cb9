import DeepGen
import DeepGenNN

/// A class-conditional DCGAN generator for 28×28, in the ``DCGAN28Generator`` layout: z alone goes
/// through the dense layer to 7×7 features; the label's embedding, projected to one 7×7 map, joins
/// them as an extra channel before the transposed convolutions. (Mixing the label into z's dense
/// layer instead let the generator ignore z: one image per class.)
public final class ConditionalDCGAN28Generator: Module {
    public let labelEmbedding: Embedding
    public let labelProjection: Linear
    public let dense: Sequential
    public let decoder: Sequential
    public let latentSize: Int
    public let classCount: Int

    public init(latentSize: Int = 100, classCount: Int = 10, embeddingSize: Int = 50, width: Int = 64, channels: Int = 1,
                using rng: inout RandomGenerator) {
        self.latentSize = latentSize
        self.classCount = classCount
        labelEmbedding = Embedding(classCount, embeddingSize, using: &rng)
        labelProjection = Linear(embeddingSize, 7 * 7, using: &rng)
        dense = Sequential(DCGAN28Generator.denseLayers(latentSize: latentSize, width: width, using: &rng))
        decoder = Sequential(DCGAN28Generator.decoderLayers(width: width, extraInputChannels: 1, channels: channels, using: &rng))
    }

    public func callAsFunction(_ z: Tensor, labels: [Int]) -> Tensor {
        precondition(z.shape[0] == labels.count, "[ConditionalDCGAN28Generator] \(z.shape[0]) latents but \(labels.count) labels")
        let map = labelProjection(labelEmbedding(labels)).reshaped([labels.count, 1, 7, 7])
        return decoder(Tensor.concat([dense(z), map], axis: 1))
    }
}

/// A class-conditional DCGAN discriminator for 28×28: the label's embedding is projected to a
/// 28×28 map and stacked onto the image as one more channel.
public final class ConditionalDCGAN28Discriminator: Module {
    public let labelEmbedding: Embedding
    public let labelProjection: Linear
    public let discriminator: DCGAN28Discriminator

    public init(classCount: Int = 10, embeddingSize: Int = 50, width: Int = 64, channels: Int = 1, minibatchGroupSize: Int? = nil,
                hidden: Int? = nil, seed: UInt64 = 0, using rng: inout RandomGenerator) {
        labelEmbedding = Embedding(classCount, embeddingSize, using: &rng)
        labelProjection = Linear(embeddingSize, 28 * 28, using: &rng)
        discriminator = DCGAN28Discriminator(width: width, channels: channels + 1, minibatchGroupSize: minibatchGroupSize,
                                             hidden: hidden, seed: seed, using: &rng)
    }

    public func callAsFunction(_ x: Tensor, labels: [Int]) -> Tensor {
        precondition(x.rank == 4 && x.shape[2] == 28 && x.shape[3] == 28 && x.shape[0] == labels.count,
                     "[ConditionalDCGAN28Discriminator] needs [N, C, 28, 28] images and N labels, got \(x.shape) and \(labels.count)")
        let map = labelProjection(labelEmbedding(labels)).reshaped([labels.count, 1, 28, 28])
        return discriminator(Tensor.concat([x, map], axis: 1))
    }
}
