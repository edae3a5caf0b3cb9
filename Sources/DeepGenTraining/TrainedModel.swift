import DeepGen
import DeepGenData
import DeepGenModels
import Foundation

/// A trained model loaded from a run folder (its latest checkpoint) or a checkpoint file, with
/// what the checkpoint records about its data: what `sample`, `eval`, `translate` and the other
/// commands start from.
public struct TrainedModel {
    public let model: any GenerativeModel
    public var config: ModelConfig { model.config }
    /// The checkpoint file the weights came from.
    public let checkpointURL: URL
    /// The run folder when the path was one (or the checkpoint sits in one's `checkpoints/`).
    public let runURL: URL?
    /// Where the training data came from (the checkpoint's record; the configured name otherwise).
    public let data: DataOptions
    public let epoch: Int?

    /// - Throws: ``ModelLoadError`` naming the file and what is wrong with it.
    public init(_ path: String) throws {
        var url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw ModelLoadError(message: "\(path) does not exist (give a run folder or a .safetensors checkpoint)")
        }
        if isDir.boolValue {
            runURL = url
            url = RunDirectory(url).latestCheckpointURL
        } else {
            let parent = url.deletingLastPathComponent()
            let run = parent.deletingLastPathComponent()
            runURL = parent.lastPathComponent == "checkpoints" && FileManager.default.fileExists(atPath: RunDirectory(run).configURL.path) ? run : nil
        }
        checkpointURL = url
        do {
            let checkpoint = try Checkpoint.load(from: url)
            guard let config = try checkpoint.metadataValue(ModelConfig.self, forKey: CheckpointKey.modelConfiguration) else {
                throw ModelLoadError(message: "\(url.path) has no model configuration; it was not written by deepgen train")
            }
            model = try makeModel(config)
            try model.restore(from: checkpoint, weightsOnly: true)
            data = try checkpoint.metadataValue(DataOptions.self, forKey: Trainer.dataKey) ?? DataOptions(spec: config.dataset)
            epoch = try checkpoint.metadataValue(Int.self, forKey: CheckpointKey.epoch)
        } catch let e as ModelLoadError { throw e } catch {
            throw ModelLoadError(message: "cannot load \(url.path): \(error)")
        }
    }

    /// The model's data, as its family asks for it (`directory` replaces the recorded IDX folder).
    public func runData(directory: String? = nil) throws -> RunData {
        var options = data
        if let directory { options.directory = directory }
        return try RunData(for: config, options: options)
    }
}

/// A run folder or checkpoint that cannot be loaded, with a message naming the file.
public struct ModelLoadError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
