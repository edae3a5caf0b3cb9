import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenMetrics

/// CycleGAN: unpaired translation between two image domains.
public enum CycleGANFamily: ModelFamily {
    public static let variants = [
        ModelVariant("cyclegan", "CycleGAN (Zhu 2017): ResNet generators, PatchGAN discriminators, LSGAN, cycle and identity losses"),
    ]

    public static func options(for variant: String) -> any FamilyOptions<CycleGANHyperparameters>.Type { CycleGANOptions.self }

    public static func dataNeeds(_ variant: String) -> DataNeeds { DataNeeds(kinds: [.image], domains: 2) }

    /// Takes a CycleGAN configuration back to the authors' training, without the measured
    /// recipe's average of the generators: the benchmarks' PyTorch twin trains this way. Other
    /// families' configurations are left as they are.
    public static func usePaperRecipe(_ config: inout ModelConfig) {
        config.updateHyperparameters(CycleGANHyperparameters.self) { $0.emaDecay = nil }
    }

    public static func defaults(_ variant: String, data: DataDescription) -> (training: TrainingSettings, hyperparameters: CycleGANHyperparameters) {
        let t = TrainingSettings(epochs: 5, batchSize: 1, optimizer: .adam(learningRate: 2e-4, betas: (0.5, 0.999)))
        // The authors' sizes for 256×256 (9 blocks) and 128×128 (6); smaller images get smaller networks.
        let side = data.shape.last ?? 256
        var h = CycleGANHyperparameters(width: side >= 64 ? 64 : 32, residualBlocks: side >= 256 ? 9 : (side >= 64 ? 6 : 3),
                                        patchLayers: side >= 64 ? 3 : 2)
        // Translations through a 0.999 average of each generator, measured on sneaker ↔ ankle boot
        // at 1 + 1 epochs (two seeds; RESULTS, "CycleGAN with issue 24's options"): FID against the
        // target class 23.7 → 16.4 and 41.0 → 16.8 (A→B), 38.4 → 33.4 and 46.7 → 32.7 (B→A), cycle
        // L1 lower in all four. Spectral normalization of the discriminators added nothing there.
        h.emaDecay = 0.999
        return (t, h)
    }

    public static func validate(_ h: CycleGANHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        func fail(_ m: String) throws { throw ConfigurationError(message: m) }
        // The generator works at a quarter of the size, where its residual blocks pad by reflection.
        if data.shape.count != 3 || data.shape[1] % 4 != 0 || data.shape[2] % 4 != 0 || min(data.shape[1], data.shape[2]) < 8 {
            try fail("cyclegan needs images with sides divisible by 4 and at least 8; the data has shape \(data.shape)")
        }
        try checkRange(h.width, 1..., "--width")
        try checkRange(h.residualBlocks, 0..., "--residual-blocks")
        try checkRange(h.patchLayers, 1..., "--patch-layers")
        if let d = h.emaDecay, !(d > 0 && d < 1) { try fail("--ema must be a decay in (0, 1), such as 0.999, or 0 for no average; got \(d)") }
        for (flag, rate) in [("--lr-g", h.generatorLearningRate), ("--lr-d", h.discriminatorLearningRate)] {
            if let rate, !(rate > 0) || !rate.isFinite { try fail("\(flag) must be positive, got \(rate)") }
        }
        let side = min(data.shape[1], data.shape[2])
        if PatchDiscriminator.outputSide(inputSide: side, layers: h.patchLayers) == nil {
            let most = (1...16).last { PatchDiscriminator.outputSide(inputSide: side, layers: $0) != nil } ?? 0
            try fail("--patch-layers \(h.patchLayers) halves \(side)×\(side) images below the discriminator's last 4×4 convolutions; at most \(most) fit")
        }
        try checkRange(h.poolSize, 0..., "--pool-size")
    }

    public static func validateNewRun(_ h: CycleGANHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        try checkRange(h.width, ...1024, "--width")
        try checkRange(h.residualBlocks, ...64, "--residual-blocks")
        try checkRange(h.patchLayers, ...16, "--patch-layers")
        try checkRange(h.poolSize, ...10_000, "--pool-size")
        if !(h.cycleWeight >= 0) || !h.cycleWeight.isFinite {
            throw ConfigurationError(message: "cycle weight λ must be zero or positive, got \(h.cycleWeight)")
        }
        if !(h.identityFraction >= 0) || !h.identityFraction.isFinite {
            throw ConfigurationError(message: "identity fraction must be zero or positive, got \(h.identityFraction)")
        }
    }

    public static func defaultMetrics(_ variant: String, data: DataDescription) -> [MetricName] { [.translation] }

