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

    /// The `index`th of several preview files of an epoch: `samples/epoch-NNN-K.<extension>`.
    public func sampleURL(_ epoch: Int, fileExtension: String, index: Int) -> URL {
        samplesURL.appendingPathComponent(String(format: "epoch-%03d-%d.", epoch, index) + fileExtension)
    }

    /// The checkpoints a resume may start from: `latest`, then `epoch-NNN` newest first (see
    /// ``ResumePoint`` for the order it tries them in).
    public func checkpointFiles() -> [URL] {
        let fm = FileManager.default
        let epochs = ((try? fm.contentsOfDirectory(atPath: checkpointsURL.path)) ?? [])
            .filter { $0.hasPrefix("epoch-") && $0.hasSuffix(".safetensors") }
            .compactMap { name in Int(name.dropFirst(6).dropLast(12)).map { ($0, name) } }
            .sorted { $0.0 > $1.0 }
            .map { checkpointsURL.appendingPathComponent($0.1) }
        return (fm.fileExists(atPath: latestCheckpointURL.path) ? [latestCheckpointURL] : []) + epochs
    }

    /// Creates the folder for a new run. A folder that holds a run is refused, so nothing a user
    /// trained is overwritten, unless it is a DeepGen run (its `config.json` reads as one) that
    /// never wrote a checkpoint and no process trains in: it was killed or diverged before its
    /// first. Then its config, log, event and sample files are moved into
    /// `.replaced-<time>/` (nothing is deleted) and `true` returned.
    @discardableResult
    public func createForNewRun() throws -> Bool {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        var replaced = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw TrainingError.invalidRun("\(url.path) exists and is not a folder") }
            if fm.fileExists(atPath: configURL.path) || fm.fileExists(atPath: checkpointsURL.path) {
                guard (try? readConfig()) != nil else {
                    throw TrainingError.invalidRun("\(url.path) holds files that are not a DeepGen run's (no readable config.json); choose another --out")
                }
                guard checkpointFiles().isEmpty else {
                    throw TrainingError.invalidRun("\(url.path) already holds a run; resume it with --resume \(url.path) or choose another --out")
                }
                try RunLock.checkFree(self)
                let events = ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).filter { $0.hasPrefix("events.out.tfevents.") }
                let samples = ((try? fm.contentsOfDirectory(atPath: samplesURL.path)) ?? []).filter { $0.hasPrefix("epoch-") }
                let files = [configURL, metricsURL] + events.map { url.appendingPathComponent($0) } + samples.map { samplesURL.appendingPathComponent($0) }
                let aside = url.appendingPathComponent(".replaced-\(Int(Date().timeIntervalSince1970))")
                try fm.createDirectory(at: aside, withIntermediateDirectories: true)
                for file in files where fm.fileExists(atPath: file.path) {
                    try fm.moveItem(at: file, to: aside.appendingPathComponent(file.lastPathComponent))
                }
                replaced = true
            }
        }
        for dir in [url, checkpointsURL, samplesURL] { try fm.createDirectory(at: dir, withIntermediateDirectories: true) }
        return replaced
    }

    /// Removes the temporary files of checkpoint writes a killed process left behind
    /// (`.NAME.tmp-PID-N` whose process is gone).
    public func removeStaleTemporaryFiles() {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: checkpointsURL.path)) ?? [] where name.hasPrefix(".") {
            guard let range = name.range(of: ".tmp-"), let pid = Int32(name[range.upperBound...].prefix { $0.isNumber }) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH { try? fm.removeItem(at: checkpointsURL.appendingPathComponent(name)) }
        }
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
