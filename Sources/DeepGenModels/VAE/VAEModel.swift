import DeepGen
import DeepGenNN
import DeepGenOptimizers

/// Training for the VAEs (`vae`, `conv-vae`): the negative ELBO (β·KL) in nats per image, Adam.
public final class VAEModel: GenerativeModel {
    public let config: ModelConfig
    public let vae: any VariationalAutoencoder
    public let network: TrainableNetwork
    public var networks: [TrainableNetwork] { [network] }
    public var lossNames: [String] { ["loss", "reconstruction", "kl"] }

    public init(config: ModelConfig, using rng: inout RandomGenerator) throws {
        try config.validate()
        self.config = config
        switch config.model {
        case .vae:
            vae = MLPVAE(imageShape: config.sampleShape, hidden: config.hiddenSize, latentSize: config.latentSize,
                         likelihood: config.likelihood, using: &rng)
        case .convVAE:
            vae = ConvVAE(channels: config.sampleShape[0], width: config.width == 64 ? 32 : config.width,
                          latentSize: config.latentSize, likelihood: config.likelihood, using: &rng)
        default:
            throw ConfigurationError(message: "\(config.model.rawValue) is not a VAE")
        }
        network = TrainableNetwork(name: "vae", module: vae, optimizer: Adam(learningRate: config.learningRate, betas: (config.beta1, config.beta2)))
    }

    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        let x = config.binarize == true ? batch.inputs.bernoulliSample(using: &rng) : batch.inputs
        let terms = vae.elbo(x, beta: config.klWeight, using: &rng)
        let loss = optimize(terms.loss, [network])
        return ["loss": loss, "reconstruction": terms.reconstruction.mean().scalar, "kl": terms.kl.mean().scalar]
    }

    public func previewSamples() -> Tensor {
        var rng = RandomGenerator(seed: config.seed ^ 0x5EED_F1CE)
        return evaluating { vae.sample(count: 64, using: &rng) }
    }

    /// The fixed binarization of evaluation images: image `indices[i]` of the dataset always gets
    /// the same bits, however the images are batched. The images themselves when the model
    /// trains on continuous pixels.
    public func evaluationImages(_ images: Tensor, indices: [Int]) -> Tensor {
        guard config.binarize == true else { return images }
        precondition(indices.count == images.shape[0], "[evaluationImages] \(indices.count) indices for \(images.shape[0]) images")
        let pixels = images.count / max(images.shape[0], 1)
        let x = images.scalars
        var bits = [Float](repeating: 0, count: x.count)
        for (row, index) in indices.enumerated() {
            var rng = RandomGenerator(seed: 0xB1_4A_12E0 &+ UInt64(index))
            let u = Tensor.uniform([pixels], using: &rng).scalars
            for j in 0..<pixels where u[j] < x[row * pixels + j] { bits[row * pixels + j] = 1 }
        }
        return Tensor(shape: images.shape, scalars: bits)
    }

    /// Images decoded from z ~ N(0, I).
    public func sample(count: Int, using rng: inout RandomGenerator) -> Tensor {
        evaluating { vae.sample(count: count, using: &rng) }
    }
}
