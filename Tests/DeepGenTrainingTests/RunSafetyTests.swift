import Foundation
import Testing
import DeepGen
import DeepGenData
import DeepGenModels
@testable import DeepGenTraining

/// Training never loses a user's work: divergence stops before anything non-finite is written,
/// resuming rebuilds the run from its checkpoint (and falls back from a corrupt one), and a write
/// that fails says what is intact.
@Suite(.serialized) struct RunSafetyTests {
    init() { ModelFamilies.register(DiagonalGaussianFamily.self) }

    /// A Gaussian on ring8: 256 points, batches of 64, 4 steps per epoch.
    func gaussianRun(epochs: Int = 3, lr: Double = 0.05, nanAt step: Int? = nil, count: Int = 256) throws -> RunConfig {
        try RunConfig.newRun(model: "gaussian", data: DataOptions(spec: "ring8", syntheticCount: count), seed: 4, threads: 2) { t, h in
            t.epochs = epochs
            t.optimizer.learningRate = lr
            if var g = h as? GaussianHyperparameters { g.nanGradientAtStep = step; h = g }
        }.config
    }

    func bytes(_ url: URL) -> Data? { try? Data(contentsOf: url) }

    /// Trains a new Gaussian run in `dir` (which must not exist) and stops it after `steps` steps.
    func stoppedRun(in dir: URL, epochs: Int, after steps: Int) throws {
        let trainer = try Trainer(newRun: try gaussianRun(epochs: epochs), in: dir)
        trainer.stopAfterSteps = steps
        _ = try trainer.run()
    }

    func divergence(_ body: () throws -> Void) -> Divergence? {
        do { try body() } catch TrainingError.diverged(let d) { return d } catch {
            Issue.record("expected a divergence, got \(error)")
            return nil
        }
        Issue.record("training did not stop")
        return nil
    }

