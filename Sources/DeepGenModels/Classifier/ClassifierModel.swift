import DeepGen
import DeepGenNN
import DeepGenOptimizers

/// Training for `classifier`: cross-entropy with Adam. Trained classifiers are the feature
/// extractors of `deepgen eval` (FID, KID, precision/recall, classifier score).
public final class ClassifierModel: GenerativeModel {
    public let config: ModelConfig
    public let classifier: FeatureClassifier
    public let network: TrainableNetwork
    public var networks: [TrainableNetwork] { [network] }
    public var lossNames: [String] { ["loss", "accuracy"] }

    public init(config: ModelConfig, using rng: inout RandomGenerator) throws {
        try config.validate()
        guard config.model == .classifier else { throw ConfigurationError(message: "\(config.model.rawValue) is not a classifier") }
        self.config = config
        classifier = FeatureClassifier(imageShape: config.sampleShape, classCount: config.classCount, width: config.width,
                                       featureSize: config.hiddenSize, seed: config.seed, using: &rng)
        network = TrainableNetwork(name: "classifier", module: classifier,
                                   optimizer: Adam(learningRate: config.learningRate, betas: (config.beta1, config.beta2)))
    }

    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        let logits = classifier(batch.inputs)
        let loss = optimize(Loss.crossEntropy(logits, labels: batch.labels), [network])
        let predicted = logits.detached().argmaxRows()
        let correct = zip(predicted, batch.labels).filter { $0 == $1 }.count
        return ["loss": loss, "accuracy": Float(correct) / Float(max(batch.labels.count, 1))]
    }

    /// A classifier draws no samples; the trainer reports test accuracy instead of a grid.
    public func previewSamples() -> Tensor { Tensor(zeros: [0]) }
}
