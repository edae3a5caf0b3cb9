import DeepGen
import DeepGenNN
import DeepGenOptimizers

/// Adversarial training for the GAN family (`gan`, `dcgan`, `wgan-gp`, `cdcgan`): a generator
/// and a discriminator (critic), each with its own optimizer, trained in alternation.
///
/// Each batch takes one discriminator step; the generator steps on every `criticSteps`-th batch
/// (1 for GANs, 5 for WGAN-GP). WGAN-GP adds λ·GP with one interpolation weight per sample.
public final class GANModel: GenerativeModel, PriorSampling, WeightAveraging {
    public let config: ModelConfig
    public let hyperparameters: GANHyperparameters
    public let generator: TrainableNetwork
    public let discriminator: TrainableNetwork
    public var networks: [TrainableNetwork] { [generator, discriminator] }
    public var lossNames: [String] {
        isWGAN ? ["loss_d", "loss_g", "gradient_penalty", "wasserstein"]
            : ["loss_d", "loss_g", "d_real", "d_fake"] + ((hyperparameters.r1Weight ?? 0) > 0 ? ["r1"] : [])
    }
    public let variant: GANVariant
    /// WGAN-GP: a critic without BatchNorm or dropout, trained with the gradient penalty.
    var isWGAN: Bool { variant == .wganGP }
    /// Counts discriminator steps so the generator steps every `criticSteps`-th one; saved with
    /// the model so a resumed run keeps the rhythm.
    public private(set) var discriminatorSteps = 0
    private let generate: (Tensor, [Int]) -> Tensor
    private let discriminate: (Tensor, [Int]) -> Tensor
    /// Whether the discriminator step sends real and fake through in one joint batch: only where
    /// the outputs are the two passes' (no BatchNorm, whose statistics would mix them; no spectral
    /// normalization, whose power iteration steps once per pass) and it measured faster (MLPs).
    var discriminatorTakesJointBatch: Bool
    /// The generator's loss at its last step; `nil` until its first (WGAN-GP's first critic steps).
    private var lastGeneratorLoss: Float?

    /// Builds the networks of `config.model` (one of ``GANFamily``'s names), drawing initial
    /// weights from `rng`.
    public init(config: ModelConfig, hyperparameters h: GANHyperparameters, using rng: inout RandomGenerator) throws {
        self.config = config
        hyperparameters = h
        let variant = try GANVariant(config.model)
        self.variant = variant
        let shape = config.sampleShape
        let isPoints = config.data.kind == .points
        let seed = config.training.seed
        let (g, generate) = Self.makeGenerator(variant: variant, hyperparameters: h, config: config, using: &rng)
        self.generate = generate
        let d: Module
        let width = h.width ?? 64
        let wgan = variant == .wganGP
        switch variant {
        // The classic GAN is an MLP everywhere; WGAN-GP on 2-D points.
        case .gan, .wganGP where isPoints:
            // On 2-D points both networks have three hidden layers of `hiddenSize`.
            let pointsHidden = [Int](repeating: h.hiddenSize ?? 128, count: 3)
            let dis = MLPDiscriminator(inputSize: shape.reduce(1, *), hidden: isPoints ? pointsHidden : [512, 256],
                                       minibatchGroupSize: h.minibatchGroupSize, packing: h.packing ?? 1, using: &rng)
            d = dis
            discriminate = { x, _ in dis(x) }
        case .dcgan, .wganGP:
            let channels = shape[0], side = shape[1]
            if side == 28 {
                let dis = DCGAN28Discriminator(width: width, channels: channels, dropout: wgan ? 0 : 0.3,
                                               minibatchGroupSize: h.minibatchGroupSize, packing: h.packing ?? 1,
                                               hidden: h.discriminatorHidden, seed: seed &+ 101, using: &rng)
                d = dis
                discriminate = { x, _ in dis(x) }
            } else {
                let dis = DCGANDiscriminator(imageSize: side, width: width, channels: channels,
                                             batchNorm: !wgan, minibatchGroupSize: h.minibatchGroupSize, packing: h.packing ?? 1,
                                             using: &rng)
                g.apply { Initializer.dcgan($0, using: &rng) }
                dis.apply { Initializer.dcgan($0, using: &rng) }
                d = dis
                discriminate = { x, _ in dis(x) }
            }
        case .cdcgan:
            let dis = ConditionalDCGAN28Discriminator(classCount: h.classCount ?? 1, width: width, channels: shape[0],
                                                      minibatchGroupSize: h.minibatchGroupSize, hidden: h.discriminatorHidden,
                                                      seed: seed &+ 101, using: &rng)
            d = dis
            discriminate = { x, labels in dis(x, labels: labels) }
        }
        if h.spectralNorm == true {
            // Its own draws for the power-iteration vectors, as for the average below.
            var scratch = RandomGenerator(seed: seed ^ 0x5EC7)
            d.applySpectralNormToLayers(using: &scratch)
        }
        // R1 differentiates the discriminator's input gradient: through synchronized BatchNorm
        // statistics that would be a second derivative across processes, which DeepGen does not
        // take. Read from the layers built, so the rule follows the architectures.
        if (h.r1Weight ?? 0) > 0, config.training.syncBatchNorm == true, d.namedModules().contains(where: { $0.1 is BatchNorm }) {
            let side = shape.last ?? 0
            throw ConfigurationError(message: "--r1 cannot go with --sync-batchnorm for \(variant.rawValue) on \(side)×\(side) images: its discriminator has BatchNorm, and the penalty would differentiate through statistics shared across processes")
        }
        // Measured (ab.py --baseline, Zen 5, one thread): the MLP discriminator 7–11% faster per
        // step; the convolutional one (dcgan) 0.95–0.98×, so convolutions keep two passes. The
        // minibatch statistic's groups must not mix real and fake samples either.
        discriminatorTakesJointBatch = h.spectralNorm != true
            && !d.namedModules().contains { $0.1 is BatchNorm || $0.1 is Conv2d || $0.1 is MinibatchStandardDeviation }
        generator = TrainableNetwork(name: "generator", module: g, optimizer: config.training.optimizer.makeOptimizer())
        discriminator = TrainableNetwork(name: "discriminator", module: d, optimizer: config.training.optimizer.makeOptimizer())
        // Two time-scale updates: each network's rate relative to the run's.
        generator.useOwnLearningRate(h.generatorLearningRate, runRate: config.training.optimizer.learningRate)
        discriminator.useOwnLearningRate(h.discriminatorLearningRate, runRate: config.training.optimizer.learningRate)
        // The moving average starts as a copy of the initial generator; its own draws come from
        // a generator of their own, so a run without it draws exactly what it did before.
        if let decay = h.emaDecay {
            var scratch = RandomGenerator(seed: seed ^ 0xE3A)
            let (copy, generateAveraged) = Self.makeGenerator(variant: variant, hyperparameters: h, config: config, using: &scratch)
            average = (try WeightAverage(of: g, into: copy, decay: decay), generateAveraged)
        }
    }

