import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenMetrics
import DeepGenOptimizers

/// The audio family: `wavenet` on `fsdd:PATH`, `audio:PATH` or the procedural `tones`.
public enum WaveNetFamily: ModelFamily {
    public static let variants = [
        ModelVariant("wavenet", "raw-audio WaveNet over 256 μ-law levels: stacks of dilated causal convolutions (1…512), gated units, residual and skip connections, class conditioning, cached fast generation"),
    ]

    public static func options(for variant: String) -> any FamilyOptions<WaveNetHyperparameters>.Type { WaveNetOptions.self }

    public static func dataNeeds(_ variant: String) -> DataNeeds { DataNeeds(kinds: [.audio]) }

    public static func dataRequest(_ h: WaveNetHyperparameters, variant: String) -> DataRequest {
        DataRequest(range: .minusOneToOne, sequenceLength: h.windowLength)
    }

    /// Adam at 1e-3 (the reference implementations' rate), batches of 4 windows, 10 epochs.
    public static func defaults(_ variant: String, data: DataDescription) -> (training: TrainingSettings, hyperparameters: WaveNetHyperparameters) {
        let optimizer = OptimizerSettings(kind: .adam, learningRate: 1e-3, beta1: 0.9, beta2: 0.999)
        return (TrainingSettings(epochs: 10, batchSize: 4, optimizer: optimizer), WaveNetHyperparameters())
    }

    public static func adapt(_ h: inout WaveNetHyperparameters, variant: String, data: DataDescription, dataset: any Dataset) throws {
        h.conditioningClasses = h.conditional ? (data.labelSpace?.count ?? 0) : 0
        if h.speakerConditional {
            guard let speakers = data.speakerNames, !speakers.isEmpty else {
                throw ConfigurationError(message: "--speakers conditions on the speakers of the data, and \(data.kind.noun) of this set have none (fsdd:PATH has them)")
            }
            h.conditioningSpeakers = speakers.count
        }
    }

    public static func validate(_ h: WaveNetHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        try checkRange(h.stacks, 1..., "--stacks")
        try checkRange(h.layersPerStack, 1...20, "--layers-per-stack")
        try checkRange(h.residualChannels, 1..., "--residual-channels")
        try checkRange(h.dilationChannels, 1..., "--dilation-channels")
        try checkRange(h.skipChannels, 1..., "--skip-channels")
        try checkRange(h.windowLength, 2..., "--window")
        try checkRange(h.conditioningClasses, 0..., "conditioning classes")
        try checkRange(h.conditioningSpeakers ?? 0, 0..., "conditioning speakers")
        if let speakers = h.conditioningSpeakers, speakers > 0, let names = data.speakerNames, names.count != speakers {
            throw ConfigurationError(message: "the data has \(names.count) speakers; the model was built for \(speakers)")
        }
        if h.conditional, let space = data.labelSpace, space.count != h.conditioningClasses {
            throw ConfigurationError(message: "the data has \(space.count) classes; the model was built for \(h.conditioningClasses)")
        }
        if data.shape != [1, h.windowLength] {
            throw ConfigurationError(message: "the data gives windows of shape \(data.shape); the model trains on [1, \(h.windowLength)] (--window)")
        }
    }

    public static func validateNewRun(_ h: WaveNetHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        try checkRange(h.stacks, ...64, "--stacks")
        // Dilations up to 8,192: the generator's queues hold Σ dilations × residual channels per clip.
        try checkRange(h.layersPerStack, ...14, "--layers-per-stack")
        try checkRange(h.residualChannels, ...4096, "--residual-channels")
        try checkRange(h.dilationChannels, ...4096, "--dilation-channels")
        try checkRange(h.skipChannels, ...4096, "--skip-channels")
        try checkRange(h.windowLength, ...10_000_000, "--window")
    }

    public static func defaultMetrics(_ variant: String, data: DataDescription) -> [MetricName] { [] }

    public static func makeModel(_ config: ModelConfig, hyperparameters: WaveNetHyperparameters, using rng: inout RandomGenerator) throws -> any GenerativeModel {
        WaveNetModel(config: config, hyperparameters: hyperparameters, using: &rng)
    }
}

/// WaveNet's hyperparameters. The default (3 stacks of dilations 1…512, 32 residual and dilation
/// channels, 256 skip channels) sees 3,071 samples: 0.38 s at 8 kHz.
public struct WaveNetHyperparameters: ModelHyperparameters, Equatable {
    public static let defaultSampleRate = 8000
    /// Repeats of the dilation cycle 1, 2, 4, …
    public var stacks = 3
    /// Layers per cycle: dilations 1 … 2^(layers − 1) (10: up to 512).
    public var layersPerStack = 10
    public var residualChannels = 32
    public var dilationChannels = 32
    public var skipChannels = 256
    /// Samples per training window (each predicted from those before it).
    public var windowLength = 4000
    /// Whether to condition on the data's class labels (when it has them).
    public var conditional = true
    /// Classes the model is conditioned on (taken from the data; 0: none).
    public var conditioningClasses = 0
    /// Whether to condition on the data's speakers too (`--speakers`). Runs saved before
    /// speakers existed have neither key, hence the optionals.
    public var speakerConditional: Bool { conditioningSpeakers != nil }
    /// Speakers the model is conditioned on (taken from the data; `nil`: none; 0 until the data is known).
    public var conditioningSpeakers: Int? = nil

    public init() {}

    /// Each layer's dilation, in order.
    public var dilations: [Int] { (0..<stacks).flatMap { _ in (0..<layersPerStack).map { 1 << $0 } } }
}

/// `wavenet`'s options.
public struct WaveNetOptions: FamilyOptions {
    @Option(help: "Repeats of the dilation cycle 1, 2, 4, … (default 3).") var stacks: Int?
    @Option(help: "Layers per cycle, dilations 1 … 2^(n−1) (default 10: up to 512).") var layersPerStack: Int?
    @Option(help: "Channels of the residual stream (default 32).") var residualChannels: Int?
    @Option(help: "Channels of each gated unit (default 32).") var dilationChannels: Int?
    @Option(help: "Channels of the skip connections and output layers (default 256).") var skipChannels: Int?
    @Option(help: "Samples per training window (default 4000: 0.5 s at 8 kHz).") var window: Int?
    @Flag(help: "Ignore the data's class labels (default: condition on them when there are any).") var unconditional = false
    @Flag(help: "Also condition on the speaker, as the paper's multi-speaker model (data with speakers: fsdd); `deepgen sample --speaker NAME` then picks the voice.")
    var speakers = false

    public init() {}

    public func apply(to h: inout WaveNetHyperparameters, variant: String) throws {
        if let stacks { h.stacks = stacks }
        if let layersPerStack { h.layersPerStack = layersPerStack }
        if let residualChannels { h.residualChannels = residualChannels }
        if let dilationChannels { h.dilationChannels = dilationChannels }
        if let skipChannels { h.skipChannels = skipChannels }
        if let window { h.windowLength = window }
        if unconditional { h.conditional = false }
        if speakers { h.conditioningSpeakers = 0 }
    }
}
