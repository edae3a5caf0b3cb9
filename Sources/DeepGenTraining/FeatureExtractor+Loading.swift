import DeepGen
import DeepGenMetrics
import DeepGenModels
import Foundation

extension FeatureExtractor {
    /// Loads a classifier checkpoint written by `deepgen train classifier`.
    public static func load(checkpoint url: URL, source: String? = nil) throws -> FeatureExtractor {
        let checkpoint = try Checkpoint.load(from: url)
        guard let config = try checkpoint.metadataValue(ModelConfig.self, forKey: CheckpointKey.modelConfiguration) else {
            throw MetricError.invalidExtractor("\(url.path) has no model configuration; it was not written by deepgen train")
        }
        let model = try makeModel(config)
        guard let classifier = model as? Classifying else {
            throw MetricError.invalidExtractor("\(url.path) holds a \(config.model), not a classifier (train one with `deepgen train classifier --data DATA`)")
        }
        try model.restore(from: checkpoint, weightsOnly: true)
        return classifier.featureExtractor(source: source ?? url.path)
    }

    /// Loads a classifier from a run folder (its latest checkpoint) or a checkpoint file.
    public static func load(runOrCheckpoint path: String) throws -> FeatureExtractor {
        var url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw MetricError.invalidExtractor("feature extractor \(path) does not exist (give a classifier run folder or checkpoint)")
        }
        if isDir.boolValue { url = RunDirectory(url).latestCheckpointURL }
        return try load(checkpoint: url)
    }
}