    /// The generator of `variant` for `config`'s data and its forward function (noise, labels → samples).
    static func makeGenerator(variant: GANVariant, hyperparameters h: GANHyperparameters, config: ModelConfig,
                              using rng: inout RandomGenerator) -> (Module, (Tensor, [Int]) -> Tensor) {
        let shape = config.sampleShape
        let isPoints = config.data.kind == .points
        let width = h.width ?? 64
        switch variant {
        case .gan, .wganGP where isPoints:
            let pointsHidden = [Int](repeating: h.hiddenSize ?? 128, count: 3)
            let gen = MLPGenerator(latentSize: h.latentSize, hidden: isPoints ? pointsHidden : [256, 512, 1024],
                                   outputShape: shape, outputActivation: !isPoints, batchNorm: h.generatorBatchNorm == true,
                                   using: &rng)
            return (gen, { z, _ in gen(z) })
        case .dcgan, .wganGP:
            if shape[1] == 28 {
                let gen = DCGAN28Generator(latentSize: h.latentSize, width: width, channels: shape[0], using: &rng)
                return (gen, { z, _ in gen(z) })
            }
            let gen = DCGANGenerator(latentSize: h.latentSize, imageSize: shape[1], width: width, channels: shape[0], using: &rng)
            return (gen, { z, _ in gen(z) })
        case .cdcgan:
            let gen = ConditionalDCGAN28Generator(latentSize: h.latentSize, classCount: h.classCount ?? 1, width: width,
                                                  channels: shape[0], using: &rng)
            return (gen, { z, labels in gen(z, labels: labels) })
        }
    }

    /// With `--ema`: the generator's moving average and its forward function.
    private var average: (weights: WeightAverage, generate: (Tensor, [Int]) -> Tensor)?
    /// Whether samples come from the moving average (when there is one).
    public var usesAveragedWeights = true
    public var averagedNetworks: [(name: String, module: Module)] { average.map { [("generator_ema", $0.weights.module)] } ?? [] }

    /// The forward function samples come from: the moving average's unless turned off, with
    /// BatchNorm statistics of its own.
    private func sampler() -> (Tensor, [Int]) -> Tensor {
        guard usesAveragedWeights, let average else { return generate }
        // Running statistics copied from the trained generator normalize the average's
        // activations with another network's (DCGAN on Fashion-MNIST, --ema 0.999: FID 254.1 →
        // 243.3). They are recomputed over 4,096 draws in batches of the training size, from a
        // seed of their own, so neither training nor sampling draws differently.
        let batch = max(config.training.batchSize, 2)
        let classes = self.classes, latentSize = hyperparameters.latentSize
        var rng = RandomGenerator(seed: config.training.seed ^ 0xBA7C_5747)
        average.weights.updateStatistics(batches: (4096 + batch - 1) / batch) { _ in
            let z = Tensor.normal([batch, latentSize], using: &rng)
            _ = average.generate(z, (0..<batch).map { classes[$0 % classes.count] })
        }
        return average.generate
    }

