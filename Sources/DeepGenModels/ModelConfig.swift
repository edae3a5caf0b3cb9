import Foundation

/// Everything that defines a model and how it trains; written to `config.json` and into every
/// checkpoint, so a run folder or a checkpoint alone is enough to rebuild the model.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var model: ModelKind
    /// The dataset as given on the command line (`shapes`, `fashion-mnist:sneaker`, `ring8`, …).
    public var dataset: String
    /// One sample's shape: `[C, H, W]` for images, `[2]` for 2-D points.
    public var sampleShape: [Int]
    public var seed: UInt64 = 0
    public var epochs: Int = 5
    public var batchSize: Int = 64
    public var learningRate: Double = 2e-4
    public var beta1: Double = 0.5
    public var beta2: Double = 0.999

    // GANs
    public var latentSize: Int = 100
    /// Base channel count (DCGAN, CycleGAN) or hidden width scale.
    public var width: Int = 64
    public var objective: GANObjective = .nonSaturating
    /// Size of the label space of a conditional model (labels are `0..<classCount`).
    public var classCount: Int = 10
    /// The labels a conditional model was trained on (a subset such as `fashion-mnist:sneaker`
    /// keeps the file's label numbers); `nil` means all of `0..<classCount`.
    public var classes: [Int]? = nil

    /// The labels a conditional model generates: `classes`, or every label.
    public var trainedClasses: [Int] { classes ?? Array(0..<classCount) }
    public var criticSteps: Int = 1
    public var gradientPenaltyWeight: Float = 10

    /// γ of the R1 penalty (Mescheder et al. 2018), γ/2 · E‖∇ₓD(real)‖², added to a GAN
    /// discriminator's loss (not WGAN-GP's, which has its own penalty); `nil` or 0 adds none.
    public var r1Weight: Float? = nil
    /// GANs on 2-D points train on coordinates divided by this (the data's root-mean-square
    /// coordinate, √8 for grid25 as in the WGAN-GP authors' toy code) and scale samples back;
    /// `nil` trains on the data as it is.
    public var dataScale: Float? = nil

    // VAEs (and the MLPs of GANs on 2-D points)
    public var hiddenSize: Int = 400
    public var likelihood: VAELikelihood = .bernoulli
    public var klWeight: Float = 1
    /// Train on pixels drawn as Bernoulli(intensity) afresh for every batch (dynamic
    /// binarization, the setting of the VAE likelihood literature); the test set is binarized
    /// once with a fixed seed. `nil` trains on the continuous intensities.
    public var binarize: Bool? = nil

    // CycleGAN
    public var residualBlocks: Int = 9
    public var patchLayers: Int = 3
    public var cycleWeight: Float = 10
    /// Identity loss weight as a fraction of the cycle weight (0.5 in the CycleGAN paper's code).
    public var identityFraction: Float = 0.5
    public var poolSize: Int = 50
    /// Epochs of linear learning-rate decay to zero after `epochs` at a constant rate.
    public var decayEpochs: Int = 0

    public init(model: ModelKind, dataset: String, sampleShape: [Int]) {
        self.model = model
        self.dataset = dataset
        self.sampleShape = sampleShape
    }

    /// The published defaults for `model` on data of `sampleShape`.
    public static func defaults(for model: ModelKind, dataset: String, sampleShape: [Int]) -> ModelConfig {
        var c = ModelConfig(model: model, dataset: dataset, sampleShape: sampleShape)
        let isPoints = sampleShape.count == 1
        switch model {
        case .gan:
            c.latentSize = isPoints ? 2 : 100
            c.learningRate = isPoints ? 1e-3 : 2e-4
            if isPoints { c.hiddenSize = 128 }
        case .dcgan, .conditionalDCGAN:
            break
        case .wganGP:
            c.learningRate = 1e-4
            c.beta1 = 0.5
            c.beta2 = 0.9
            c.criticSteps = 5
            c.objective = .wasserstein
            c.latentSize = isPoints ? 2 : 100
            if isPoints {
                c.hiddenSize = 128
                // The WGAN-GP authors' toy experiments use λ = 0.1: with λ = 10 the critic stays too
                // smooth to pull samples onto modes of σ 0.01–0.05 (measured: one blob, no ring).
                c.gradientPenaltyWeight = 0.1
                c.batchSize = 256
                c.learningRate = 5e-4
            }
        case .vae, .convVAE:
            c.latentSize = 20
            c.learningRate = 1e-3
            c.beta1 = 0.9
            c.beta2 = 0.999
            c.batchSize = 128
            c.epochs = 10
        case .cycleGAN:
            c.batchSize = 1
            c.objective = .leastSquares
            c.learningRate = 2e-4
            let side = sampleShape.last ?? 256
            c.residualBlocks = side >= 256 ? 9 : (side >= 64 ? 6 : 3)
            c.width = side >= 64 ? 64 : 32
            c.patchLayers = side >= 64 ? 3 : 2
        case .classifier:
            c.learningRate = 1e-3
            c.beta1 = 0.9
            c.beta2 = 0.999
            c.batchSize = 128
            c.epochs = 10
            c.width = 32
            c.hiddenSize = 128
        }
        return c
    }

    /// Checks the combination makes sense, with a message naming the problem.
    public func validate() throws {
        func fail(_ m: String) throws { throw ConfigurationError(message: m) }
        if epochs < 1 { try fail("epochs must be at least 1, got \(epochs)") }
        if batchSize < 1 { try fail("batch size must be at least 1, got \(batchSize)") }
        if !(learningRate > 0) || !learningRate.isFinite { try fail("learning rate must be positive, got \(learningRate)") }
        if !(0..<1).contains(beta1) || !(0..<1).contains(beta2) { try fail("Adam betas must be in [0, 1), got (\(beta1), \(beta2))") }
        if latentSize < 1 { try fail("latent size must be at least 1, got \(latentSize)") }
        if let r1Weight, !(r1Weight >= 0) || !r1Weight.isFinite { try fail("R1 weight γ must be zero or positive, got \(r1Weight)") }
        if let r1Weight, r1Weight > 0, model == .wganGP || model == .cycleGAN || model.isVAE || model == .classifier {
            try fail("--r1 regularizes a GAN discriminator (gan, dcgan, cdcgan); \(model.rawValue) does not take it")
        }
        if binarize == true, !model.isVAE || likelihood != .bernoulli {
            try fail("binarized data is for VAEs with Bernoulli pixels; \(model.rawValue)\(model.isVAE ? " with \(likelihood.rawValue) pixels" : "") does not take it")
        }
        if let dataScale, !(dataScale > 0) || !dataScale.isFinite { try fail("data scale must be positive, got \(dataScale)") }
        if width < 1 { try fail("width must be at least 1, got \(width)") }
        if decayEpochs < 0 { try fail("decay epochs cannot be negative") }
        let isPoints = sampleShape.count == 1
        switch model {
        case .dcgan, .conditionalDCGAN, .convVAE:
            let side = sampleShape.count == 3 ? sampleShape[1] : 0
            let allowed = model == .dcgan ? [28, 32, 64] : [28]
            if !allowed.contains(side) || sampleShape[1] != sampleShape[2] {
                try fail("\(model.rawValue) needs square images of side \(allowed.map(String.init).joined(separator: ", ")); the data has shape \(sampleShape)")
            }
        case .cycleGAN:
            if sampleShape.count != 3 || sampleShape[1] % 4 != 0 || sampleShape[2] % 4 != 0 {
                try fail("cyclegan needs images with sides divisible by 4; the data has shape \(sampleShape)")
            }
        case .vae:
            if isPoints { try fail("vae needs images; the data has shape \(sampleShape)") }
        case .classifier:
            if sampleShape.count != 3 || sampleShape[1] % 4 != 0 || sampleShape[2] % 4 != 0 {
                try fail("classifier needs images with sides divisible by 4; the data has shape \(sampleShape)")
            }
            if classCount < 2 { try fail("a classifier needs at least two classes, got \(classCount)") }
        case .gan, .wganGP:
            break
        }
        if model == .wganGP && criticSteps < 1 { try fail("critic steps must be at least 1") }
        if model == .conditionalDCGAN || model == .classifier {
            if classCount < 1 { try fail("a conditional model needs at least one class, got \(classCount)") }
            if let classes, classes.isEmpty || !classes.allSatisfy({ (0..<classCount).contains($0) }) {
                try fail("trained classes \(classes) must be a non-empty subset of 0..<\(classCount)")
            }
        }
        if model == .wganGP, sampleShape.count == 3, ![28, 32, 64].contains(sampleShape[1]) {
            try fail("wgan-gp on images needs sides 28, 32 or 64; the data has shape \(sampleShape)")
        }
    }

    /// JSON with sorted keys, as written to `config.json`.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decode(json: String) throws -> ModelConfig {
        try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8))
    }
}

/// A model configuration that cannot work, with a message for the user.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
