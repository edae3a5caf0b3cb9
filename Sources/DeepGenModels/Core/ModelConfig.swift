import DeepGenData
import Foundation

/// Everything that defines a model and how it trains: the model's name, the data it was made
/// for, the shared training settings and its family's hyperparameters. Written to `config.json`
/// and into every checkpoint, so a run folder or a checkpoint alone rebuilds the model.
///
/// Decoding looks the model's family up by name (``ModelFamilies``) to read its
/// hyperparameters; the flat format of earlier releases (``LegacyModelConfig``) still decodes.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// The command-line model name (`dcgan`, `conv-vae`, …).
    public var model: String
    /// The dataset as given on the command line (`shapes`, `fashion-mnist:sneaker`, `ring8`, …).
    public var dataset: String
    /// What the data yields (kind, shape, range, labels, domains).
    public var data: DataDescription
    public var training: TrainingSettings
    /// The family's own hyperparameters (read them with ``hyperparameters(as:)``).
    public var hyperparameters: any ModelHyperparameters

    public init(model: String, dataset: String, data: DataDescription, training: TrainingSettings,
                hyperparameters: any ModelHyperparameters) {
        self.model = model
        self.dataset = dataset
        self.data = data
        self.training = training
        self.hyperparameters = hyperparameters
    }

    /// The published defaults of model `name` on `data`, from the dataset `dataset` (`grid25`,
    /// `fashion-mnist:sneaker`).
    public static func defaults(for name: String, dataset: String, data: DataDescription) throws -> ModelConfig {
        let family = try ModelFamilies.requireFamily(named: name)
        let datasetName = (try? DatasetSpec(parsing: dataset).name) ?? dataset
        let (training, hyperparameters) = family.erasedDefaults(name, dataset: datasetName, data: data)
        return ModelConfig(model: name, dataset: dataset, data: data, training: training, hyperparameters: hyperparameters)
    }

    /// One sample's shape (one domain's for two-domain data).
    public var sampleShape: [Int] { data.shape }

    /// What the model asks of its data (``ModelFamily/dataRequest(_:variant:)``).
    public func dataRequest() throws -> DataRequest { try family().erasedDataRequest(self) }

    /// The model's family.
    public func family() throws -> any ModelFamily.Type { try ModelFamilies.requireFamily(named: model) }

    /// The hyperparameters as the family's own type.
    /// - Throws: ``ConfigurationError`` when they are of another type.
    public func hyperparameters<H: ModelHyperparameters>(as type: H.Type) throws -> H {
        guard let h = hyperparameters as? H else {
            throw ConfigurationError(message: "\(model) holds \(Swift.type(of: hyperparameters)), not \(H.self)")
        }
        return h
    }

    /// Changes the hyperparameters in place when they are an `H` (and does nothing otherwise).
    public mutating func updateHyperparameters<H: ModelHyperparameters>(_ type: H.Type, _ body: (inout H) throws -> Void) rethrows {
        guard var h = hyperparameters as? H else { return }
        try body(&h)
        hyperparameters = h
    }

    /// Checks the shared settings, the data against the family's needs, and the family's own
    /// rules; `newRun` adds the rules for starting a run (``ModelFamily/validateNewRun(_:variant:data:training:)``),
    /// which runs of earlier releases need not meet to load.
    public func validate(newRun: Bool = false) throws {
        let family = try family()
        guard family.accepts(hyperparameters) else {
            throw ConfigurationError(message: "\(model) does not take \(Swift.type(of: hyperparameters))")
        }
        try training.validate(newRun: newRun)
        try family.dataNeeds(model).check(data, model: model, dataset: dataset)
        try family.erasedValidate(self, newRun: newRun)
    }

    public static func == (a: ModelConfig, b: ModelConfig) -> Bool {
        a.model == b.model && a.dataset == b.dataset && a.data == b.data && a.training == b.training
            && a.hyperparameters.isEqual(to: b.hyperparameters)
    }

    enum CodingKeys: String, CodingKey { case model, dataset, data, training, hyperparameters }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        let family: any ModelFamily.Type
        do { family = try ModelFamilies.requireFamily(named: model) } catch {
            throw DecodingError.dataCorruptedError(forKey: .model, in: c, debugDescription: "\(error)")
        }
        dataset = try c.decode(String.self, forKey: .dataset)
        guard c.contains(.training) else {
            // The flat format of earlier releases.
            let legacy = try LegacyModelConfig(from: decoder)
            guard let h = family.erasedLegacy(legacy) else {
                throw DecodingError.dataCorruptedError(forKey: .training, in: c, debugDescription: "\(model) has no settings (no 'training' section)")
            }
            data = legacy.data
            training = legacy.training
            hyperparameters = h
            return
        }
        data = try c.decode(DataDescription.self, forKey: .data)
        training = try c.decode(TrainingSettings.self, forKey: .training)
        hyperparameters = try family.decodeHyperparameters(from: c.superDecoder(forKey: .hyperparameters))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(data, forKey: .data)
        try c.encode(training, forKey: .training)
        try hyperparameters.encode(to: c.superEncoder(forKey: .hyperparameters))
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
