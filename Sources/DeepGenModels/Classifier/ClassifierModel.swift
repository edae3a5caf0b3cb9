import DeepGen
import DeepGenData
import DeepGenNN
import DeepGenOptimizers

/// Training for `classifier`: cross-entropy. Trained classifiers are the feature extractors of
/// `deepgen eval` (FID, KID, precision/recall, classifier score). On audio windows it classifies
/// their spectrograms (``SpectrogramImages``).
public final class ClassifierModel: GenerativeModel, Classifying, TestSetEvaluating {
    public let config: ModelConfig
    public let hyperparameters: ClassifierHyperparameters
    public let classifier: FeatureClassifier
    public let network: TrainableNetwork
    public var networks: [TrainableNetwork] { [network] }
    public var lossNames: [String] { ["loss", "accuracy"] }

    public init(config: ModelConfig, hyperparameters h: ClassifierHyperparameters, using rng: inout RandomGenerator) throws {
        guard config.model == "classifier" else { throw ConfigurationError(message: "\(config.model) is not a classifier") }
        self.config = config
        hyperparameters = h
        let audio = config.data.kind == .audio
        classifier = FeatureClassifier(imageShape: audio ? SpectrogramImages.shape(windowLength: config.sampleShape.reduce(1, *)) : config.sampleShape,
                                       classCount: h.classCount, width: h.width,
                                       featureSize: h.featureSize, seed: config.training.seed, using: &rng)
        network = TrainableNetwork(name: "classifier", module: classifier, optimizer: config.training.optimizer.makeOptimizer())
    }

    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        let logits = classifier(config.data.kind == .audio ? SpectrogramImages.images(batch.inputs) : batch.inputs)
        let loss = optimize(Loss.crossEntropy(logits, labels: batch.labels), [network])
        let predicted = logits.detached().argmaxRows()
        let correct = zip(predicted, batch.labels).filter { $0 == $1 }.count
        return ["loss": loss, "accuracy": Float(correct) / Float(max(batch.labels.count, 1))]
    }

    /// A classifier draws no samples; the trainer reports test accuracy instead of a grid.
    public func preview() -> Preview { .none }

    public func featureExtractor(source: String) -> FeatureExtractor {
        FeatureExtractor(classifier: classifier, imageShape: config.sampleShape, inputRange: config.data.range ?? .minusOneToOne,
                         dataset: config.dataset, source: source, audio: config.data.kind == .audio ? config.data.sampleRate ?? 8000 : nil)
    }

    public var testMetricColumns: [String] { ["test_accuracy"] }

    public func evaluateTestSet(_ test: any Dataset) throws -> [EpochMetric] {
        // The extractor puts the network in evaluation mode; training continues in training mode.
        defer { classifier.train() }
        let accuracy = try featureExtractor(source: "training").accuracy(on: test, range: config.data.range ?? .minusOneToOne)
        return [EpochMetric(column: "test_accuracy", tag: "test/accuracy", value: accuracy,
                            message: String(format: "test accuracy %.2f%%", 100 * accuracy))]
    }
}

extension ClassifierModel {
    /// The model `config` describes, checked first (its hyperparameters must be ClassifierHyperparameters).
    public convenience init(config: ModelConfig, using rng: inout RandomGenerator) throws {
        try config.validate()
        try self.init(config: config, hyperparameters: config.hyperparameters(as: ClassifierHyperparameters.self), using: &rng)
    }
}
