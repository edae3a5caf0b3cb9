import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenMetrics
import DeepGenOptimizers

/// Normalizing flows: invertible networks with an exact log-likelihood. `realnvp` is RealNVP
/// (Dinh et al. 2017) for 2-D points (MLP couplings) or images (checkerboard and channel
/// couplings with residual conditioners, multi-scale), `glow` multi-scale Glow (Kingma &
/// Dhariwal 2018) for images.
public enum FlowFamily: ModelFamily {
    public static let variants = [
        ModelVariant("realnvp", "RealNVP (Dinh et al. 2017) for 2-D points or images: bounded affine couplings (checkerboard, channel), ResNet conditioners, multi-scale; bits/dim"),
        ModelVariant("glow", "Glow (Kingma & Dhariwal 2018) for images: multi-scale, ActNorm, 1×1 convolutions, affine couplings; bits/dim"),
        ModelVariant("planar", "planar flow (Rezende & Mohamed 2015) fitted to a 2-D energy (energy:u1…u4) by reverse KL"),
        ModelVariant("radial", "radial flow (Rezende & Mohamed 2015) fitted to a 2-D energy (energy:u1…u4) by reverse KL"),
    ]

    static func isEnergyFlow(_ variant: String) -> Bool { variant == "planar" || variant == "radial" }

    public static func options(for variant: String) -> any FamilyOptions<FlowHyperparameters>.Type {
        if isEnergyFlow(variant) { return EnergyFlowOptions.self }
        return variant == "glow" ? GlowOptions.self : RealNVPOptions.self
    }

    public static func dataNeeds(_ variant: String) -> DataNeeds {
        if isEnergyFlow(variant) { return DataNeeds(kinds: [.energy]) }
        return variant == "glow" ? DataNeeds(kinds: [.image], range: .zeroToOne) : DataNeeds(kinds: [.points, .image], range: .zeroToOne)
    }

    /// The energy a planar or radial flow fits, from its dataset.
    public static func adapt(_ h: inout FlowHyperparameters, variant: String, data: DataDescription, dataset: any Dataset) throws {
        if let e = dataset as? EnergyDataset { h.energy = e.energy.rawValue }
    }

    public static func defaults(_ variant: String, data: DataDescription) -> (training: TrainingSettings, hyperparameters: FlowHyperparameters) {
        var optimizer = OptimizerSettings.adam(learningRate: 1e-3, betas: (0.9, 0.999))
        var h = FlowHyperparameters()
        if isEnergyFlow(variant) {
            (h.flowLength, h.annealingSteps) = (32, 2000)
            optimizer.learningRate = 5e-3
            optimizer.maxGradientNorm = 10
            return (TrainingSettings(epochs: 20, batchSize: 256, optimizer: optimizer), h)
        }
        if variant == "glow" {
            // Unclipped: a clip at norm 50 was active on every step and cost 0.2 bits/dim after one epoch.
            (h.levels, h.stepsPerLevel, h.hiddenChannels, h.logitAlpha) = (2, 4, 64, 0.05)
            return (TrainingSettings(epochs: 5, batchSize: 64, optimizer: optimizer), h)
        }
        if data.kind == .image {
            (h.scales, h.hiddenChannels, h.residualBlocks, h.logitAlpha) = (2, 32, 1, 0.05)
            return (TrainingSettings(epochs: 5, batchSize: 64, optimizer: optimizer), h)
        }
        // A loss spike of one batch (a point deep in a tail) wrecked 2-D runs without clipping;
        // the linear decay settles the sharp mixtures (ring8's σ is 0.01).
        optimizer.maxGradientNorm = 1
        (h.couplings, h.hiddenSize, h.hiddenLayers) = (8, 64, 2)
        return (TrainingSettings(epochs: 10, decayEpochs: 20, batchSize: 256, optimizer: optimizer), h)
    }

