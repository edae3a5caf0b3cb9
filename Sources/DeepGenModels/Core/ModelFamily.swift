import ArgumentParser
import DeepGen
import DeepGenData
import DeepGenMetrics

/// One command-line name of a family (`dcgan` of the GAN family) with its line in `deepgen list`.
public struct ModelVariant: Sendable {
    public var name: String
    public var summary: String

    public init(_ name: String, _ summary: String) {
        self.name = name
        self.summary = summary
    }
}

/// A family of models: everything the trainer, the evaluator and the command line need to know
/// about it, declared in one place. A family is one folder in `DeepGenModels` holding a type
/// conforming to this, and one line in ``ModelFamilies/builtIn`` (or a call to
/// ``ModelFamilies/register(_:)`` for a family defined outside the package).
///
/// Every requirement takes the variant (the command-line name) so one family can serve several
/// related models (gan, dcgan, wgan-gp and cdcgan share one training step).
public protocol ModelFamily {
    /// The family's own hyperparameters, stored in `config.json` and checkpoints.
    associatedtype Hyperparameters: ModelHyperparameters & Equatable

    /// The command-line names, in `deepgen list` order.
    static var variants: [ModelVariant] { get }
    /// The command-line options of `variant` (`deepgen train NAME --help` lists them beside the
    /// shared ones): the hyperparameters that model has.
    static func options(for variant: String) -> any FamilyOptions<Hyperparameters>.Type
    /// What data `variant` trains on.
    static func dataNeeds(_ variant: String) -> DataNeeds
    /// What to ask the data for once the hyperparameters are known (a text model's context
    /// length). Default: `dataNeeds(variant).request`.
    static func dataRequest(_ hyperparameters: Hyperparameters, variant: String) -> DataRequest
    /// The published settings for `variant` on `data`.
    static func defaults(_ variant: String, data: DataDescription) -> (training: TrainingSettings, hyperparameters: Hyperparameters)
    /// The published settings for `variant` on the dataset named `dataset` (its name before any
    /// colon, lowercased: `grid25`), for recipes measured on one dataset alone; data of one kind
    /// and shape can need different ones (ring8 and grid25). Default: `defaults(variant, data:)`.
    static func defaults(_ variant: String, dataset: String, data: DataDescription) -> (training: TrainingSettings, hyperparameters: Hyperparameters)
    /// Fits hyperparameters to a new run's training data (its label space, its scale); called
    /// once, after the command line's values are applied. Default: nothing.
    static func adapt(_ hyperparameters: inout Hyperparameters, variant: String, data: DataDescription, dataset: any Dataset) throws
    /// Checks that the model can be built and trained as configured, with a message naming the
    /// problem (the shared settings are checked already). Runs for every configuration loaded,
    /// so it must accept whatever earlier releases let a run start with.
    static func validate(_ hyperparameters: Hyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws
    /// Further rules for starting a new run: values that make no sense but that runs of earlier
    /// releases may hold and must still load with. Default: none.
    static func validateNewRun(_ hyperparameters: Hyperparameters, variant: String, data: DataDescription, training: TrainingSettings) throws
    /// The metrics `deepgen eval` computes when none are named.
    static func defaultMetrics(_ variant: String, data: DataDescription) -> [MetricName]
    /// Builds the model, drawing its initial weights from `rng`.
    static func makeModel(_ config: ModelConfig, hyperparameters: Hyperparameters, using rng: inout RandomGenerator) throws -> any GenerativeModel
    /// Maps a configuration from before families were plug-ins to this family's
    /// hyperparameters; `nil` (the default) for families that did not exist then.
    static func hyperparameters(fromLegacy legacy: LegacyModelConfig) -> Hyperparameters?
}

extension ModelFamily {
    public static func dataRequest(_ hyperparameters: Hyperparameters, variant: String) -> DataRequest { dataNeeds(variant).request }

    public static func validateNewRun(_ hyperparameters: Hyperparameters, variant: String, data: DataDescription,
                                      training: TrainingSettings) throws {}
    public static func adapt(_ hyperparameters: inout Hyperparameters, variant: String, data: DataDescription, dataset: any Dataset) throws {}
    public static func hyperparameters(fromLegacy legacy: LegacyModelConfig) -> Hyperparameters? { nil }
    public static func defaults(_ variant: String, dataset: String, data: DataDescription) -> (training: TrainingSettings, hyperparameters: Hyperparameters) {
        defaults(variant, data: data)
    }

