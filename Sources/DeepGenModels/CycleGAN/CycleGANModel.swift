import DeepGen
import DeepGenData
import DeepGenNN
import DeepGenOptimizers

/// CycleGAN training (Zhu et al. 2017, as the authors' code does it): generators A→B and B→A,
/// discriminators judging domain A and domain B images, least-squares adversarial losses, cycle
/// loss λ·‖G_BA(G_AB(a)) − a‖₁ (and back), identity loss 0.5·λ·‖G_AB(b) − b‖₁ (and back), and
/// discriminators trained on an image pool of past fakes, loss halved.
public final class CycleGANModel: GenerativeModel, DomainTranslating, WeightAveraging {
    public let config: ModelConfig
    public let hyperparameters: CycleGANHyperparameters
    public let generatorAB: TrainableNetwork
    public let generatorBA: TrainableNetwork
    public let discriminatorA: TrainableNetwork
    public let discriminatorB: TrainableNetwork
    public var networks: [TrainableNetwork] { [generatorAB, generatorBA, discriminatorA, discriminatorB] }
    public var lossNames: [String] { ["loss_g", "adv_ab", "adv_ba", "cycle_a", "cycle_b", "idt_a", "idt_b", "loss_d_a", "loss_d_b"] }
    public private(set) var poolA: ImagePool
    public private(set) var poolB: ImagePool
    /// Fixed domain images for the preview grid (taken from the training data by ``prepare(trainingData:)``).
    public var previewInputs: (a: Tensor, b: Tensor)?

    public init(config: ModelConfig, hyperparameters h: CycleGANHyperparameters, using rng: inout RandomGenerator) throws {
        guard config.model == "cyclegan" else { throw ConfigurationError(message: "\(config.model) is not CycleGAN") }
        self.config = config
        hyperparameters = h
        let c = config.sampleShape[0]
        func resnet(_ rng: inout RandomGenerator) -> ResnetGenerator {
            let g = ResnetGenerator(inputChannels: c, outputChannels: c, width: h.width, blocks: h.residualBlocks, using: &rng)
            // CycleGAN initializes every conv with N(0, 0.02), biases 0.
            g.apply { CycleGANModel.initialize($0, using: &rng) }
            return g
        }
        func patch(_ rng: inout RandomGenerator) -> PatchDiscriminator {
            let d = PatchDiscriminator(inputChannels: c, width: h.width, layers: h.patchLayers, using: &rng)
            d.apply { CycleGANModel.initialize($0, using: &rng) }
            return d
        }
        let optimizer = config.training.optimizer
        generatorAB = TrainableNetwork(name: "generator_ab", module: resnet(&rng), optimizer: optimizer.makeOptimizer())
        generatorBA = TrainableNetwork(name: "generator_ba", module: resnet(&rng), optimizer: optimizer.makeOptimizer())
        discriminatorA = TrainableNetwork(name: "discriminator_a", module: patch(&rng), optimizer: optimizer.makeOptimizer())
        discriminatorB = TrainableNetwork(name: "discriminator_b", module: patch(&rng), optimizer: optimizer.makeOptimizer())
        // Two time-scale updates: each network's rate relative to the run's, which the schedule scales.
        for g in [generatorAB, generatorBA] { g.useOwnLearningRate(h.generatorLearningRate, runRate: optimizer.learningRate) }
        for d in [discriminatorA, discriminatorB] { d.useOwnLearningRate(h.discriminatorLearningRate, runRate: optimizer.learningRate) }
        if h.spectralNorm == true {
            // Its own draws for the power-iteration vectors, so the weights are drawn as without it.
            var scratch = RandomGenerator(seed: config.training.seed ^ 0x5EC7)
            for d in [discriminatorA, discriminatorB] { d.module.applySpectralNormToLayers(using: &scratch) }
        }
        poolA = ImagePool(capacity: h.poolSize)
        poolB = ImagePool(capacity: h.poolSize)
        // Moving averages of both generators, built from draws of their own (a run without them is unchanged).
        if let decay = h.emaDecay {
            var scratch = RandomGenerator(seed: config.training.seed ^ 0xE3A)
            averages = (try WeightAverage(of: generatorAB.module, into: resnet(&scratch), decay: decay),
                        try WeightAverage(of: generatorBA.module, into: resnet(&scratch), decay: decay))
        }
    }

    /// With `--ema`: the moving averages of G_AB and G_BA, which translations use by default.
    private var averages: (ab: WeightAverage, ba: WeightAverage)?
    /// Generator updates so far (the averages' warm-up counts them; saved with the pools).
    private var generatorUpdates = 0
    public var usesAveragedWeights = true
    public var averagedNetworks: [(name: String, module: Module)] {
        averages.map { [("generator_ab_ema", $0.ab.module), ("generator_ba_ema", $0.ba.module)] } ?? []
    }

    static func initialize(_ m: Module, using rng: inout RandomGenerator) {
        let (w, b): (Parameter?, Parameter?) = {
            if let c = m as? Conv2d { return (c.weight, c.bias) }
            if let c = m as? ConvTranspose2d { return (c.weight, c.bias) }
            return (nil, nil)
        }()
        if let w { w.value = Tensor.normal(w.shape, std: 0.02, using: &rng) }
        if let b { b.value = Tensor(zeros: b.shape) }
    }

    func gAB(_ x: Tensor) -> Tensor { (generatorAB.module as! ResnetGenerator)(x) }
    func gBA(_ x: Tensor) -> Tensor { (generatorBA.module as! ResnetGenerator)(x) }
    func dA(_ x: Tensor) -> Tensor { (discriminatorA.module as! PatchDiscriminator)(x) }
    func dB(_ x: Tensor) -> Tensor { (discriminatorB.module as! PatchDiscriminator)(x) }

