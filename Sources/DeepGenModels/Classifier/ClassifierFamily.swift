import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenMetrics

/// Not generative: the CNN classifier that `deepgen eval` uses as its feature extractor.
public enum ClassifierFamily: ModelFamily {
    public static let variants = [
        ModelVariant("classifier", "CNN classifier (2 conv blocks, 128 features) of images or audio spectrograms: the feature extractor of `deepgen eval` for a dataset"),
    ]

    public static func options(for variant: String) -> any FamilyOptions<ClassifierHyperparameters>.Type { ClassifierOptions.self }

    public static func dataNeeds(_ variant: String) -> DataNeeds { DataNeeds(kinds: [.image, .audio], labels: true) }

    public static func defaults(_ variant: String, data: DataDescription) -> (training: TrainingSettings, hyperparameters: ClassifierHyperparameters) {
        // Audio sets are small (FSDD: 2,700 clips, 21 steps an epoch at 128): smaller batches, more epochs.
        let audio = data.kind == .audio
        return (TrainingSettings(epochs: audio ? 15 : 10, batchSize: audio ? 32 : 128, optimizer: .adam(learningRate: 1e-3, betas: (0.9, 0.999))),
                ClassifierHyperparameters())
    }

    public static func adapt(_ h: inout ClassifierHyperparameters, variant: String, data: DataDescription, dataset: any Dataset) throws {
        if let space = data.labelSpace { (h.classCount, h.classes) = (space.count, space.subset) }
    }

    public static func validate(_ h: ClassifierHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        func fail(_ m: String) throws { throw ConfigurationError(message: m) }
        if data.kind == .audio {
            let length = data.shape.reduce(1, *)
            if SpectrogramImages.columns(windowLength: length) == 0 {
                try fail("classifier needs audio windows of at least \(SpectrogramImages.minimumWindow) samples (16 spectrogram frames); the data has \(length)")
            }
        } else if data.shape.count != 3 || data.shape[1] % 4 != 0 || data.shape[2] % 4 != 0 {
            try fail("classifier needs images with sides divisible by 4; the data has shape \(data.shape)")
        }
        try checkRange(h.width, 1..., "--width")
        try checkRange(h.featureSize, 1..., "--feature-size")
        if h.classCount < 2 { try fail("a classifier needs at least two classes, got \(h.classCount)") }
        if let classes = h.classes, classes.isEmpty || !classes.allSatisfy({ (0..<h.classCount).contains($0) }) {
            try fail("trained classes \(classes) must be a non-empty subset of 0..<\(h.classCount)")
        }
    }

    public static func validateNewRun(_ h: ClassifierHyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws {
        try checkRange(h.width, ...4096, "--width")
        try checkRange(h.featureSize, ...65_536, "--feature-size")
    }

    public static func defaultMetrics(_ variant: String, data: DataDescription) -> [MetricName] { [.accuracy] }

    public static func makeModel(_ config: ModelConfig, hyperparameters: ClassifierHyperparameters, using rng: inout RandomGenerator) throws -> any GenerativeModel {
        try ClassifierModel(config: config, hyperparameters: hyperparameters, using: &rng)
    }

    public static func hyperparameters(fromLegacy c: LegacyModelConfig) -> ClassifierHyperparameters? {
        ClassifierHyperparameters(width: c.width, featureSize: c.hiddenSize, classCount: c.classCount, classes: c.classes)
    }
}

/// The classifier's hyperparameters.
public struct ClassifierHyperparameters: ModelHyperparameters, Equatable {
    /// Channels of the first convolution block (the second has twice as many).
    public var width = 32
    /// Units of the penultimate layer: the features FID, KID and precision/recall compare.
    public var featureSize = 128
    /// The size of the label space (labels are `0..<classCount`; the data's).
    public var classCount = 10
    /// The labels it was trained on when a subset (recorded, like a conditional GAN's); `nil`
    /// means all of `0..<classCount`.
    public var classes: [Int]?

    public init(width: Int = 32, featureSize: Int = 128, classCount: Int = 10, classes: [Int]? = nil) {
        self.width = width
        self.featureSize = featureSize
        self.classCount = classCount
        self.classes = classes
    }
}

/// The classifier's command-line options.
public struct ClassifierOptions: FamilyOptions {
    @Option(help: "Channels of the first convolution block (default 32).") var width: Int?
    @Option(name: [.customLong("feature-size"), .customLong("hidden-size")], help: "Units of the feature layer (default 128).")
    var featureSize: Int?

    public init() {}

    public func apply(to h: inout ClassifierHyperparameters, variant: String) throws {
        if let width { h.width = width }
        if let featureSize { h.featureSize = featureSize }
    }
}
