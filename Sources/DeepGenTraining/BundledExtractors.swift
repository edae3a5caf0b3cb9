import DeepGenMetrics
import DeepGenModels
import Foundation

extension FeatureExtractor {
    /// The resource file of the classifier bundled for each dataset name.
    static let bundledFiles = ["fashion-mnist": "fashion-mnist-classifier.safetensors", "fashionmnist": "fashion-mnist-classifier.safetensors"]

    /// The classifier that ships with DeepGen for `datasetSpec`'s dataset (any class subset of it).
    /// - Throws: ``MetricError/invalidExtractor(_:)`` naming how to train one when none ships.
    public static func bundled(for datasetSpec: String) throws -> FeatureExtractor {
        let name = datasetSpec.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        guard let file = bundledFiles[name] else {
            throw MetricError.invalidExtractor("no feature extractor ships for '\(datasetSpec)': train one with `deepgen train classifier --data \(datasetSpec.split(separator: ":").first ?? "DATA") --out RUN` and pass --extractor RUN")
        }
        guard let url = resourceURL(file) else {
            throw MetricError.invalidExtractor("the bundled feature extractor \(file) is missing: keep the DeepGen_DeepGenTraining.resources folder next to the deepgen binary, or set DEEPGEN_RESOURCES to the folder holding \(file)")
        }
        return try load(checkpoint: url, source: "bundled \(file)")
    }

    /// Finds a bundled resource without SwiftPM's `Bundle.module`, which aborts the process when
    /// the resource folder is not next to the binary: `$DEEPGEN_RESOURCES`, the resource bundle
    /// beside the executable (or the test bundle), then the source tree this was built from.
    static func resourceURL(_ file: String) -> URL? {
        let bundleName = "DeepGen_DeepGenTraining.resources"
        var folders: [URL] = []
        if let env = ProcessInfo.processInfo.environment["DEEPGEN_RESOURCES"] { folders.append(URL(fileURLWithPath: env)) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for base in [Bundle.main.bundleURL, executable, Bundle.main.bundleURL.deletingLastPathComponent()] {
            folders.append(base.appendingPathComponent(bundleName).appendingPathComponent("Resources"))
            folders.append(base.appendingPathComponent(bundleName))
        }
        folders.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources"))
        return folders.map { $0.appendingPathComponent(file) }.first { FileManager.default.fileExists(atPath: $0.path) }
    }
}
