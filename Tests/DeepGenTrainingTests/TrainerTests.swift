import Foundation
import Testing
import DeepGen
import DeepGenData
import DeepGenModels
import DeepGenOptimizers
@testable import DeepGenTraining

/// Small networks so runs are quick in a debug build (seed 21).
func shrink(_ h: inout any ModelHyperparameters) {
    if var g = h as? GANHyperparameters {
        g.width = g.width.map { _ in 4 }
        g.latentSize = 8
        h = g
    }
    if var v = h as? VAEHyperparameters {
        v.width = v.width.map { _ in 4 }
        v.latentSize = 8
        h = v
    }
    if var c = h as? CycleGANHyperparameters {
        c.width = 4
        c.residualBlocks = 1
        c.patchLayers = 2
        c.poolSize = 3
        h = c
    }
}

func tinyRun(_ model: String, data: String, count: Int, batch: Int, epochs: Int = 2,
             customize: (inout any ModelHyperparameters) -> Void = { _ in }) throws -> RunConfig {
    try RunConfig.newRun(model: model, data: DataOptions(spec: data, syntheticCount: count), seed: 21, threads: 2) { training, h in
        training.batchSize = batch
        training.epochs = epochs
        // A decay phase still runs (the schedule is part of what resumes), but one epoch of it.
        training.decayEpochs = min(training.decayEpochs, 1)
        shrink(&h)
        customize(&h)
    }.config
}

/// The values of one `metrics.csv` column, in row order (rows without it skipped).
func metricsColumn(_ run: URL, _ name: String) throws -> [Double] {
    let lines = try String(contentsOf: RunDirectory(run).metricsURL, encoding: .utf8).split(separator: "\n")
    let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
    let column = try #require(header.firstIndex { $0 == name })
    return lines.dropFirst().compactMap { line in
        let cells = line.split(separator: ",", omittingEmptySubsequences: false)
        return column < cells.count ? Double(cells[column]) : nil
    }
}

func finalWeights(_ run: URL) throws -> [String: [Float]] {
    try Checkpoint.load(from: RunDirectory(run).latestCheckpointURL).tensors.mapValues { $0.scalars }
}

@Suite(.serialized) struct TrainerTests {
    /// Two epochs in one go equal one epoch, a stop, and a resumed second epoch, bit for bit:
    /// weights, optimizer state, BatchNorm statistics, dropout and image-pool state included.
    @Test(arguments: [
        ("gan", "ring8", 256, 32),
        ("dcgan", "shapes", 48, 16),
        ("cyclegan", "shapes:square,circle", 24, 4),
    ] as [(String, String, Int, Int)])
    func resumeIsBitIdentical(_ kind: String, _ data: String, _ count: Int, _ batch: Int) throws {
        let run = try expectResumeIsBitIdentical(tinyRun(kind, data: data, count: count, batch: batch))
        try? FileManager.default.removeItem(at: run)
    }