    public static func validate(_ h: FlowHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        func fail(_ m: String) throws { throw ConfigurationError(message: m) }
        if isEnergyFlow(variant) {
            guard let length = h.flowLength, let steps = h.annealingSteps else { try fail("\(variant) needs its flow length and annealing steps"); return }
            try checkRange(length, 1..., "--flow-length")
            try checkRange(steps, 1..., "--annealing-steps")
            if let e = h.energy, Energy2D(rawValue: e) == nil { try fail("unknown energy '\(e)'") }
            return
        }
        if variant == "glow" {
            for (flag, set) in [("--couplings", h.couplings != nil), ("--hidden-size", h.hiddenSize != nil), ("--hidden-layers", h.hiddenLayers != nil),
                                ("--scales", h.scales != nil), ("--residual-blocks", h.residualBlocks != nil), ("--norm", h.normalization != nil)] where set {
                try fail("\(flag) is an option of realnvp; glow has --levels, --steps and --hidden-channels")
            }
            guard let levels = h.levels, let steps = h.stepsPerLevel, let hidden = h.hiddenChannels, let alpha = h.logitAlpha else {
                try fail("glow needs its levels, steps, hidden channels and logit α"); return
            }
            try checkRange(levels, 1..., "--levels")
            try checkRange(steps, 1..., "--steps")
            try checkRange(hidden, 1..., "--hidden-channels")
            if !(alpha >= 0 && alpha < 0.5) { try fail("--logit-alpha must be in [0, 0.5), got \(alpha)") }
            guard data.shape.count == 3 else { try fail("glow needs images; the data has shape \(data.shape)"); return }
            let side = 1 << levels
            if data.shape[1] % side != 0 || data.shape[2] % side != 0 {
                try fail("glow with \(levels) levels squeezes the image \(levels) times and needs sides divisible by \(side); the images are \(data.shape[1])×\(data.shape[2]) (use fewer --levels or another --image-size)")
            }
        } else if data.kind == .image {
            for (flag, set) in [("--couplings", h.couplings != nil), ("--hidden-size", h.hiddenSize != nil), ("--hidden-layers", h.hiddenLayers != nil)] where set {
                try fail("\(flag) is an option of realnvp on points; on images realnvp has --scales, --hidden-channels and --residual-blocks")
            }
            for (flag, set) in [("--levels", h.levels != nil), ("--steps", h.stepsPerLevel != nil)] where set {
                try fail("\(flag) is an option of glow; realnvp on images has --scales, --hidden-channels and --residual-blocks")
            }
            guard let scales = h.scales, let hidden = h.hiddenChannels, let blocks = h.residualBlocks, let alpha = h.logitAlpha else {
                try fail("realnvp on images needs its scales, hidden channels, residual blocks and logit α"); return
            }
            try checkRange(scales, 1..., "--scales")
            try checkRange(hidden, 1..., "--hidden-channels")
            try checkRange(blocks, 0..., "--residual-blocks")
            if !(alpha >= 0 && alpha < 0.5) { try fail("--logit-alpha must be in [0, 0.5), got \(alpha)") }
            guard data.shape.count == 3 else { try fail("realnvp on images needs [C, H, W]; the data has shape \(data.shape)"); return }
            // Each scale but the last halves the sides; the last scale's checkerboard needs 2×2 pixels.
            let side = 1 << (scales - 1)
            if data.shape[1] % side != 0 || data.shape[2] % side != 0 || data.shape[1] / side < 2 || data.shape[2] / side < 2 {
                try fail("realnvp with \(scales) scales squeezes the image \(scales - 1) times and needs sides divisible by \(side) and at least \(2 * side); the images are \(data.shape[1])×\(data.shape[2]) (use fewer --scales or another --image-size)")
            }
        } else {
            for (flag, set) in [("--levels", h.levels != nil), ("--steps", h.stepsPerLevel != nil), ("--hidden-channels", h.hiddenChannels != nil),
                                ("--logit-alpha", h.logitAlpha != nil), ("--scales", h.scales != nil), ("--residual-blocks", h.residualBlocks != nil)] where set {
                try fail("\(flag) is an option of realnvp on images (or glow); realnvp on points has --couplings, --hidden-size and --hidden-layers")
            }
            guard let couplings = h.couplings, let hidden = h.hiddenSize, let layers = h.hiddenLayers else {
                try fail("realnvp needs its couplings, hidden size and hidden layers"); return
            }
            try checkRange(couplings, 1..., "--couplings")
            try checkRange(hidden, 1..., "--hidden-size")
            try checkRange(layers, 1..., "--hidden-layers")
            if data.shape.count != 1 || data.shape[0] < 2 {
                try fail("\(variant) couples halves of a vector and needs at least 2 values per example; the data has shape \(data.shape)")
            }
        }
    }

