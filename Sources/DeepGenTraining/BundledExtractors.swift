import DeepGenData
import DeepGenMetrics
import DeepGenModels
import Foundation

extension FeatureExtractor {
    /// The resource file of the classifier bundled for each dataset name.
    static let bundledFiles = ["fashion-mnist": "fashion-mnist-classifier.safetensors", "fashionmnist": "fashion-mnist-classifier.safetensors",
                               "fsdd": "fsdd-classifier.safetensors", "shapes": "shapes-classifier.safetensors"]

    /// Whether a classifier ships for `datasetSpec`'s dataset.
    public static func hasBundled(for datasetSpec: String) -> Bool {
        bundledFiles[datasetSpec.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""] != nil
    }

    /// The classifier that ships with DeepGen for `datasetSpec`'s dataset (any class subset of it).
    /// - Throws: ``MetricError/invalidExtractor(_:)`` naming how to train one when none ships.
    public static func bundled(for datasetSpec: String) throws -> FeatureExtractor {
        let name = datasetSpec.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        guard let file = bundledFiles[name] else {
            throw MetricError.invalidExtractor("no feature extractor ships for '\(datasetSpec)': train one with `deepgen train classifier --data \(datasetSpec.split(separator: ":").first ?? "DATA") --out RUN` and pass --extractor RUN")
        }
        guard let url = BundledResource.url(file) else {
            throw MetricError.invalidExtractor("the bundled feature extractor \(file) is missing: keep the DeepGen_DeepGenTraining.resources folder next to the deepgen binary, or set DEEPGEN_RESOURCES to the folder holding \(file)")
        }
        return try load(checkpoint: url, source: "bundled \(file)")
    }
}