    /// Every optimizer trains every model and resumes exactly: its state and hyperparameters
    /// round-trip through checkpoints.
    @Test(arguments: [
        ("gan", "ring8", 256, 32, OptimizerSettings(kind: .sgd, learningRate: 0.01, momentum: 0.9, nesterov: true)),
        ("vae", "shapes", 32, 16, OptimizerSettings(kind: .rmsprop, learningRate: 1e-3, weightDecay: 1e-4, momentum: 0.5, alpha: 0.9)),
        ("dcgan", "shapes", 48, 16, OptimizerSettings(kind: .adamw, learningRate: 2e-4, beta1: 0.5, weightDecay: 0.05)),
    ] as [(String, String, Int, Int, OptimizerSettings)])
    func everyOptimizerResumesExactly(_ kind: String, _ data: String, _ count: Int, _ batch: Int, _ optimizer: OptimizerSettings) throws {
        let config = try RunConfig.newRun(model: kind, data: DataOptions(spec: data, syntheticCount: count), seed: 21, threads: 2) { training, h in
            training.batchSize = batch
            training.epochs = 2
            training.optimizer = optimizer
            shrink(&h)
        }.config
        let run = try expectResumeIsBitIdentical(config)
        defer { try? FileManager.default.removeItem(at: run) }
        let checkpoint = try Checkpoint.load(from: RunDirectory(run).latestCheckpointURL)
        let typeName = ["sgd": "SGD", "rmsprop": "RMSprop", "adamw": "AdamW"][optimizer.kind.rawValue]
        let model = try makeModel(config.model)
        for network in model.networks { #expect(checkpoint.metadata["optimizer.\(network.name).type"] == typeName) }
        #expect(try RunDirectory(run).readConfig().model.training.optimizer == optimizer)
    }

    /// Two epochs in one go equal one epoch, a stop, and a resumed second epoch, bit for bit.
    /// Returns the resumed run's folder, for the caller to inspect and remove.
    @discardableResult
    func expectResumeIsBitIdentical(_ config: RunConfig) throws -> URL {
        let straight = temporaryDirectory(), split = temporaryDirectory()
        try FileManager.default.removeItem(at: straight)
        try FileManager.default.removeItem(at: split)

        #expect(try Trainer(newRun: config, in: straight).run() == .finished)

        let first = try Trainer(newRun: config, in: split)
        let stepsPerEpoch = first.loader.batchesPerEpoch
        first.stopAfterSteps = stepsPerEpoch + 1  // into the second epoch, mid-epoch
        #expect(try first.run() == .stopped(epoch: 1, step: 1))
        #expect(try Trainer(resuming: split).run() == .finished)

        let a = try finalWeights(straight), b = try finalWeights(split)
        #expect(a.keys.sorted() == b.keys.sorted())
        let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(differing.isEmpty, "tensors differ: \(differing.prefix(5))")
        // The metrics log of the resumed run matches the straight one row for row (timing aside:
        // the images/s column, which is not always the last, fills in once a run takes a second).
        func rows(_ u: URL) throws -> [String] {
            let lines = try String(contentsOf: RunDirectory(u).metricsURL, encoding: .utf8).split(separator: "\n")
            let timing = lines.first?.split(separator: ",").firstIndex(of: "images_per_second")
            return lines.map { line in
                var fields = line.split(separator: ",", omittingEmptySubsequences: false)
                if let timing, timing < fields.count { fields.remove(at: timing) }
                return fields.joined(separator: ",")
            }
        }
        #expect(try rows(straight) == rows(split))
        for e in 1...2 { #expect(FileManager.default.fileExists(atPath: RunDirectory(straight).sampleURL(e).path)) }
        try? FileManager.default.removeItem(at: straight)
        return split
    }

    @Test func refusesToOverwriteARun() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir)
        var config = try tinyRun("gan", data: "ring8", count: 64, batch: 32, epochs: 1)
        config.model.training.decayEpochs = 0  // one epoch: both of its checkpoints are truncated
        _ = try Trainer(newRun: config, in: dir).run()
        let before = try Data(contentsOf: RunDirectory(dir).latestCheckpointURL)
        #expect(throws: TrainingError.self) { try Trainer(newRun: config, in: dir) }
        #expect(try Data(contentsOf: RunDirectory(dir).latestCheckpointURL) == before)
    }

    @Test func divergenceStopsAndKeepsTheLastGoodCheckpoint() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir)
        let config = try tinyRun("vae", data: "shapes", count: 32, batch: 16, epochs: 3) { h in
            if var v = h as? VAEHyperparameters { v.hiddenSize = 16; h = v }
        }
        let trainer = try Trainer(newRun: config, in: dir)
        trainer.stopAfterSteps = 1  // mid-epoch, so the next thing the resumed run does is a step
        _ = try trainer.run()
        let good = try Data(contentsOf: RunDirectory(dir).latestCheckpointURL)
        // Poison a weight: the next loss is NaN.
        let resumed = try Trainer(resuming: dir)
        let vae = (resumed.model as! VAEModel).network.module
        let p = vae.namedParameters()[0].1
        p.value = p.value * Float.nan
        do {
            _ = try resumed.run()
            Issue.record("training with a NaN weight did not stop")
        } catch {
            #expect("\(error)".hasPrefix("training diverged at step 2 (epoch 1): loss is nan; nothing non-finite was written. The last good checkpoint, \(RunDirectory(dir).latestCheckpointURL.path) (step 1), is kept."), "\(error)")
        }
        do { _ = try Trainer(resuming: dir) }
        #expect(try Data(contentsOf: RunDirectory(dir).latestCheckpointURL) == good)
    }

    @Test func missingRunFolderAndCorruptCheckpointGiveMessages() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: TrainingError.invalidRun("\(dir.path) is not a DeepGen run folder: it has no config.json and no checkpoint")) {
            try Trainer(resuming: dir)
        }
        try FileManager.default.removeItem(at: dir)
        var config = try tinyRun("gan", data: "ring8", count: 64, batch: 32, epochs: 1)
        config.model.training.decayEpochs = 0  // one epoch: both of its checkpoints are truncated
        _ = try Trainer(newRun: config, in: dir).run()
        for ckpt in [RunDirectory(dir).latestCheckpointURL, RunDirectory(dir).epochCheckpointURL(1)] {
            var bytes = try Data(contentsOf: ckpt)
            bytes = bytes.prefix(bytes.count / 2)
            try bytes.write(to: ckpt)
        }
        do {
            _ = try Trainer(resuming: dir)
            Issue.record("a truncated checkpoint loaded")
        } catch {
            #expect("\(error)".contains("no checkpoint of \(dir.path) can be resumed: latest.safetensors cannot be used"), "\(error)")
            #expect("\(error)".contains("epoch-001.safetensors cannot be used"), "\(error)")
        }
    }
}