    public static func validateNewRun(_ h: FlowHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        if let c = h.couplings { try checkRange(c, ...256, "--couplings") }
        if let n = h.hiddenSize { try checkRange(n, ...65_536, "--hidden-size") }
        if let n = h.hiddenLayers { try checkRange(n, ...64, "--hidden-layers") }
        if let n = h.levels { try checkRange(n, ...8, "--levels") }
        if let n = h.stepsPerLevel { try checkRange(n, ...256, "--steps") }
        if let n = h.hiddenChannels { try checkRange(n, ...4096, "--hidden-channels") }
        if let n = h.scales { try checkRange(n, ...8, "--scales") }
        if let n = h.residualBlocks { try checkRange(n, ...64, "--residual-blocks") }
        if let n = h.flowLength { try checkRange(n, ...4096, "--flow-length") }
    }

    public static func defaultMetrics(_ variant: String, data: DataDescription) -> [MetricName] {
        if isEnergyFlow(variant) { return [.kl] }
        return variant == "glow" || data.kind == .image ? [.nll, .fid, .kid, .pr, .score] : [.nll, .modes]
    }

    public static func makeModel(_ config: ModelConfig, hyperparameters: FlowHyperparameters, using rng: inout RandomGenerator) throws -> any GenerativeModel {
        if isEnergyFlow(config.model) { return try EnergyFlowModel(config: config, hyperparameters: hyperparameters, using: &rng) }
        return try FlowModel(config: config, hyperparameters: hyperparameters, using: &rng)
    }
}

/// The flow family's hyperparameters; a variant's fields are set, the other's `nil`.
public struct FlowHyperparameters: ModelHyperparameters, Equatable {
    /// realnvp: affine coupling steps; consecutive ones transform alternate coordinates.
    public var couplings: Int?
    /// realnvp: units of each hidden layer of a coupling's conditioner.
    public var hiddenSize: Int?
    /// realnvp: hidden layers of each conditioner.
    public var hiddenLayers: Int?
    /// glow: levels (each squeezes the image; all but the last factor out half the channels).
    public var levels: Int?
    /// glow: steps (ActNorm, 1×1 convolution, coupling) per level.
    public var stepsPerLevel: Int?
    /// glow, realnvp on images: channels of the couplings' conditioner CNNs.
    public var hiddenChannels: Int?
    /// glow, realnvp on images: α of the logit transform of the dequantized pixels.
    public var logitAlpha: Float?
    /// realnvp on images: scales (all but the last squeeze the image and factor out half).
    public var scales: Int?
    /// realnvp on images: residual blocks of each coupling's conditioner.
    public var residualBlocks: Int?
    /// realnvp: the normalization layer before each coupling; `nil` means ActNorm when
    /// ``actNorm`` is set, else none (what runs before `--norm` existed saved).
    public var normalization: FlowNormalization?
    /// planar, radial: flows in the chain.
    public var flowLength: Int?
    /// planar, radial: optimizer steps over which the energy's weight rises from 0.01 to 1.
    public var annealingSteps: Int?
    /// planar, radial: the energy fitted (`u1`…`u4`), from the dataset.
    public var energy: String?
    /// An ActNorm (data-dependent initialization) at the start of every step.
    public var actNorm = true

    public init() {}