    /// Translates images from domain A to B (`aToB`) or B to A, in evaluation mode.
    public func translate(_ images: Tensor, aToB: Bool) -> Tensor {
        if usesAveragedWeights, let averages {
            let g = (aToB ? averages.ab.module : averages.ba.module) as! ResnetGenerator
            return withoutGrad { g(images) }
        }
        return evaluating { aToB ? gAB(images) : gBA(images) }
    }

    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        guard let realB = batch.secondInputs else { preconditionFailure("[CycleGANModel] batch has no domain B images") }
        let realA = batch.inputs
        let lsgan = GANObjective.leastSquares
        let lambda = hyperparameters.cycleWeight, lambdaIdt = hyperparameters.cycleWeight * hyperparameters.identityFraction

        // Generators (the discriminators' gradients are not asked for, so they are not updated).
        let fakeB = gAB(realA), fakeA = gBA(realB)
        let recA = gBA(fakeB), recB = gAB(fakeA)
        let advAB = lsgan.generatorLoss(fake: dB(fakeB)), advBA = lsgan.generatorLoss(fake: dA(fakeA))
        let cycleA = lambda * Loss.l1(recA, realA), cycleB = lambda * Loss.l1(recB, realB)
        var lossG = advAB + advBA + cycleA + cycleB
        var idtA: Float = 0, idtB: Float = 0
        if lambdaIdt > 0 {
            let iA = lambdaIdt * Loss.l1(gBA(realA), realA), iB = lambdaIdt * Loss.l1(gAB(realB), realB)
            lossG = lossG + iA + iB
            idtA = iA.scalar; idtB = iB.scalar
        }
        let gValue = optimize(lossG, [generatorAB, generatorBA])
        if let averages {
            generatorUpdates += 1
            averages.ab.update(step: generatorUpdates)
            averages.ba.update(step: generatorUpdates)
        }

        // Discriminators on pooled fakes.
        // Each process's pools hold its own fakes, so their choices are its own draws.
        let pooledB = rng.ownDraws { poolB.query(fakeB.detached(), using: &$0) }, pooledA = rng.ownDraws { poolA.query(fakeA.detached(), using: &$0) }
        // Least squares with the real/fake halves averaged, as the reference's (real + fake)·0.5.
        let lossDB = lsgan.discriminatorLoss(real: dB(realB), fake: dB(pooledB))
        let lossDA = lsgan.discriminatorLoss(real: dA(realA), fake: dA(pooledA))
        optimize(lossDA + lossDB, [discriminatorA, discriminatorB])
        return ["loss_g": gValue, "adv_ab": advAB.scalar, "adv_ba": advBA.scalar, "cycle_a": cycleA.scalar, "cycle_b": cycleB.scalar,
                "idt_a": idtA, "idt_b": idtB, "loss_d_a": lossDA.scalar, "loss_d_b": lossDB.scalar]
    }

    /// Keeps the first four images of each domain for the preview grid.
    public func prepare(trainingData: any Dataset) throws {
        guard let unpaired = trainingData as? any TwoDomainDataset else { throw ConfigurationError(message: "cyclegan needs two domains") }
        func take(_ d: any Dataset) throws -> Tensor {
            let n = min(4, d.count)
            return Tensor(shape: [n] + d.sampleShape, scalars: try (0..<n).flatMap { try d.sample(at: $0).values })
        }
        previewInputs = (try take(unpaired.domainA), try take(unpaired.domainB))
    }

    /// Rows: real A, A→B, real B, B→A for the fixed preview images.
    public func preview() -> Preview {
        guard let (a, b) = previewInputs else { return .none }
        return .images(Tensor.concat([a, translate(a, aToB: true), b, translate(b, aToB: false)], axis: 0), columns: 4)
    }

    public func extraState() -> [String: Tensor] {
        var t: [String: Tensor] = [:]
        for (i, img) in poolA.images.enumerated() { t["pool_a.\(i)"] = img }
        for (i, img) in poolB.images.enumerated() { t["pool_b.\(i)"] = img }
        if averages != nil { t["generator_updates"] = Tensor(Float(generatorUpdates)) }
        return t
    }

    public func loadExtraState(_ tensors: [String: Tensor]) throws {
        func images(_ prefix: String) throws -> [Tensor] {
            let count = tensors.keys.filter { $0.hasPrefix(prefix) }.count
            return try (0..<count).map { i in
                guard let t = tensors["\(prefix)\(i)"] else { throw CheckpointRestoreError(message: "image pool entry \(prefix)\(i) missing") }
                return t
            }
        }
        let a = try images("pool_a."), b = try images("pool_b.")
        let capacity = hyperparameters.poolSize
        guard a.count <= capacity, b.count <= capacity else {
            throw CheckpointRestoreError(message: "image pools hold \(a.count)/\(b.count) images, more than the pool size \(capacity)")
        }
        poolA = ImagePool(capacity: capacity, images: a)
        poolB = ImagePool(capacity: capacity, images: b)
        if averages != nil {
            guard let updates = tensors["generator_updates"], updates.count == 1, let n = Int(exactly: updates.scalar), n >= 0 else {
                throw CheckpointRestoreError(message: "checkpoint lacks the generators' update count of their moving averages (extra.generator_updates)")
            }
            generatorUpdates = n
        }
    }
}

extension CycleGANModel {
    /// The model `config` describes, checked first (its hyperparameters must be CycleGANHyperparameters).
    public convenience init(config: ModelConfig, using rng: inout RandomGenerator) throws {
        try config.validate()
        try self.init(config: config, hyperparameters: config.hyperparameters(as: CycleGANHyperparameters.self), using: &rng)
    }
}
