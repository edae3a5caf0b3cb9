import DeepGen
import DeepGenData
import DeepGenKernels
import DeepGenModels
import Foundation

/// The checkpoint a run resumes from and the configuration it resumes with.
///
/// The configuration comes from the checkpoint itself (checkpoints since 2026-12-05 hold the whole
/// ``RunConfig``; earlier ones the model's and the data's, with `config.json` for the rest), so an
/// edited `config.json` cannot change a run silently: where the two disagree, resuming names the
/// fields. Only the epochs may differ (`--resume RUN --epochs N` records a new total there), and
/// the data's folder (files that moved). The candidates are tried newest first by the step they
/// record (`latest`, or an `epoch-NNN` written after it by a process that died before `latest`);
/// one that cannot be read, does not fit the model, holds non-finite values or belongs to another
/// configuration gives way to the next, with a note.
struct ResumePoint {
    let url: URL
    let checkpoint: Checkpoint
    let config: RunConfig
    var notes: [String] = []

    init(_ run: RunDirectory) throws {
        let fm = FileManager.default
        var notes: [String] = []
        var fileConfig: RunConfig?
        do { fileConfig = try run.readConfig() } catch TrainingError.invalidRun(let problem) {
            guard !run.checkpointFiles().isEmpty else {
                throw TrainingError.invalidRun(fm.fileExists(atPath: run.configURL.path) ? problem
                    : "\(run.url.path) is not a DeepGen run folder: it has no config.json and no checkpoint")
            }
            notes.append("\(problem); using the configuration saved in the checkpoint")
        }
        let files = run.checkpointFiles()
        guard !files.isEmpty else {
            throw TrainingError.invalidRun("\(run.url.path) has no checkpoint to resume from: it stopped before writing its first. "
                + "Start it again in the same folder (the same command, or other settings: deepgen train MODEL … --out \(run.url.path)); "
                + "the files of the stopped attempt are kept in \(run.url.path)/.replaced-…")
        }
        let (candidates, unreadable) = Self.newestFirst(files)
        var problems = unreadable.map { "\($0.url.lastPathComponent) cannot be used (\(Self.message($0.error)))" }
        var disagreements: [(file: String, differences: [String])] = []
        for url in candidates {
            let checkpoint: Checkpoint, saved: RunConfig
            do {
                checkpoint = try Checkpoint.load(from: url)
                saved = try Self.savedConfig(in: checkpoint, fallback: fileConfig)
                // Everything a resume reads must be there and fit: build the model and restore it.
                _ = try Self.position(of: checkpoint)
                try makeModel(saved.model).restore(from: checkpoint)
                if let name = checkpoint.tensors.keys.sorted().first(where: { !$0.hasPrefix("extra.") && !checkpoint.tensors[$0]!.isFinite }) {
                    throw TrainingError.invalidRun("\(name) holds non-finite values")
                }
            } catch {
                problems.append("\(url.lastPathComponent) cannot be used (\(Self.message(error)))")
                continue
            }
            var config = saved
            if let fileConfig {
                let differences = Self.differences(fileConfig, saved)
                guard differences.isEmpty else {
                    disagreements.append((url.lastPathComponent, differences))
                    continue
                }
                config.model.training.epochs = fileConfig.model.training.epochs
                config.data.directory = fileConfig.data.directory
            }
            let skipped = problems + disagreements.map { "\($0.file) holds another configuration than config.json (\($0.differences.joined(separator: "; ")))" }
            if !skipped.isEmpty { notes.append(skipped.joined(separator: "; ") + "; resuming from \(url.lastPathComponent) instead") }
            self.url = url
            self.checkpoint = checkpoint
            self.config = config
            self.notes = notes
            return
        }
        if let first = disagreements.first {
            throw TrainingError.invalidRun("config.json and the configuration saved in \(first.file) disagree: "
                + first.differences.joined(separator: "; ")
                + ". A run keeps the settings it started with: if config.json was edited, restore it; if the checkpoint comes from another run, remove it"
                + (problems.isEmpty ? "" : " (\(problems.joined(separator: "; ")))"))
        }
        throw TrainingError.invalidRun("no checkpoint of \(run.url.path) can be resumed: " + problems.joined(separator: "; "))
    }

    /// `files` by the global step their metadata records, newest first (`latest` first among
    /// equals; one without a step last), and the files whose header cannot be read, with why.
    static func newestFirst(_ files: [URL]) -> (candidates: [URL], unreadable: [(url: URL, error: any Error)]) {
        var steps: [(url: URL, step: Int?)] = [], unreadable: [(url: URL, error: any Error)] = []
        for url in files {
            do { steps.append((url, try SafetensorsFile.metadata(contentsOf: url)[Trainer.stepKey].flatMap { Int($0) })) } catch {
                unreadable.append((url, error))
            }
        }
        let ordered = steps.indices.sorted { a, b in
            switch (steps[a].step, steps[b].step) {
            case let (x?, y?) where x != y: return x > y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a < b
            }
        }
        return (ordered.map { steps[$0].url }, unreadable)
    }

    /// An error's message without the "invalid run folder:" that reads oddly inside a note.
    static func message(_ error: any Error) -> String {
        if case TrainingError.invalidRun(let m) = error { return m }
        return "\(error)"
    }

    /// The run configuration a checkpoint holds; for checkpoints from before it held the whole
    /// of it, the model's and the data's, with the rest from `fallback` (`config.json`).
    static func savedConfig(in checkpoint: Checkpoint, fallback: RunConfig?) throws -> RunConfig {
        if let config = try checkpoint.metadataValue(RunConfig.self, forKey: Trainer.runConfigKey) { return config }
        guard let model = try checkpoint.metadataValue(ModelConfig.self, forKey: CheckpointKey.modelConfiguration) else {
            throw TrainingError.invalidRun("it has no model configuration")
        }
        let data = try checkpoint.metadataValue(DataOptions.self, forKey: Trainer.dataKey) ?? fallback?.data ?? DataOptions(spec: model.dataset)
        guard let fallback else {
            // Neither config.json nor a saved run configuration: the thread count the checkpoint was written with.
            let threads = (try? checkpoint.metadataValue(Int.self, forKey: Trainer.threadsKey)).flatMap { $0 } ?? Parallel.threadCount
            return RunConfig(model: model, data: data, threads: threads)
        }
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