    /// The normalization layer before each coupling.
    var effectiveNormalization: FlowNormalization { normalization ?? (actNorm ? .actnorm : .none) }
}

/// `realnvp`'s options: some for points, some for images.
public struct RealNVPOptions: FamilyOptions {
    @Option(help: "Points: affine coupling layers (default 8).") var couplings: Int?
    @Option(help: "Points: units of each hidden layer of a coupling's MLP conditioner (default 64).") var hiddenSize: Int?
    @Option(help: "Points: hidden layers of each conditioner (default 2).") var hiddenLayers: Int?
    @Option(help: "Images: scales; each but the last is 3 checkerboard couplings, a squeeze, 3 channel couplings and factors out half the channels, the last is 4 checkerboard couplings (default 2).") var scales: Int?
    @Option(help: "Images: channels of the couplings' residual conditioners (default 32).") var hiddenChannels: Int?
    @Option(help: "Images: residual blocks of each conditioner (default 1).") var residualBlocks: Int?
    @Option(help: "Images: α of the logit transform of the dequantized pixels, p = α + (1 − 2α)·pixel (default 0.05).") var logitAlpha: Float?
    @Option(help: "The flow layer before every coupling: actnorm (data-dependent initialization), batchnorm (batch statistics in training, running averages in evaluation) or none (default actnorm).") var norm: FlowNormalization?
    @Flag(inversion: .prefixedNo, help: "An ActNorm layer before every coupling (default on; the same as --norm actnorm or --norm none).") var actNorm: Bool?

    public init() {}

    public func apply(to h: inout FlowHyperparameters, variant: String) throws {
        if let couplings { h.couplings = couplings }
        if let hiddenSize { h.hiddenSize = hiddenSize }
        if let hiddenLayers { h.hiddenLayers = hiddenLayers }
        if let scales { h.scales = scales }
        if let hiddenChannels { h.hiddenChannels = hiddenChannels }
        if let residualBlocks { h.residualBlocks = residualBlocks }
        if let logitAlpha { h.logitAlpha = logitAlpha }
        if norm != nil, actNorm != nil { throw ConfigurationError(message: "give --norm or --act-norm/--no-act-norm, not both") }
        if let norm { h.normalization = norm }
        if let actNorm { h.actNorm = actNorm }
    }
}

/// `glow`'s options.
public struct GlowOptions: FamilyOptions {
    @Option(help: "Levels: each squeezes the image 2×2 into channels; all but the last factor out half (default 2).") var levels: Int?
    @Option(help: "Steps of ActNorm, 1×1 convolution and affine coupling per level (default 4).") var steps: Int?
    @Option(help: "Channels of the couplings' conditioner CNNs (default 64).") var hiddenChannels: Int?
    @Option(help: "α of the logit transform of the dequantized pixels, p = α + (1 − 2α)·pixel (default 0.05).") var logitAlpha: Float?
    @Flag(inversion: .prefixedNo, help: "An ActNorm layer at the start of every step (default on).") var actNorm: Bool?

    public init() {}

    public func apply(to h: inout FlowHyperparameters, variant: String) throws {
        if let levels { h.levels = levels }
        if let steps { h.stepsPerLevel = steps }
        if let hiddenChannels { h.hiddenChannels = hiddenChannels }
        if let logitAlpha { h.logitAlpha = logitAlpha }
        if let actNorm { h.actNorm = actNorm }
    }
}

/// `planar`'s and `radial`'s options.
public struct EnergyFlowOptions: FamilyOptions {
    @Option(help: "Flows in the chain (default 32).") var flowLength: Int?
    @Option(help: "Optimizer steps over which the energy's weight rises from 0.01 to 1 (default 2000).") var annealingSteps: Int?

    public init() {}

    public func apply(to h: inout FlowHyperparameters, variant: String) throws {
        if let flowLength { h.flowLength = flowLength }
        if let annealingSteps { h.annealingSteps = annealingSteps }
    }
}
extension FlowNormalization: ExpressibleByArgument {}
