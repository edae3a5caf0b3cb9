import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenMetrics

/// The VAE family: the MLP VAE (`vae`) and the convolutional one (`conv-vae`) for 28×28 images.
public enum VAEFamily: ModelFamily {
    public static let variants = [
        ModelVariant("vae", "MLP VAE (Kingma & Welling 2014): 784-400-20, Bernoulli or Gaussian pixels, β-VAE weight"),
        ModelVariant("conv-vae", "convolutional VAE for 28×28: two stride-2 convs, 20-d latent, transposed-conv decoder"),
    ]

    public static func options(for variant: String) -> any FamilyOptions<VAEHyperparameters>.Type {
        variant == "conv-vae" ? ConvVAEOptions.self : MLPVAEOptions.self
    }

    public static func dataNeeds(_ variant: String) -> DataNeeds { DataNeeds(kinds: [.image], range: .zeroToOne) }

    public static func defaults(_ variant: String, data: DataDescription) -> (training: TrainingSettings, hyperparameters: VAEHyperparameters) {
        let t = TrainingSettings(epochs: 10, batchSize: 128, optimizer: .adam(learningRate: 1e-3, betas: (0.9, 0.999)))
        var h = VAEHyperparameters()
        if variant == "conv-vae" { h.width = 32 } else { h.hiddenSize = 400 }
        return (t, h)
    }

    public static func validate(_ h: VAEHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        func fail(_ m: String) throws { throw ConfigurationError(message: m) }
        try checkRange(h.latentSize, 1..., "--latent-size")
        if h.binarize && h.likelihood != .bernoulli {
            try fail("binarized data is for VAEs with Bernoulli pixels; \(variant) with \(h.likelihood.rawValue) pixels does not take it")
        }
        if let flow = h.flow {
            if variant != "vae" { try fail("--flow is an option of vae") }
            if flow != "planar" { try fail("--flow must be planar, got \(flow)") }
            try checkRange(h.flowLength ?? 0, 1..., "--flow-length")
        } else if h.flowLength != nil {
            try fail("--flow-length needs --flow planar")
        }
        if variant == "conv-vae" {
            if h.hiddenSize != nil { try fail("--hidden-size sets the MLP VAE's hidden layer; conv-vae has --width") }
            guard let w = h.width else { try fail("conv-vae needs a width"); return }
            try checkRange(w, 1..., "--width")
            if data.shape.count != 3 || data.shape[1] != 28 || data.shape[2] != 28 {
                try fail("conv-vae needs square images of side 28; the data has shape \(data.shape)")
            }
        } else {
            if h.width != nil { try fail("--width sets conv-vae's channels; vae has --hidden-size") }
            guard let n = h.hiddenSize else { try fail("vae needs a hidden size"); return }
            try checkRange(n, 1..., "--hidden-size")
        }
    }

    public static func validateNewRun(_ h: VAEHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        try checkRange(h.latentSize, ...65_536, "--latent-size")
        if let w = h.width { try checkRange(w, ...4096, "--width") }
        if let n = h.hiddenSize { try checkRange(n, ...65_536, "--hidden-size") }
        if let n = h.flowLength { try checkRange(n, ...1024, "--flow-length") }
        if !(h.klWeight >= 0) || !h.klWeight.isFinite {
            throw ConfigurationError(message: "the KL weight β must be zero or positive, got \(h.klWeight)")
        }
    }

    public static func defaultMetrics(_ variant: String, data: DataDescription) -> [MetricName] { [.fid, .kid, .pr, .score, .nll] }

    public static func makeModel(_ config: ModelConfig, hyperparameters: VAEHyperparameters, using rng: inout RandomGenerator) throws -> any GenerativeModel {
        try VAEModel(config: config, hyperparameters: hyperparameters, using: &rng)
    }

    public static func hyperparameters(fromLegacy c: LegacyModelConfig) -> VAEHyperparameters? {
        var h = VAEHyperparameters(latentSize: c.latentSize, likelihood: c.likelihood, klWeight: c.klWeight, binarize: c.binarize ?? false)
        // The conv VAE read the shared default width 64 as its own default, 32.
        if c.model == "conv-vae" { h.width = c.width == 64 ? 32 : c.width } else { h.hiddenSize = c.hiddenSize }
        return h
    }
}

/// The VAE family's hyperparameters. Fields a variant does not use are `nil`.
public struct VAEHyperparameters: ModelHyperparameters, Equatable {
    public var latentSize = 20
    /// vae: units of the encoder's and decoder's hidden layer.
    public var hiddenSize: Int?
    /// conv-vae: channels of the first convolution (the second has twice as many).
    public var width: Int?
    public var likelihood = VAELikelihood.bernoulli
    /// β, the weight of the KL term (1 is the VAE, above 1 a β-VAE).
    public var klWeight: Float = 1
    /// Train on pixels drawn as Bernoulli(intensity) afresh for every batch (dynamic
    /// binarization, the setting of the VAE likelihood literature); the test set is binarized
    /// once with a fixed seed.
    public var binarize = false
    /// vae: flows on the posterior, `planar` (Rezende & Mohamed 2015), or none.
    public var flow: String?
    /// vae: how many planar flows (with `flow`).
    public var flowLength: Int?

    public init(latentSize: Int = 20, hiddenSize: Int? = nil, width: Int? = nil, likelihood: VAELikelihood = .bernoulli,
                klWeight: Float = 1, binarize: Bool = false) {
        self.latentSize = latentSize
        self.hiddenSize = hiddenSize
        self.width = width
        self.likelihood = likelihood
        self.klWeight = klWeight
        self.binarize = binarize
    }
}

extension VAELikelihood: ExpressibleByArgument {}

/// Options both VAEs have.
public struct VAECommonOptions: ParsableArguments {
    @Option(help: "Latent size (default 20).") var latentSize: Int?
    @Option(help: "Pixel likelihood: bernoulli or gaussian.") var likelihood: VAELikelihood?
    @Option(help: "β, the weight of the KL term (default 1).") var klWeight: Float?
    @Flag(help: "Train on pixels binarized afresh each batch (dynamic binarization); the test set is binarized with a fixed seed.")
    var binarize = false

    public init() {}

    func apply(to h: inout VAEHyperparameters) {
        if let latentSize { h.latentSize = latentSize }
        if let likelihood { h.likelihood = likelihood }
        if let klWeight { h.klWeight = klWeight }
        if binarize { h.binarize = true }
    }
}

/// `vae`'s options.
public struct MLPVAEOptions: FamilyOptions {
    @OptionGroup var common: VAECommonOptions
    @Option(help: "Units of the encoder's and decoder's hidden layer (default 400).") var hiddenSize: Int?
    @Option(help: "Flows on the posterior: planar (Rezende & Mohamed 2015, amortized by the encoder).") var flow: String?
    @Option(help: "How many planar flows (default 10 with --flow).") var flowLength: Int?

    public init() {}

    public func apply(to h: inout VAEHyperparameters, variant: String) throws {
        common.apply(to: &h)
        if let hiddenSize { h.hiddenSize = hiddenSize }
        if let flow { h.flow = flow; h.flowLength = h.flowLength ?? 10 }
        if let flowLength { h.flowLength = flowLength }
    }
}

/// `conv-vae`'s options.
public struct ConvVAEOptions: FamilyOptions {
    @OptionGroup var common: VAECommonOptions
    @Option(help: "Channels of the first convolution (default 32; the second has twice as many).") var width: Int?

    public init() {}

    public func apply(to h: inout VAEHyperparameters, variant: String) throws {
        common.apply(to: &h)
        if let width { h.width = width }
    }
}
