import DeepGen
import DeepGenData
import DeepGenModels
import Foundation

/// Everything a run folder records about how the run was made; `config.json`.
public struct RunConfig: Codable, Equatable {
    public var model: ModelConfig
    public var data: DataOptions
    /// Kernel threads the run used (bit-identical resumption needs the same count).
    public var threads: Int
    /// Metrics computed during training (`--eval-every`); `nil` computes none.
    public var evaluation: EvaluationSchedule? = nil
    /// The command line that started the run, when it came from one (to start it again).
    public var command: [String]? = nil

    public init(model: ModelConfig, data: DataOptions, threads: Int, evaluation: EvaluationSchedule? = nil, command: [String]? = nil) {
        self.model = model
        self.data = data
        self.threads = threads
        self.evaluation = evaluation
        self.command = command
    }
}

/// FID and KID (images) or mode coverage (2-D mixtures) every `every` epochs of training, on a
/// smaller sample than `deepgen eval`'s so it stays cheap; logged to `metrics.csv` and TensorBoard.
public struct EvaluationSchedule: Codable, Equatable, Sendable {
    public var every: Int
    /// Generated samples and test images compared (2-D: samples).
    public var count: Int
    /// A classifier run folder or checkpoint; `nil` uses the one bundled for the data.
    public var extractor: String?

    public init(every: Int, count: Int = 2000, extractor: String? = nil) {
        self.every = every
        self.count = count
        self.extractor = extractor
    }
}

extension RunConfig {
    /// The configuration of a new run of model `name` on `data`: the family's defaults for what
    /// the data yields, then `customize` (the command line's values), then what the family takes
    /// from the data (label space, scale), checked as a whole. Returns the built data too, so the
    /// run does not build it again.
    public static func newRun<F: ModelFamily>(
        _ family: F.Type, model name: String, data options: DataOptions, seed: UInt64, threads: Int,
        evaluation: EvaluationSchedule? = nil,
        customize: (inout TrainingSettings, inout F.Hyperparameters) throws -> Void = { _, _ in }
    ) throws -> (config: RunConfig, data: RunData) {
        precondition(family.hasVariant(name), "[RunConfig.newRun] \(name) is not a model of \(family)")
        let needs = family.dataNeeds(name)
        var data = try RunData(options: options, request: needs.request, seed: seed)
        try needs.check(data.description, model: name, dataset: options.spec)
        let dataset = try DatasetSpec(parsing: options.spec).name
        var (training, hyperparameters) = family.defaults(name, dataset: dataset, data: data.description)
        training.seed = seed
        try customize(&training, &hyperparameters)
        // A model that asks for more than the defaults (a text model's context) gets its data again.
        let request = family.dataRequest(hyperparameters, variant: name)
        if request != data.request { data = try RunData(options: options, request: request, seed: seed) }
        try family.adapt(&hyperparameters, variant: name, data: data.description, dataset: data.train())
        let model = ModelConfig(model: name, dataset: options.spec, data: data.description, training: training, hyperparameters: hyperparameters)
        try model.validate(newRun: true)
        let count = try data.train().count
        if count < training.batchSize {
            throw ConfigurationError(message: "the dataset has \(count) samples, fewer than one batch of \(training.batchSize)")
        }
        return (RunConfig(model: model, data: options, threads: threads, evaluation: evaluation), data)
    }

    /// ``newRun(_:model:data:seed:threads:evaluation:customize:)`` for a model known by name only.
    public static func newRun(
        model name: String, data options: DataOptions, seed: UInt64, threads: Int, evaluation: EvaluationSchedule? = nil,
        customize: (inout TrainingSettings, inout any ModelHyperparameters) throws -> Void = { _, _ in }
    ) throws -> (config: RunConfig, data: RunData) {
        func open<F: ModelFamily>(_ family: F.Type) throws -> (config: RunConfig, data: RunData) {
            try newRun(family, model: name, data: options, seed: seed, threads: threads, evaluation: evaluation) { training, hyperparameters in
                var erased: any ModelHyperparameters = hyperparameters
                try customize(&training, &erased)
                guard let typed = erased as? F.Hyperparameters else {
                    throw ConfigurationError(message: "\(name) takes \(F.Hyperparameters.self), not \(type(of: erased))")
                }
                hyperparameters = typed
            }
        }
        return try open(ModelFamilies.requireFamily(named: name))
    }
}