    public var isConditional: Bool { variant == .cdcgan }
    public var conditioningClasses: [Int]? { isConditional ? hyperparameters.trainedClasses : nil }
    /// The labels the generator draws from (an unconditional model ignores them).
    private var classes: [Int] { hyperparameters.trainedClasses ?? [0] }

    /// Generates `count` samples from z ~ N(0, I) (of class `label` for a conditional model;
    /// classes in turn otherwise).
    public func sample(count: Int, label: Int? = nil, using rng: inout RandomGenerator) -> Tensor {
        let z = Tensor.normal([count, hyperparameters.latentSize], using: &rng)
        let classes = self.classes
        let labels = (0..<count).map { label ?? classes[$0 % classes.count] }
        let forward = sampler()
        return evaluating { toDataScale(forward(z, labels)) }
    }

    public func preview() -> Preview {
        var rng = RandomGenerator(seed: config.training.seed ^ 0x5EED_F1CE)
        let points = config.data.kind == .points
        let count = points ? 1000 : 64
        // Conditional models show each trained class in a row of eight.
        let classes = self.classes
        let labels = (0..<count).map { classes[($0 / 8) % classes.count] }
        let z = Tensor.normal([count, hyperparameters.latentSize], using: &rng)
        let forward = sampler()
        let samples = evaluating { toDataScale(forward(z, labels)) }
        return points ? .points(samples) : .images(samples, columns: 8)
    }

    /// Generator output in the data's units (see ``GANHyperparameters/dataScale``).
    private func toDataScale(_ x: Tensor) -> Tensor {
        guard let s = hyperparameters.dataScale, s != 1 else { return x }
        return x * s
    }

    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        let h = hyperparameters
        let real = h.dataScale.map { batch.inputs / $0 } ?? batch.inputs
        let n = real.shape[0]
        let labels = isConditional ? batch.labels : []
        let classes = self.classes
        let fakeLabels = isConditional ? rng.perSample(n) { classes[$0.nextInt(below: classes.count)] } : []
        let z = Tensor.normal(perSample: [n, h.latentSize], using: &rng)
        let fake = generate(z, fakeLabels)
        var out: [String: Float] = [:]

        // Discriminator (critic) step on a detached fake. Without batch statistics or a power
        // iteration per pass, real and fake go through in one pass of twice the batch: the same
        // outputs (dropout masks are drawn row by row, real rows first, as in two passes), one
        // pass over the weights instead of two, and larger products.
        let dReal, dFake: Tensor
        if discriminatorTakesJointBatch {
            let joint = discriminate(Tensor.concat([real, fake.detached()]), labels + fakeLabels)
            let m = joint.shape[0] / 2  // n, or n / k packs of k
            (dReal, dFake) = (joint.sliced(axis: 0, 0..<m), joint.sliced(axis: 0, m..<(2 * m)))
        } else {
            (dReal, dFake) = (discriminate(real, labels), discriminate(fake.detached(), fakeLabels))
        }
        var dLoss = h.objective.discriminatorLoss(real: dReal, fake: dFake)
        if isWGAN {
            let penalty = Loss.gradientPenalty(critic: { discriminate($0, labels) }, real: real, fake: fake, using: &rng)
            dLoss = dLoss + (h.gradientPenaltyWeight ?? 10) * penalty
            out["gradient_penalty"] = penalty.scalar
            out["wasserstein"] = (dReal.mean() - dFake.mean()).scalar
        } else {
            if let gamma = h.r1Weight, gamma > 0 {
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
        if discriminatorSteps % max(h.criticSteps, 1) == 0 {
            let gLoss = h.objective.generatorLoss(fake: discriminate(fake, fakeLabels))
            lastGeneratorLoss = optimize(gLoss, [generator])
            average?.weights.update(step: discriminatorSteps / max(h.criticSteps, 1))
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
        guard steps.count == 1, last.count == 1, let count = Int(exactly: steps.scalar), count >= 0 else {
            throw CheckpointRestoreError(message: "the GAN step counter in the checkpoint is malformed (extra.discriminator_steps \(steps.shape), extra.last_generator_loss \(last.shape))")
        }
        discriminatorSteps = count
        lastGeneratorLoss = last.scalar.isNaN ? nil : last.scalar
    }
}

extension GANModel {
    /// The model `config` describes, checked first (its hyperparameters must be GANHyperparameters).
    public convenience init(config: ModelConfig, using rng: inout RandomGenerator) throws {
        try config.validate()
        try self.init(config: config, hyperparameters: config.hyperparameters(as: GANHyperparameters.self), using: &rng)
    }
}