    @Test func aNaNGradientInTheFirstEpochLeavesARunThatStartsAgainInPlace() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir)
        let config = try gaussianRun(nanAt: 3)
        let d = divergence { _ = try Trainer(newRun: config, in: dir).run() }
        #expect(d?.step == 3 && d?.epoch == 0 && d?.kept == nil)
        #expect(d?.what.hasPrefix("the gradient of gaussian.") == true && d?.what.hasSuffix("nan") == true, "\(String(describing: d))")
        #expect(d?.description.contains("No checkpoint had been written yet") == true)
        #expect(RunDirectory(dir).checkpointFiles().isEmpty)
        // Resuming says how to start again; starting again in the same folder replaces the run.
        do { _ = try Trainer(resuming: dir); Issue.record("resumed a run without a checkpoint") } catch {
            #expect("\(error)".contains("has no checkpoint to resume from: it stopped before writing its first"), "\(error)")
        }
        let again = try Trainer(newRun: try gaussianRun(), in: dir)
        #expect(again.notes.first?.contains("replaced the run") == true)
        #expect(try again.run() == .finished)
    }

    @Test func aNaNGradientOnAnEpochsLastStepKeepsThePreviousCheckpoint() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir)
        let trainer = try Trainer(newRun: try gaussianRun(nanAt: 8), in: dir)  // epoch 2's last step
        let d = divergence { _ = try trainer.run() }
        let run = RunDirectory(dir)
        #expect(d?.step == 8 && d?.epoch == 1 && d?.kept?.step == 4 && d?.kept?.path == run.latestCheckpointURL.path, "\(String(describing: d))")
        #expect(d?.description.contains("The last good checkpoint") == true)
        // Only epoch 1's checkpoint exists, and it is finite.
        #expect(run.checkpointFiles().map(\.lastPathComponent) == ["latest.safetensors", "epoch-001.safetensors"])
        let kept = try Checkpoint.load(from: run.latestCheckpointURL)
        #expect(kept.tensors.values.allSatisfy { $0.isFinite })
        #expect(try kept.metadataValue(Int.self, forKey: CheckpointKey.step) == 4)
    }

    @Test func weightsThatOverflowAreNotSaved() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir)
        // A rate past Float's range: the first update sends the weights to infinity, on the
        // epoch's only step, so the check before anything is written catches it.
        let d = divergence { _ = try Trainer(newRun: try gaussianRun(lr: 1e39, count: 64), in: dir).run() }
        #expect(d != nil)
        #expect(d?.what.contains("gaussian.") == true, "\(String(describing: d))")
        #expect(RunDirectory(dir).checkpointFiles().isEmpty)
    }

    @Test func resumingTakesTheCheckpointsConfigurationAndReportsAnEditedOne() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir)
        try stoppedRun(in: dir, epochs: 2, after: 5)
        let run = RunDirectory(dir)
        let original = try #require(bytes(run.configURL))

        // An edited seed is refused, field by field, and nothing in the folder changes.
        var edited = try run.readConfig()
        edited.model.training.seed = 99
        edited.model.training.batchSize = 32
        try run.writeConfig(edited)
        let editedBytes = try #require(bytes(run.configURL)), metrics = bytes(run.metricsURL)
        do { _ = try Trainer(resuming: dir); Issue.record("resumed with an edited config.json") } catch {
            let text = "\(error)"
            #expect(text.contains("model.training.seed is 99 in config.json, 4 in the checkpoint"), "\(text)")
            #expect(text.contains("model.training.batchSize is 32 in config.json, 64 in the checkpoint"), "\(text)")
        }
        #expect(bytes(run.configURL) == editedBytes && bytes(run.metricsURL) == metrics)

        // A bad --epochs changes nothing either; a good one is recorded once the checkpoint has loaded.
        try original.write(to: run.configURL)
        #expect(throws: TrainingError.self) { try Trainer(resuming: dir, epochs: 0) }
        #expect(bytes(run.configURL) == original)
        _ = try Trainer(resuming: dir, epochs: 3)
        #expect(try run.readConfig().model.training.epochs == 3)

        // Without config.json the checkpoint's configuration rebuilds the run.
        try FileManager.default.removeItem(at: run.configURL)
        let resumed = try Trainer(resuming: dir)
        #expect(resumed.notes.first?.contains("using the configuration saved in the checkpoint") == true, "\(resumed.notes)")
        #expect(try resumed.run() == .finished)
        #expect(try run.readConfig().model.training.seed == 4)
    }

    @Test func aCorruptLatestCheckpointGivesWayToTheNewestEpochOne() throws {
        let straight = temporaryDirectory(), dir = temporaryDirectory()
        defer { for d in [straight, dir] { try? FileManager.default.removeItem(at: d) } }
        for d in [straight, dir] { try FileManager.default.removeItem(at: d) }
        #expect(try Trainer(newRun: try gaussianRun(epochs: 3), in: straight).run() == .finished)

        try stoppedRun(in: dir, epochs: 3, after: 9)  // epochs 1 and 2 written, one step into epoch 3
        let run = RunDirectory(dir)
        var latest = try #require(bytes(run.latestCheckpointURL))
        latest = latest.prefix(latest.count / 2)
        try latest.write(to: run.latestCheckpointURL)
        let resumed = try Trainer(resuming: dir)
        #expect(resumed.notes.first?.contains("latest.safetensors cannot be used") == true, "\(resumed.notes)")
        #expect(resumed.notes.first?.contains("resuming from epoch-002.safetensors instead") == true, "\(resumed.notes)")
        #expect(resumed.globalStep == 8)
        #expect(try resumed.run() == .finished)
        #expect(try finalWeights(dir) == finalWeights(straight))
    }

    @Test func aFullDiskStopsWithAMessageAndKeepsThePreviousCheckpoint() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir)
        try stoppedRun(in: dir, epochs: 3, after: 5)  // epoch 1 written, then a stop one step into epoch 2
        let run = RunDirectory(dir)
        let kept = try #require(bytes(run.latestCheckpointURL))
        let resumed = try Trainer(resuming: dir)
        resumed.failWrite = { url in
            if url.lastPathComponent == "epoch-002.safetensors" { throw POSIXError(.ENOSPC) }
        }
        do { _ = try resumed.run(); Issue.record("training went on past a full disk") } catch TrainingError.cannotWrite(let message) {
            #expect(message.contains("cannot write \(run.epochCheckpointURL(2).path): No space left on device"), "\(message)")
            #expect(message.contains("the last checkpoint, \(run.latestCheckpointURL.path), is intact"), "\(message)")
        }
        #expect(bytes(run.latestCheckpointURL) == kept)
        #expect(!FileManager.default.fileExists(atPath: run.epochCheckpointURL(2).path))

        // The metrics log and the sample grids fail the same way.
        for file in [run.metricsURL, run.sampleURL(2)] {
            let again = try Trainer(resuming: dir)
            again.failWrite = { url in if url == file { throw POSIXError(.EACCES) } }
            do { _ = try again.run(); Issue.record("training went on without \(file.lastPathComponent)") } catch TrainingError.cannotWrite(let message) {
                #expect(message.contains("cannot write \(file.path): Permission denied"), "\(message)")
            }
            #expect(bytes(run.latestCheckpointURL) == kept)
        }
    }

    @Test func aFolderThatIsNotADeepGenRunIsNeverReplaced() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let foreign = ["config.json": "{\"lr\": 0.1}", "metrics.csv": "epoch,loss\n", "checkpoints/epoch-10.ckpt": "weights"]
        for (name, text) in foreign {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(name).deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        do { _ = try Trainer(newRun: try gaussianRun(), in: dir); Issue.record("replaced a folder that is not a DeepGen run") } catch {
            #expect("\(error)".contains("holds files that are not a DeepGen run's"), "\(error)")
        }
        for (name, text) in foreign { #expect(try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8) == text) }
        do { _ = try Trainer(resuming: dir); Issue.record("resumed a folder that is not a DeepGen run") } catch {
            #expect("\(error)".contains("config.json cannot be read"), "\(error)")
        }
    }

    @Test func aRunBeingTrainedIsNeitherReplacedNorResumedBeside() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir)
        let first = try Trainer(newRun: try gaussianRun(nanAt: 3), in: dir)
        _ = try? first.run()  // diverges before its first checkpoint: a run a new `train` may replace…
        do {
            let lock = try RunLock(RunDirectory(dir))  // …unless a process trains in it
            do { _ = try Trainer(newRun: try gaussianRun(), in: dir); Issue.record("replaced a live run") } catch {
                #expect("\(error)".contains("another deepgen process is training in"), "\(error)")
            }
            do { _ = try Trainer(resuming: dir); Issue.record("resumed beside a live run") } catch {
                #expect("\(error)".contains("another deepgen process is training in"), "\(error)")
            }
            withExtendedLifetime(lock) {}
        }
        let again = try Trainer(newRun: try gaussianRun(), in: dir)
        let aside = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".replaced-") }
        #expect(aside.count == 1)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(aside[0])/config.json").path))
        #expect(try again.run() == .finished)
    }

    @Test func resumingSkipsCheckpointsThatCannotBeTrustedAndTakesTheNewest() throws {
        let dir = temporaryDirectory(), other = temporaryDirectory()
        defer { for d in [dir, other] { try? FileManager.default.removeItem(at: d) } }
        for d in [dir, other] { try FileManager.default.removeItem(at: d) }
        let straight = try Trainer(newRun: try gaussianRun(epochs: 3), in: dir)
        straight.stopAfterSteps = 9
        _ = try straight.run()  // epochs 1 and 2 written, latest one step into epoch 3
        let run = RunDirectory(dir)

        // A latest older than an epoch file (the process died between them): the newer one wins.
        try FileManager.default.removeItem(at: run.latestCheckpointURL)
        try FileManager.default.copyItem(at: run.epochCheckpointURL(1), to: run.latestCheckpointURL)
        #expect(try Trainer(resuming: dir).globalStep == 8)

        // NaN weights in the newest: the next one, with a note.
        var poisoned = try Checkpoint.load(from: run.epochCheckpointURL(2))
        poisoned.tensors["gaussian.mean"] = Tensor([.nan, 0])
        try poisoned.save(to: run.epochCheckpointURL(2))
        let afterNaN = try Trainer(resuming: dir)
        #expect(afterNaN.globalStep == 4, "\(afterNaN.notes)")
        #expect(afterNaN.notes.first?.contains("epoch-002.safetensors cannot be used (gaussian.mean holds non-finite values)") == true, "\(afterNaN.notes)")

        // A checkpoint of another run (another seed) gives way to one of this run, with a note.
        let foreign = try Trainer(newRun: try RunConfig.newRun(model: "gaussian", data: DataOptions(spec: "ring8", syntheticCount: 256), seed: 9,
                                                               threads: 2) { t, _ in t.epochs = 3 }.config, in: other)
        foreign.stopAfterSteps = 12
        _ = try foreign.run()
        try FileManager.default.removeItem(at: run.epochCheckpointURL(2))
        try FileManager.default.copyItem(at: RunDirectory(other).latestCheckpointURL, to: run.epochCheckpointURL(2))
        let afterForeign = try Trainer(resuming: dir)
        #expect(afterForeign.globalStep == 4)
        #expect(afterForeign.notes.first?.contains("epoch-002.safetensors holds another configuration than config.json (model.training.seed is 4 in config.json, 9 in the checkpoint)") == true,
                "\(afterForeign.notes)")
    }

    @Test func aShorterRunCannotEndBeforeWhereItStands() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir)
        try stoppedRun(in: dir, epochs: 3, after: 6)  // one epoch and two steps
        let config = try Data(contentsOf: RunDirectory(dir).configURL)
        do { _ = try Trainer(resuming: dir, epochs: 1); Issue.record("cut a run short behind where it stands") } catch {
            #expect("\(error)".contains("--epochs 1 would end the run before where it stands (epoch 2, step 3)"), "\(error)")
        }
        #expect(try Data(contentsOf: RunDirectory(dir).configURL) == config)
        #expect(try Trainer(resuming: dir, epochs: 2).run() == .finished)
    }

    @Test func aMetricsLogWithWindowsLineEndingsStillResumes() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir)
        try stoppedRun(in: dir, epochs: 2, after: 5)
        let log = RunDirectory(dir).metricsURL
        let text = try String(contentsOf: log, encoding: .utf8)
        try text.replacingOccurrences(of: "\n", with: "\r\n").write(to: log, atomically: true, encoding: .utf8)
        #expect(try Trainer(resuming: dir).run() == .finished)
        #expect(try String(contentsOf: log, encoding: .utf8).split(whereSeparator: \.isNewline).count == 1 + 8)
    }
}
