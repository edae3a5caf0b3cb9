import DeepGen
import DeepGenNN
import DeepGenOptimizers

/// Adversarial training for the GAN family (`gan`, `dcgan`, `wgan-gp`, `cdcgan`): a generator
/// and a discriminator (critic), each with Adam, trained in alternation.
///
/// Each batch takes one discriminator step; the generator steps on every `criticSteps`-th batch
/// (1 for GANs, 5 for WGAN-GP). WGAN-GP adds λ·GP with one interpolation weight per sample.
public final class GANModel: GenerativeModel {
    public let config: ModelConfig
    public let generator: TrainableNetwork
    public let discriminator: TrainableNetwork
    public var networks: [TrainableNetwork] { [generator, discriminator] }
    public var lossNames: [String] {
        config.model == .wganGP ? ["loss_d", "loss_g", "gradient_penalty", "wasserstein"]
            : ["loss_d", "loss_g", "d_real", "d_fake"] + ((config.r1Weight ?? 0) > 0 ? ["r1"] : [])
    }
    /// Counts discriminator steps so the generator steps every `criticSteps`-th one; saved with
    /// the model so a resumed run keeps the rhythm.
    public private(set) var discriminatorSteps = 0
    private let generate: (Tensor, [Int]) -> Tensor
    private let discriminate: (Tensor, [Int]) -> Tensor
    /// The generator's loss at its last step; `nil` until its first (WGAN-GP's first critic steps).
    private var lastGeneratorLoss: Float?

    public init(config: ModelConfig, using rng: inout RandomGenerator) throws {
        try config.validate()
        self.config = config
        let adam = Adam(learningRate: config.learningRate, betas: (config.beta1, config.beta2))
        let shape = config.sampleShape
        let isPoints = shape.count == 1
        let g: Module, d: Module
        // The classic GAN is an MLP; WGAN-GP is an MLP on 2-D points and convolutional on images.
        let useMLP = config.model == .gan || (config.model == .wganGP && isPoints)
        switch config.model {
        case _ where useMLP:
            // On 2-D points both networks have three hidden layers of `hiddenSize`.
            let pointsHidden = [Int](repeating: config.hiddenSize, count: 3)
            let gen = MLPGenerator(latentSize: config.latentSize, hidden: isPoints ? pointsHidden : [256, 512, 1024],
                                   outputShape: shape, outputActivation: !isPoints, using: &rng)
            let dis = MLPDiscriminator(inputSize: shape.reduce(1, *), hidden: isPoints ? pointsHidden : [512, 256], using: &rng)
            g = gen; d = dis
            generate = { z, _ in gen(z) }
            discriminate = { x, _ in dis(x) }
        case .dcgan, .wganGP:
            let channels = shape[0], side = shape[1]
            if side == 28 {
                let gen = DCGAN28Generator(latentSize: config.latentSize, width: config.width, channels: channels, using: &rng)
                let dis = DCGAN28Discriminator(width: config.width, channels: channels, dropout: config.model == .wganGP ? 0 : 0.3,
                                               seed: config.seed &+ 101, using: &rng)
                g = gen; d = dis
                generate = { z, _ in gen(z) }
                discriminate = { x, _ in dis(x) }
            } else {
                let gen = DCGANGenerator(latentSize: config.latentSize, imageSize: side, width: config.width, channels: channels, using: &rng)
                let dis = DCGANDiscriminator(imageSize: side, width: config.width, channels: channels,
                                             batchNorm: config.model != .wganGP, using: &rng)
                gen.apply { Initializer.dcgan($0, using: &rng) }
                dis.apply { Initializer.dcgan($0, using: &rng) }
                g = gen; d = dis
                generate = { z, _ in gen(z) }
                discriminate = { x, _ in dis(x) }
            }
        case .conditionalDCGAN:
            let gen = ConditionalDCGAN28Generator(latentSize: config.latentSize, classCount: config.classCount, width: config.width,
                                                  channels: shape[0], using: &rng)
            let dis = ConditionalDCGAN28Discriminator(classCount: config.classCount, width: config.width, channels: shape[0],
                                                      seed: config.seed &+ 101, using: &rng)
            g = gen; d = dis
            generate = { z, labels in gen(z, labels: labels) }
            discriminate = { x, labels in dis(x, labels: labels) }
        default:
            throw ConfigurationError(message: "\(config.model.rawValue) is not a GAN")
        }
        generator = TrainableNetwork(name: "generator", module: g, optimizer: adam)
        discriminator = TrainableNetwork(name: "discriminator", module: d, optimizer: adam)
    }

