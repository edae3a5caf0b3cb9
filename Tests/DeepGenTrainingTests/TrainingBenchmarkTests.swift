import Testing
import DeepGenModels
@testable import DeepGenTraining

/// The benchmark workloads are the models and batches issue 7 names (no timings are asserted).
@Suite struct TrainingBenchmarkTests {
    @Test func workloadsHaveTheBenchmarksSizes() throws {
        let batches: [TrainingWorkload: Int] = [.mlpGAN: 64, .dcgan: 64, .dcgan256: 256, .wganGP: 64, .mlpVAE: 128, .convVAE: 128, .cycleGANSmall: 16, .realNVP2D: 256, .glow: 64, .realNVPImage: 64, .gpt: 12, .charRNN: 50, .wavenet: 4]
        for w in TrainingWorkload.allCases {
            #expect(try w.config().training.batchSize == batches[w], "\(w.rawValue)")
            try w.config().validate()
        }
        let cycle = try TrainingWorkload.cycleGANSmall.config().hyperparameters(as: CycleGANHyperparameters.self)
        #expect(cycle.width == 32 && cycle.residualBlocks == 3 && cycle.patchLayers == 2)
        #expect(cycle.emaDecay == nil)  // the PyTorch twin keeps no average (the default does since 2026-12-07)
        #expect(try TrainingWorkload.wganGP.config().hyperparameters(as: GANHyperparameters.self).criticSteps == 5)
        #expect(try TrainingWorkload.realNVP2D.config().data.shape == [2])
        #expect(try TrainingWorkload.realNVPImage.config().data.shape == [1, 28, 28])
        let gpt = try TrainingWorkload.gpt.config()
        #expect(gpt.data.shape == [65] && gpt.data.vocabulary?.unicodeScalars.count == 65)
        let h = try gpt.hyperparameters(as: TextHyperparameters.self)
        #expect(h.layers == 4 && h.heads == 4 && h.embedding == 128 && h.blockSize == 64 && h.vocabularySize == 65 && h.dropout == 0)
        let wavenet = try TrainingWorkload.wavenet.config()
        let w = try wavenet.hyperparameters(as: WaveNetHyperparameters.self)
        #expect(wavenet.data.shape == [1, 4000] && wavenet.data.sampleRate == 8000 && w.conditioningClasses == 10)
        #expect(w.dilations == Array(repeating: (0..<10).map { 1 << $0 }, count: 3).flatMap { $0 } && w.skipChannels == 256)
    }

    /// The generation benchmark steps whole batches of the default wavenet.
    @Test func generationBenchmarkRunsWholeSteps() throws {
        let r = try GenerationBenchmark.measure(batch: 3, warmupSteps: 2, seconds: 1e-6)
        #expect(r.steps >= 1 && r.batch == 3 && r.imagesPerSecond > 0 && r.model == "wavenet-generate-3")
    }

    @Test func measureRunsWholeSteps() throws {
        let r = try TrainingWorkload.mlpVAE.measure(warmupSteps: 1, seconds: 1e-6)
        #expect(r.steps >= 1 && r.batch == 128 && r.imagesPerSecond > 0 && r.model == "mlp-vae")
        // A batch of the caller's (the data-parallel ceiling of Scripts/bench/scaling.py).
        let half = try TrainingWorkload.mlpVAE.measure(warmupSteps: 1, seconds: 1e-6, batchSize: 64)
        #expect(half.batch == 64 && half.imagesPerSecond > 0)
        #expect(try TrainingWorkload.dcgan.config(batchSize: 32).training.batchSize == 32)
    }
}

/// The benchmark's steal-time reading: /proc/stat's lines of the CPUs this process may use.
@Suite struct StealTimeTests {
    @Test func readsTheAllowedCPUsStealTime() throws {
        #if os(Linux)
        let before = try #require(StealTime.sample())
        var x = 0.0
        for i in 0..<3_000_000 { x += Double(i).squareRoot() }  // let the jiffies move
        let after = try #require(StealTime.sample())
        #expect(x > 0 && after.total >= before.total && after.steal >= before.steal && before.total > 0)
        if let share = after.share(since: before) { #expect(share >= 0 && share <= 1) }
        #endif
    }
}
