import DeepGen
import DeepGenData
import DeepGenNN
import DeepGenOptimizers

/// Training for the VAEs (`vae`, `conv-vae`): the negative ELBO (β·KL) in nats per image.
public final class VAEModel: GenerativeModel, PriorSampling, Reconstructing, LikelihoodScoring, TestSetEvaluating {
    public let config: ModelConfig
    public let hyperparameters: VAEHyperparameters
    public let vae: any VariationalAutoencoder
    public let network: TrainableNetwork
    public var networks: [TrainableNetwork] { [network] }
    public var lossNames: [String] { ["loss", "reconstruction", "kl"] }

    public init(config: ModelConfig, hyperparameters h: VAEHyperparameters, using rng: inout RandomGenerator) throws {
        self.config = config
        hyperparameters = h
        switch config.model {
        case "vae":
            vae = MLPVAE(imageShape: config.sampleShape, hidden: h.hiddenSize ?? 400, latentSize: h.latentSize,
                         likelihood: h.likelihood, flowLength: h.flow == nil ? 0 : h.flowLength ?? 0, using: &rng)
        case "conv-vae":
            vae = ConvVAE(channels: config.sampleShape[0], width: h.width ?? 32, latentSize: h.latentSize, likelihood: h.likelihood, using: &rng)
        default:
            throw ConfigurationError(message: "\(config.model) is not a VAE")
        }
        network = TrainableNetwork(name: "vae", module: vae, optimizer: config.training.optimizer.makeOptimizer())
    }

    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        let x = hyperparameters.binarize ? batch.inputs.bernoulliSample(using: &rng) : batch.inputs
        let terms = vae.elbo(x, beta: hyperparameters.klWeight, using: &rng)
        let loss = optimize(terms.loss, [network])
        return ["loss": loss, "reconstruction": terms.reconstruction.mean().scalar, "kl": terms.kl.mean().scalar]
    }

    public func preview() -> Preview {
        var rng = RandomGenerator(seed: config.training.seed ^ 0x5EED_F1CE)
        return .images(evaluating { vae.sample(count: 64, using: &rng) }, columns: 8)
    }

    /// The fixed binarization of evaluation images: image `indices[i]` of the dataset always gets
    /// the same bits, however the images are batched. The images themselves when the model
    /// trains on continuous pixels.
    public func evaluationImages(_ images: Tensor, indices: [Int]) -> Tensor {
        guard hyperparameters.binarize else { return images }
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

    /// Images decoded from z ~ N(0, I); a VAE has no classes, so `label` must be `nil`.
    public func sample(count: Int, label: Int? = nil, using rng: inout RandomGenerator) -> Tensor {
        precondition(label == nil, "[VAEModel.sample] a VAE is not conditional")
        return evaluating { vae.sample(count: count, using: &rng) }
    }

    public func reconstruct(_ images: Tensor) -> Tensor { evaluating { vae.reconstruct(images) } }

    public func interpolate(from a: Tensor, to b: Tensor, steps: Int) -> Tensor {
        evaluating { vae.interpolate(from: a, to: b, steps: steps) }
    }

    /// The ELBO averaged over the draws (the bound) and the importance-weighted estimate.
    public func logLikelihood(_ x: Tensor, indices: [Int], samples: Int, using rng: inout RandomGenerator) throws -> (bound: [Double], estimate: [Double]) {
        let images = evaluationImages(x, indices: indices)
        return try evaluating { try vae.importanceWeightedLogLikelihood(images, samples: samples, using: &rng) }
    }

    public var testMetricColumns: [String] { ["test_loss"] }

    /// The negative ELBO on the test split (one z per image, posterior noise from a fixed seed),
    /// in nats per image: the figure the VAE literature reports.
    public func evaluateTestSet(_ test: any Dataset) throws -> [EpochMetric] {
        let loader = try DataLoader(dataset: test, batchSize: 500, shuffle: false, dropLast: false, prefetch: true)
        var rng = RandomGenerator(seed: 0x7E57)
        var total: Double = 0
        var count = 0
        try evaluating {
            while let batch = try loader.next() {
                let terms = vae.elbo(evaluationImages(batch.images, indices: batch.indices), beta: 1, using: &rng)
                total += Double(terms.loss.scalar) * Double(batch.count)
                count += batch.count
            }
        }
        let nelbo = Float(total / Double(max(count, 1)))
        return [EpochMetric(column: "test_loss", tag: "test/negative_elbo", value: nelbo,
                            message: String(format: "test negative ELBO %.2f nats per image", nelbo))]
    }
}

extension VAEModel {
    /// The model `config` describes, checked first (its hyperparameters must be VAEHyperparameters).
    public convenience init(config: ModelConfig, using rng: inout RandomGenerator) throws {
        try config.validate()
        try self.init(config: config, hyperparameters: config.hyperparameters(as: VAEHyperparameters.self), using: &rng)
    }
}
