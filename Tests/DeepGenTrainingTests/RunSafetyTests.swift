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
        let first = try Trainer(newRun: try gaussianRun(epochs: 2), in: dir)
        first.stopAfterSteps = 5
        _ = try first.run()
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

        let first = try Trainer(newRun: try gaussianRun(epochs: 3), in: dir)
        first.stopAfterSteps = 9  // epochs 1 and 2 written, one step into epoch 3
        _ = try first.run()
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
        let trainer = try Trainer(newRun: try gaussianRun(epochs: 3), in: dir)
        let run = RunDirectory(dir)
        trainer.stopAfterSteps = 5
        _ = try trainer.run()  // epoch 1 written, then a stop one step into epoch 2
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
}
