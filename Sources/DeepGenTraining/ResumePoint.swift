import DeepGen
import DeepGenData
import DeepGenModels
import Foundation

/// The checkpoint a run resumes from and the configuration it resumes with.
///
/// The configuration comes from the checkpoint itself (checkpoints since 2026-12-05 hold the whole
/// ``RunConfig``; earlier ones the model's and the data's, with `config.json` for the rest), so an
/// edited `config.json` cannot change a run silently: where it disagrees, resuming stops and names
/// the fields. Only the epochs may differ (`--resume RUN --epochs N` records a new total there),
/// and the data's folder (files that moved). A latest checkpoint that cannot be read or does not
/// fit the model gives way to the newest `epoch-NNN` that does.
struct ResumePoint {
    let url: URL
    let checkpoint: Checkpoint
    let config: RunConfig
    var notes: [String] = []

    init(_ run: RunDirectory) throws {
        let fm = FileManager.default
        var notes: [String] = []
        var fileConfig: RunConfig?
        do { fileConfig = try run.readConfig() } catch {
            guard fm.fileExists(atPath: run.checkpointsURL.path) else { throw error }
            notes.append("\(error); using the configuration saved in the checkpoint")
        }
        let candidates = run.checkpointFiles()
        guard !candidates.isEmpty else {
            throw TrainingError.invalidRun("\(run.url.path) has no checkpoint to resume from: it stopped before writing its first. "
                + "Start it again in the same folder with the command that made it (deepgen train MODEL … --out \(run.url.path)), which replaces it")
        }
        var problems: [String] = []
        for url in candidates {
            let checkpoint: Checkpoint, saved: RunConfig
            do {
                checkpoint = try Checkpoint.load(from: url)
                saved = try Self.savedConfig(in: checkpoint, fallback: fileConfig)
                // Everything a resume reads must be there and fit: build the model and restore it.
                _ = try Self.position(of: checkpoint)
                try makeModel(saved.model).restore(from: checkpoint)
            } catch {
                problems.append("\(url.lastPathComponent) cannot be used (\(error))")
                continue
            }
            var config = saved
            if let fileConfig {
                let differences = Self.differences(fileConfig, saved)
                guard differences.isEmpty else {
                    throw TrainingError.invalidRun("config.json disagrees with the configuration saved in \(url.lastPathComponent): "
                        + differences.joined(separator: "; ")
                        + ". A run keeps the settings it started with: restore config.json, or start a new run with the new settings")
                }
                config.model.training.epochs = fileConfig.model.training.epochs
                config.data.directory = fileConfig.data.directory
            }
            if !problems.isEmpty { notes.append(problems.joined(separator: "; ") + "; resuming from \(url.lastPathComponent) instead") }
            self.url = url
            self.checkpoint = checkpoint
            self.config = config
            self.notes = notes
            return
        }
        throw TrainingError.invalidRun("no checkpoint of \(run.url.path) can be resumed: " + problems.joined(separator: "; "))
    }

    /// The run configuration a checkpoint holds; for checkpoints from before it held the whole
    /// of it, the model's and the data's, with the rest from `fallback` (`config.json`).
    static func savedConfig(in checkpoint: Checkpoint, fallback: RunConfig?) throws -> RunConfig {
        if let config = try checkpoint.metadataValue(RunConfig.self, forKey: Trainer.runConfigKey) { return config }
        guard let model = try checkpoint.metadataValue(ModelConfig.self, forKey: CheckpointKey.modelConfiguration) else {
            throw TrainingError.invalidRun("it has no model configuration")
        }
        let data = try checkpoint.metadataValue(DataOptions.self, forKey: Trainer.dataKey) ?? fallback?.data ?? DataOptions(spec: model.dataset)
        guard let fallback else { return RunConfig(model: model, data: data, threads: 1) }
        return RunConfig(model: model, data: data, threads: fallback.threads, evaluation: fallback.evaluation, command: fallback.command)
    }

    /// Where in the run a checkpoint was written.
    static func position(of checkpoint: Checkpoint) throws -> (step: Int, loader: LoaderState, rng: RandomGenerator) {
        guard let step = try checkpoint.metadataValue(Int.self, forKey: Trainer.stepKey),
              let loader = try checkpoint.metadataValue(LoaderState.self, forKey: Trainer.loaderKey),
              let rng = try checkpoint.metadataValue(RandomGenerator.self, forKey: Trainer.rngKey) else {
            throw TrainingError.invalidRun("it lacks the trainer's position (step, loader or generator state)")
        }
        return (step, loader, rng)
    }

    /// The fields in which `file` differs from `saved`, as `path: A in config.json, B in the
    /// checkpoint` (the epochs and the data's folder may differ).
    static func differences(_ file: RunConfig, _ saved: RunConfig) -> [String] {
        func leaves(_ config: RunConfig) -> [String: String] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            guard let data = try? encoder.encode(config), let object = try? JSONSerialization.jsonObject(with: data) else { return [:] }
            var out: [String: String] = [:]
            func walk(_ value: Any, _ path: String) {
                if let dict = value as? [String: Any] {
                    for (k, v) in dict { walk(v, path.isEmpty ? k : "\(path).\(k)") }
                } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                    out[path] = String(decoding: data, as: UTF8.self)
                }
            }
            walk(object, "")
            return out
        }
        let a = leaves(file), b = leaves(saved)
        let ignored: Set<String> = ["model.training.epochs", "data.directory", "command"]
        return Set(a.keys).union(b.keys).subtracting(ignored).sorted().compactMap { key in
            a[key] == b[key] ? nil : "\(key) is \(a[key] ?? "absent") in config.json, \(b[key] ?? "absent") in the checkpoint"
        }
    }
}