    public var isConditional: Bool { config.model == .conditionalDCGAN }

    /// Generates `count` samples from z ~ N(0, I) (of class `label` for a conditional model;
    /// classes in turn otherwise).
    public func sample(count: Int, label: Int? = nil, using rng: inout RandomGenerator) -> Tensor {
        let z = Tensor.normal([count, config.latentSize], using: &rng)
        let classes = config.trainedClasses
        let labels = (0..<count).map { label ?? classes[$0 % classes.count] }
        return evaluating { toDataScale(generate(z, labels)) }
    }

    public func previewSamples() -> Tensor {
        var rng = RandomGenerator(seed: config.seed ^ 0x5EED_F1CE)
        let count = config.sampleShape.count == 1 ? 1000 : 64
        // Conditional models show each trained class in a row of eight.
        let classes = config.trainedClasses
        let labels = (0..<count).map { classes[($0 / 8) % classes.count] }
        let z = Tensor.normal([count, config.latentSize], using: &rng)
        return evaluating { toDataScale(generate(z, labels)) }
    }

    /// Generator output in the data's units (see ``ModelConfig/dataScale``).
    private func toDataScale(_ x: Tensor) -> Tensor {
        guard let s = config.dataScale, s != 1 else { return x }
        return x * s
    }

    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        let real = config.dataScale.map { batch.inputs / $0 } ?? batch.inputs
        let n = real.shape[0]
        let labels = isConditional ? batch.labels : []
        let classes = config.trainedClasses
        let fakeLabels = isConditional ? (0..<n).map { _ in classes[rng.nextInt(below: classes.count)] } : []
        let z = Tensor.normal([n, config.latentSize], using: &rng)
        let fake = generate(z, fakeLabels)
        var out: [String: Float] = [:]

        // Discriminator (critic) step on a detached fake.
        let dReal = discriminate(real, labels), dFake = discriminate(fake.detached(), fakeLabels)
        var dLoss = config.objective.discriminatorLoss(real: dReal, fake: dFake)
        if config.model == .wganGP {
            let penalty = Loss.gradientPenalty(critic: { discriminate($0, labels) }, real: real, fake: fake, using: &rng)
            dLoss = dLoss + config.gradientPenaltyWeight * penalty
            out["gradient_penalty"] = penalty.scalar
            out["wasserstein"] = (dReal.mean() - dFake.mean()).scalar
        } else {
            if let gamma = config.r1Weight, gamma > 0 {
                let penalty = Loss.r1Penalty(critic: { discriminate($0, labels) }, real: real)
                dLoss = dLoss + (gamma / 2) * penalty
                out["r1"] = penalty.scalar
            }
            out["d_real"] = dReal.sigmoid().mean().scalar
            out["d_fake"] = dFake.sigmoid().mean().scalar
        }
        out["loss_d"] = optimize(dLoss, [discriminator])
        discriminatorSteps += 1

        // Generator step every `criticSteps` discriminator steps, through the updated discriminator.
        if discriminatorSteps % max(config.criticSteps, 1) == 0 {
            let gLoss = config.objective.generatorLoss(fake: discriminate(fake, fakeLabels))
            lastGeneratorLoss = optimize(gLoss, [generator])
        }
        out["loss_g"] = lastGeneratorLoss
        return out
    }

    public func extraState() -> [String: Tensor] {
        ["discriminator_steps": Tensor(Float(discriminatorSteps)), "last_generator_loss": Tensor(lastGeneratorLoss ?? .nan)]
    }

    public func loadExtraState(_ tensors: [String: Tensor]) throws {
        guard let steps = tensors["discriminator_steps"], let last = tensors["last_generator_loss"] else {
            throw CheckpointRestoreError(message: "checkpoint lacks the GAN step counter (extra.discriminator_steps)")
        }
        discriminatorSteps = Int(steps.scalar)
        lastGeneratorLoss = last.scalar.isNaN ? nil : last.scalar
    }
}