    public static func makeModel(_ config: ModelConfig, hyperparameters: CycleGANHyperparameters, using rng: inout RandomGenerator) throws -> any GenerativeModel {
        try CycleGANModel(config: config, hyperparameters: hyperparameters, using: &rng)
    }

    public static func hyperparameters(fromLegacy c: LegacyModelConfig) -> CycleGANHyperparameters? {
        CycleGANHyperparameters(width: c.width, residualBlocks: c.residualBlocks, patchLayers: c.patchLayers, cycleWeight: c.cycleWeight,
                                identityFraction: c.identityFraction, poolSize: c.poolSize)
    }
}

/// CycleGAN's hyperparameters.
public struct CycleGANHyperparameters: ModelHyperparameters, Equatable {
    /// Base channel count of generators and discriminators.
    public var width: Int
    /// Residual blocks of each ResNet generator.
    public var residualBlocks: Int
    /// Stride-2 layers of each PatchGAN discriminator.
    public var patchLayers: Int
    /// λ of the cycle-consistency losses.
    public var cycleWeight: Float = 10
    /// Identity loss weight as a fraction of the cycle weight (0.5 in the CycleGAN paper's code).
    public var identityFraction: Float = 0.5
    /// Past fakes the discriminators train on (50).
    public var poolSize = 50
    /// The decay of both generators' exponential moving averages (`--ema`), which translations
    /// use; `nil` keeps none.
    public var emaDecay: Float?
    /// Two time-scale updates (Heusel et al. 2017): both generators' and both discriminators'
    /// learning rates (`--lr-g`, `--lr-d`); `nil` is the run's `--lr`.
    public var generatorLearningRate: Double?
    public var discriminatorLearningRate: Double?
    /// Spectral normalization (Miyato et al. 2018) of every convolution of both discriminators
    /// (`--spectral-norm`); `nil` has none.
    public var spectralNorm: Bool?

    public init(width: Int, residualBlocks: Int, patchLayers: Int, cycleWeight: Float = 10, identityFraction: Float = 0.5, poolSize: Int = 50) {
        self.width = width
        self.residualBlocks = residualBlocks
        self.patchLayers = patchLayers
        self.cycleWeight = cycleWeight
        self.identityFraction = identityFraction
        self.poolSize = poolSize
    }
}

/// CycleGAN's command-line options.
public struct CycleGANOptions: FamilyOptions {
    @Option(help: "Base channel count (default 64; 32 below 64×64).") var width: Int?
    @Option(help: "Residual blocks of the generators (default 9 at 256×256, 6 from 64×64, 3 below).") var residualBlocks: Int?
    @Option(help: "Stride-2 layers of the PatchGAN discriminators (default 3; 2 below 64×64).") var patchLayers: Int?
    @Option(help: "Cycle-consistency weight λ (default 10).") var cycleWeight: Float?
    @Option(help: "Identity loss weight as a fraction of λ (default 0.5, the reference's --lambda_identity; 0 turns it off).")
    var identityFraction: Float?
    @Option(help: "Image pool of past fakes for the discriminators (default 50).") var poolSize: Int?
    @Option(help: "Keep exponential moving averages of both generators' weights with this decay (e.g. 0.999); translations, previews and eval use them (translate/eval --raw-weights use the trained weights); 0 keeps none.") var ema: Float?
    @Option(name: .customLong("lr-g"), help: "Both generators' learning rate (two time-scale updates; default --lr).") var generatorLearningRate: Double?
    @Option(name: .customLong("lr-d"), help: "Both discriminators' learning rate (two time-scale updates; default --lr).") var discriminatorLearningRate: Double?
    @Flag(help: "Spectral normalization of every convolution of both discriminators (Miyato et al. 2018; PyTorch's spectral_norm names).") var spectralNorm = false

    public init() {}

    public func apply(to h: inout CycleGANHyperparameters, variant: String) throws {
        if let width { h.width = width }
        if let residualBlocks { h.residualBlocks = residualBlocks }
        if let patchLayers { h.patchLayers = patchLayers }
        if let cycleWeight { h.cycleWeight = cycleWeight }
        if let identityFraction { h.identityFraction = identityFraction }
        if let poolSize { h.poolSize = poolSize }
        if let ema { h.emaDecay = ema == 0 ? nil : ema }
        if let generatorLearningRate { h.generatorLearningRate = generatorLearningRate }
        if let discriminatorLearningRate { h.discriminatorLearningRate = discriminatorLearningRate }
        if spectralNorm { h.spectralNorm = true }
    }
}
