import Foundation

/// The files of one run: `config.json`, `checkpoints/`, `samples/`, `metrics.csv` and
/// TensorBoard event files.
public struct RunDirectory {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    public var configURL: URL { url.appendingPathComponent("config.json") }
    public var checkpointsURL: URL { url.appendingPathComponent("checkpoints") }
    public var samplesURL: URL { url.appendingPathComponent("samples") }
    public var metricsURL: URL { url.appendingPathComponent("metrics.csv") }
    /// The newest checkpoint, rewritten atomically after every epoch and on interruption.
    public var latestCheckpointURL: URL { checkpointsURL.appendingPathComponent("latest.safetensors") }

    public func epochCheckpointURL(_ epoch: Int) -> URL {
        checkpointsURL.appendingPathComponent(String(format: "epoch-%03d.safetensors", epoch))
    }

    public func sampleURL(_ epoch: Int, fileExtension: String = "png") -> URL {
        samplesURL.appendingPathComponent(String(format: "epoch-%03d.", epoch) + fileExtension)
    }

    /// Creates the folder for a new run, refusing one that already holds a run so nothing a user
    /// trained is overwritten.
    public func createForNewRun() throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw TrainingError.invalidRun("\(url.path) exists and is not a folder") }
            if fm.fileExists(atPath: configURL.path) || fm.fileExists(atPath: checkpointsURL.path) {
                throw TrainingError.invalidRun("\(url.path) already holds a run; resume it with --resume \(url.path) or choose another --out")
            }
        }
        for dir in [url, checkpointsURL, samplesURL] { try fm.createDirectory(at: dir, withIntermediateDirectories: true) }
    }

    /// Undoes ``createForNewRun()`` and ``writeConfig(_:)`` for a run that failed before its first
    /// step: removes `config.json` and the empty `checkpoints/` and `samples/` (and the folder if
    /// this run created it and it is empty). Files it did not create are left alone.
    public func removeUnstartedRun(removeFolder: Bool) {
        let fm = FileManager.default
        try? fm.removeItem(at: configURL)
        for dir in [checkpointsURL, samplesURL] + (removeFolder ? [url] : []) {
            if (try? fm.contentsOfDirectory(atPath: dir.path))?.isEmpty == true { try? fm.removeItem(at: dir) }
        }
    }

    public func writeConfig(_ config: RunConfig) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(config).write(to: configURL, options: .atomic)
    }

    public func readConfig() throws -> RunConfig {
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw TrainingError.invalidRun("\(url.path) has no config.json (is it a DeepGen run folder?)")
        }
        do { return try JSONDecoder().decode(RunConfig.self, from: Data(contentsOf: configURL)) } catch {
            throw TrainingError.invalidRun("\(configURL.path) cannot be read: \(error)")
        }
    }
}