    /// Whether `name` is one of this family's command-line names.
    public static func hasVariant(_ name: String) -> Bool { variants.contains { $0.name == name } }

    // Type-erased forms, for callers that hold `any ModelFamily.Type`.

    static func accepts(_ hyperparameters: any ModelHyperparameters) -> Bool { hyperparameters is Hyperparameters }

    static func erasedDefaults(_ variant: String, dataset: String, data: DataDescription) -> (TrainingSettings, any ModelHyperparameters) {
        let d = defaults(variant, dataset: dataset, data: data)
        return (d.training, d.hyperparameters)
    }

    static func erasedValidate(_ config: ModelConfig, newRun: Bool) throws {
        let h = try config.hyperparameters(as: Hyperparameters.self)
        try validate(h, variant: config.model, data: config.data, training: config.training)
        if newRun { try validateNewRun(h, variant: config.model, data: config.data, training: config.training) }
    }

    static func erasedDataRequest(_ config: ModelConfig) throws -> DataRequest {
        try dataRequest(config.hyperparameters(as: Hyperparameters.self), variant: config.model)
    }

    static func erasedMakeModel(_ config: ModelConfig, using rng: inout RandomGenerator) throws -> any GenerativeModel {
        try makeModel(config, hyperparameters: config.hyperparameters(as: Hyperparameters.self), using: &rng)
    }

    static func decodeHyperparameters(from decoder: any Decoder) throws -> any ModelHyperparameters {
        try Hyperparameters(from: decoder)
    }

    static func erasedLegacy(_ legacy: LegacyModelConfig) -> (any ModelHyperparameters)? {
        hyperparameters(fromLegacy: legacy)
    }
}

/// A family's command-line options: a swift-argument-parser option group whose values, when
/// given, replace the defaults of the family's hyperparameters. The library only declares
/// them; the `deepgen` command parses them.
public protocol FamilyOptions<Hyperparameters>: ParsableArguments {
    associatedtype Hyperparameters
    /// Writes the options given on the command line over `hyperparameters`.
    func apply(to hyperparameters: inout Hyperparameters, variant: String) throws
}

/// What a family's model needs of its data.
public struct DataNeeds: Sendable {
    /// The kinds of sample it trains on.
    public var kinds: [SampleKind]
    /// The interval images must be scaled to.
    public var range: PixelRange
    /// Whether samples must carry class labels (conditional models, classifiers).
    public var labels: Bool
    /// 1, or 2 for unpaired two-domain data.
    public var domains: Int

    public init(kinds: [SampleKind], range: PixelRange = .minusOneToOne, labels: Bool = false, domains: Int = 1) {
        self.kinds = kinds
        self.range = range
        self.labels = labels
        self.domains = domains
    }

    /// What to ask the dataset for.
    public var request: DataRequest { DataRequest(range: range, domains: domains) }

    /// Checks that `data` (of the dataset `dataset`) is what `model` needs.
    public func check(_ data: DataDescription, model: String, dataset: String) throws {
        if !kinds.contains(data.kind) {
            throw ConfigurationError(message: "\(model) trains on \(kinds.map(\.noun).joined(separator: " or ")); \(dataset) gives \(data.kind.noun)")
        }
        if data.kind == .image, data.range != range {
            throw ConfigurationError(message: "\(model) trains on images scaled to \(range.interval); the data is described as \(data.range?.interval ?? "unscaled")")
        }
        if labels, data.classLabels?.isEmpty ?? true {
            throw ConfigurationError(message: "\(model) needs a dataset with class labels (shapes, fashion-mnist, an IDX set); \(dataset) has none")
        }
        if data.domains != domains {
            throw ConfigurationError(message: domains == 2
                ? "\(model) needs two domains: two classes (shapes:square,circle, fashion-mnist:sneaker,ankle-boot) or unpaired:PATH; \(dataset) gives one"
                : "\(model) trains on one domain; \(dataset) gives \(data.domains)")
        }
    }
}
