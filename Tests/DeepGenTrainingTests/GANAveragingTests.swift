import Foundation
import Testing
import DeepGen
@testable import DeepGenCLI
import DeepGenData
import DeepGenModels
import DeepGenNN
import DeepGenOptimizers
@testable import DeepGenTraining

/// The generator's moving average (`--ema`) and two time-scale learning rates (`--lr-g`,
/// `--lr-d`): the average follows its recurrence, is saved and resumed exactly, samples by
/// default; each network trains at its own rate through the schedule.
@Suite(.serialized) struct GANAveragingTests {
    func withEMA(_ decay: Float) -> (inout any ModelHyperparameters) -> Void {
        { h in
            if var g = h as? GANHyperparameters { g.emaDecay = decay; h = g }
        }
    }

    @Test func theWarmUpDecayAndOneUpdate() {
        let rule = ExponentialMovingAverage(decay: 0.999)
        #expect(rule.decay(atUpdate: 1) == 2 / Float(11))
        #expect(rule.decay(atUpdate: 90) == 91 / Float(100))
        #expect(rule.decay(atUpdate: 1_000_000) == 0.999)
        var average = Tensor(shape: [19], scalars: (0..<19).map { Float($0) })
        let value = Tensor(shape: [19], scalars: (0..<19).map { Float($0) * -2 + 1 })
        let expected: [Float] = (0..<19).map { i -> Float in
            let a = Float(i)
            return 0.25 * a + 0.75 * (1 - 2 * a)
        }
        ExponentialMovingAverage.update(&average, toward: value, decay: 0.25)
        let error = zip(average.scalars, expected).map { Swift.abs($0 - $1) }.max() ?? 0
        #expect(error <= 1e-5)
    }

    /// After each generator step t the average is d_t·average + (1 − d_t)·θ_t, from θ₀, with
    /// d_t = min(decay, (1 + t)/(10 + t)); buffers are the generator's.
    @Test(arguments: ["gan", "dcgan"])
    func theAverageFollowsItsRecurrence(_ kind: String) throws {
        let config = try tinyRun(kind, data: kind == "gan" ? "ring8" : "shapes", count: 64, batch: 16, customize: withEMA(0.95))
        let model = try #require(try makeModel(config.model) as? GANModel)
        let average = try #require(model.averagedNetworks.first)
        #expect(average.name == "generator_ema")
        func weights(_ m: Module) -> [String: [Double]] {
            Dictionary(uniqueKeysWithValues: m.namedParameters().map { ($0.0, $0.1.value.scalars.map(Double.init)) })
        }
        var expected = weights(model.generator.module)
        #expect(weights(average.module) == expected)
        var rng = RandomGenerator(seed: 3)
        let shape = [16] + config.model.sampleShape
        for t in 1...4 {
            _ = model.trainStep(TrainingBatch(inputs: Tensor.uniform(shape, low: -1, high: 1, using: &rng), labels: []), using: &rng)
            let d = Double(min(Float(0.95), Float(1 + t) / Float(10 + t)))
            for (name, theta) in weights(model.generator.module) {
                expected[name] = zip(expected[name]!, theta).map { d * $0 + (1 - d) * $1 }
            }
            for (name, values) in weights(average.module) {
                let e = expected[name]!
                let error = zip(values, e).map { abs($0 - $1) }.max() ?? 0
                #expect(error <= 1e-5, "\(name) after step \(t): \(error)")
            }
        }
        let buffers = Dictionary(uniqueKeysWithValues: model.generator.module.namedBuffers().map { ($0.0, $0.1.value.scalars) })
        for (name, b) in average.module.namedBuffers() { #expect(b.value.scalars == buffers[name], "\(name)") }
    }

    /// Before it samples, the average's BatchNorm statistics are recomputed for its own weights
    /// (once per update, from draws of their own); the trained generator's stay as they were.
    @Test func theAverageSamplesWithStatisticsOfItsOwn() throws {
        let config = try tinyRun("dcgan", data: "shapes", count: 64, batch: 16, customize: withEMA(0.9))
        let model = try #require(try makeModel(config.model) as? GANModel)
        let average = try #require(model.averagedNetworks.first?.module)
        var rng = RandomGenerator(seed: 3)
        let shape = [16] + config.model.sampleShape
        func step() {
            _ = model.trainStep(TrainingBatch(inputs: Tensor.uniform(shape, low: -1, high: 1, using: &rng), labels: []), using: &rng)
        }
        func buffers(_ m: Module) -> [String: [Float]] {
            Dictionary(uniqueKeysWithValues: m.namedBuffers().filter { $0.0.hasSuffix("running_mean") }.map { ($0.0, $0.1.value.scalars) })
        }
        for _ in 0..<3 { step() }
        let trained = buffers(model.generator.module)
        #expect(!trained.isEmpty && buffers(average) == trained)
        var a = RandomGenerator(seed: 8), b = RandomGenerator(seed: 8)
        let first = model.sample(count: 4, using: &a)
        let recomputed = buffers(average)
        #expect(recomputed != trained, "the average samples with the trained generator's statistics")
        #expect(buffers(model.generator.module) == trained)
        #expect(model.sample(count: 4, using: &b).scalars == first.scalars)
        #expect(buffers(average) == recomputed, "statistics recomputed without an update between")
        step()
        _ = model.sample(count: 4, using: &a)
        #expect(buffers(average) != recomputed && buffers(average) != buffers(model.generator.module))
    }

    /// With an average a resumed run equals a straight one (the average included); without
    /// one, a GAN draws what it drew before (no `generator_ema` in its files).
    @Test func resumesExactlyWithTheAverage() throws {
        let trainer = TrainerTests()
        let run = try trainer.expectResumeIsBitIdentical(tinyRun("dcgan", data: "shapes", count: 48, batch: 16, customize: withEMA(0.9)))
        defer { try? FileManager.default.removeItem(at: run) }
        let weights = try finalWeights(run)
        // The average has the generator's names and nothing trains it.
        let averaged = Set(weights.keys.filter { $0.hasPrefix("generator_ema.") }.map { String($0.dropFirst("generator_ema.".count)) })
        let trained = Set(weights.keys.filter { $0.hasPrefix("generator.") }.map { String($0.dropFirst("generator.".count)) })
        #expect(!averaged.isEmpty && averaged == trained)
        #expect(!weights.keys.contains { $0.hasPrefix("optimizer.generator_ema") })
    }

    @Test func samplesComeFromTheAverageUnlessRawWeightsAreAsked() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run"), plain = dir.appendingPathComponent("plain")
        let train = ["train", "gan", "--data", "ring8", "--synthetic-count", "512", "--batch-size", "64", "--epochs", "2", "--decay-epochs", "0", "--threads", "2"]
        try deepgen(train + ["--ema", "0.9", "--out", run.path])
        try deepgen(train + ["--out", plain.path])
        let average = dir.appendingPathComponent("a.npy"), raw = dir.appendingPathComponent("r.npy")
        try deepgen(["sample", run.path, "--count", "32", "--out", average.path])
        try deepgen(["sample", run.path, "--count", "32", "--raw-weights", "--out", raw.path])
        let a = try NPYArray.read(average).tensor, r = try NPYArray.read(raw).tensor
        #expect(a.shape == [32, 2] && (a - r).abs().max().scalar > 1e-4, "the average samples as the trained weights do")
        // The trained weights are those of the same run with the default average (0.999 on 2-D
        // data): the average takes no draws, so the runs train alike.
        let p = dir.appendingPathComponent("p.npy")
        try deepgen(["sample", plain.path, "--count", "32", "--raw-weights", "--out", p.path])
        #expect(try NPYArray.read(p).tensor.scalars == r.scalars)
        try deepgen(["eval", run.path, "--count", "300", "--repeats", "1"])
        let report = try reportDecoder().decode(EvaluationReport.self, from: Data(contentsOf: run.appendingPathComponent("eval.json")))
        #expect(report.weights == "average")
        func refusal(_ arguments: [String]) -> String {
            do { try deepgen(arguments); return "" } catch { return DeepGenCommand.message(for: error) + " \(error)" }
        }
        // `--ema 0` keeps no average, even where the recipe has one (the MLP GAN on images).
        let images = dir.appendingPathComponent("images")
        try deepgen(["train", "gan", "--data", "shapes", "--synthetic-count", "64", "--batch-size", "32", "--epochs", "1",
                     "--ema", "0", "--threads", "2", "--out", images.path])
        #expect(refusal(["sample", images.path, "--raw-weights", "--out", p.path]).contains("--raw-weights is for models trained with a weight average"))
        #expect(refusal(train + ["--ema", "1", "--out", dir.appendingPathComponent("x").path]).contains("--ema must be a decay in (0, 1)"))
        #expect(refusal(train + ["--lr-g", "0", "--out", dir.appendingPathComponent("x").path]).contains("--lr-g must be positive"))
    }

    /// `--lr-g` and `--lr-d` set each network's rate; a decay schedule scales both alike.
    @Test func eachNetworkTrainsAtItsOwnRate() throws {
        let config = try tinyRun("gan", data: "ring8", count: 64, batch: 16) { h in
            if var g = h as? GANHyperparameters { (g.generatorLearningRate, g.discriminatorLearningRate) = (1e-4, 4e-4); h = g }
        }
        let model = try #require(try makeModel(config.model) as? GANModel)
        #expect(model.generator.optimizer.learningRate == 1e-4 && model.discriminator.optimizer.learningRate == 4e-4)
        model.setLearningRate(config.model.training.optimizer.learningRate / 2)
        #expect(abs(model.generator.optimizer.learningRate - 5e-5) < 1e-12 && abs(model.discriminator.optimizer.learningRate - 2e-4) < 1e-12)
        let run = try TrainerTests().expectResumeIsBitIdentical(config)
        try? FileManager.default.removeItem(at: run)
    }

    /// The 2-D recipe is `gan`'s default on points (R1 γ = 0.1, G at half D's rate, β₁ = 0, a moving
    /// average of G, 200 epochs and 200 of decay), and a short run of it trains and evaluates; on
    /// images `gan` has its own (both networks at 1e-3 with β₁ = 0, a 0.999 average, BatchNorm in
    /// G, the minibatch statistic in D, batch 32, 5 epochs); WGAN-GP's 2-D default changes on ring8
    /// and grid25 to the recipe measured for each.
    @Test func theTwoDimensionalRecipeIsTheDefault() throws {
        let points = try RunConfig.newRun(model: "gan", data: DataOptions(spec: "grid25", syntheticCount: 256), seed: 1, threads: 2) { _, _ in }.config
        let h = try points.model.hyperparameters(as: GANHyperparameters.self)
        #expect(h.r1Weight == 0.1 && points.model.training.epochs == 200 && points.model.training.decayEpochs == 200)
        #expect(h.emaDecay == 0.9999 && h.generatorLearningRate == 5e-4 && h.discriminatorLearningRate == nil)
        #expect(points.model.training.optimizer == .adam(learningRate: 1e-3, betas: (0, 0.999)))
        let images = try RunConfig.newRun(model: "gan", data: DataOptions(spec: "shapes", syntheticCount: 64), seed: 1, threads: 2) { _, _ in }.config
        let imageRecipe = try images.model.hyperparameters(as: GANHyperparameters.self)
        #expect(imageRecipe.r1Weight == nil && imageRecipe.emaDecay == 0.999 && imageRecipe.generatorLearningRate == nil)
        #expect(imageRecipe.generatorBatchNorm == true && imageRecipe.minibatchGroupSize == 4)
        #expect(h.generatorBatchNorm == nil && h.minibatchGroupSize == nil)
        // WGAN-GP: two critic steps and 200 + 200 epochs on 2-D data, with the recipe measured for
        // ring8 (one critic step) and for grid25 (800 + 800 epochs and a 0.9999 average).
        func critic(_ spec: String) throws -> (training: TrainingSettings, h: GANHyperparameters) {
            let c = try RunConfig.newRun(model: "wgan-gp", data: DataOptions(spec: spec, syntheticCount: 256), seed: 1, threads: 2) { _, _ in }.config
            return (c.model.training, try c.model.hyperparameters(as: GANHyperparameters.self))
        }
        let (spiral, ring, grid) = (try critic("spiral"), try critic("ring8"), try critic("GRID25"))
        for c in [spiral, ring, grid] {
            #expect(c.training.optimizer == .adam(learningRate: 1e-3, betas: (0.5, 0.9)) && c.h.gradientPenaltyWeight == 0.1)
        }
        #expect(spiral.training.epochs == 200 && spiral.training.decayEpochs == 200 && spiral.h.criticSteps == 2 && spiral.h.emaDecay == nil)
        #expect(ring.training.epochs == 200 && ring.training.decayEpochs == 200 && ring.h.criticSteps == 1 && ring.h.emaDecay == nil)
        #expect(grid.training.epochs == 800 && grid.training.decayEpochs == 800 && grid.h.criticSteps == 2 && grid.h.emaDecay == 0.9999)
        let byName = try ModelConfig.defaults(for: "wgan-gp", dataset: "grid25", data: DataDescription(kind: .points, shape: [2]))
        let byNameRecipe = try byName.hyperparameters(as: GANHyperparameters.self)
        #expect(byName.training.epochs == 800 && byNameRecipe.emaDecay == 0.9999)
        let customized = try RunConfig.newRun(model: "wgan-gp", data: DataOptions(spec: "ring8", syntheticCount: 256), seed: 1, threads: 2) {
            _, h in if var g = h as? GANHyperparameters { g.criticSteps = 3; h = g }
        }.config
        #expect(try customized.model.hyperparameters(as: GANHyperparameters.self).criticSteps == 3)
        #expect(images.model.training.optimizer == .adam(learningRate: 1e-3, betas: (0, 0.999)) && images.model.training.epochs == 20)
        #expect(images.model.training.batchSize == 32)

        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try deepgen(["train", "gan", "--data", "ring8", "--synthetic-count", "1024", "--batch-size", "256", "--epochs", "10",
                     "--decay-epochs", "6", "--threads", "2", "--out", dir.path])
        try deepgen(["eval", dir.path, "--count", "1000", "--repeats", "1"])
        let report = try reportDecoder().decode(EvaluationReport.self, from: Data(contentsOf: dir.appendingPathComponent("eval.json")))
        let coverage = try #require(report.results.modes?.perSeed.first)
        #expect(coverage.modeCount == 8, "\(coverage)")
    }

    /// `GANFamily.usePaperRecipe` takes every image GAN's recipe back to the papers' training
    /// (what the benchmarks' PyTorch twins and the tests' small models train), and leaves the
    /// 2-D GAN's optimizer and other families alone.
    @Test func thePaperRecipeUndoesEveryRecipeOption() throws {
        func config(_ model: String, _ spec: String) throws -> ModelConfig {
            var c = try RunConfig.newRun(model: model, data: DataOptions(spec: spec, syntheticCount: 256), seed: 1, threads: 2) { _, _ in }.config.model
            GANFamily.usePaperRecipe(&c)
            return c
        }
        for model in ["gan", "dcgan", "cdcgan"] {
            let c = try config(model, "shapes"), h = try c.hyperparameters(as: GANHyperparameters.self)
            #expect(h.emaDecay == nil && h.minibatchGroupSize == nil && h.r1Weight == nil && h.generatorBatchNorm == nil, "\(model)")
            #expect(c.training.optimizer == GANFamily.paperOptimizer, "\(model)")
        }
        let points = try config("gan", "ring8")
        #expect(try points.hyperparameters(as: GANHyperparameters.self).r1Weight == nil)
        #expect(points.training.optimizer == .adam(learningRate: 1e-3, betas: (0, 0.999)))
        let vae = try config("vae", "shapes")
        #expect(vae == (try RunConfig.newRun(model: "vae", data: DataOptions(spec: "shapes", syntheticCount: 256), seed: 1, threads: 2) { _, _ in }.config.model))
    }

    /// The 28×28 DCGAN's recipe is its default (both networks at 1e-3 with β₁ = 0, R1 γ = 1,
    /// sampled from a 0.999 average, the minibatch standard deviation over groups of 4 in D);
    /// cdcgan's too; `--ema 0`
    /// keeps no average (here and on 2-D data) and `--minibatch-stddev 0` no statistic.
    @Test func theDCGANRecipeIsTheDefaultOn28x28() throws {
        func hyperparameters(_ model: String, _ spec: String) throws -> GANHyperparameters {
            try RunConfig.newRun(model: model, data: DataOptions(spec: spec, syntheticCount: 64), seed: 1, threads: 2) { _, _ in }
                .config.model.hyperparameters(as: GANHyperparameters.self)
        }
        let dcgan = try hyperparameters("dcgan", "shapes")
        #expect(dcgan.generatorLearningRate == nil && dcgan.discriminatorLearningRate == nil && dcgan.emaDecay == 0.999)
        #expect(dcgan.r1Weight == 1)
        #expect(dcgan.minibatchGroupSize == 4)
        let conditional = try hyperparameters("cdcgan", "shapes")
        #expect(conditional.generatorLearningRate == nil && conditional.emaDecay == 0.999 && conditional.minibatchGroupSize == 4)
        #expect(conditional.r1Weight == 1)
        func optimizer(_ model: String) throws -> OptimizerSettings {
            try RunConfig.newRun(model: model, data: DataOptions(spec: "shapes", syntheticCount: 64), seed: 1, threads: 2) { _, _ in }
                .config.model.training.optimizer
        }
        #expect(try optimizer("dcgan") == .adam(learningRate: 1e-3, betas: (0, 0.999)))
        #expect(try optimizer("cdcgan") == .adam(learningRate: 1e-3, betas: (0, 0.999)))

        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (model, data) in [("dcgan", ["--data", "shapes", "--synthetic-count", "32", "--width", "4"]),
                              ("gan", ["--data", "ring8", "--synthetic-count", "64"])] {
            let run = dir.appendingPathComponent(model)
            try deepgen(["train", model] + data + ["--batch-size", "16", "--max-steps", "1", "--ema", "0", "--minibatch-stddev", "0",
                                                   "--threads", "1", "--out", run.path])
            let trained = try TrainedModel(run.path)
            let h = try trained.config.hyperparameters(as: GANHyperparameters.self)
            #expect(h.emaDecay == nil && h.minibatchGroupSize == nil, "\(model)")
            #expect((trained.model as? GANModel)?.averagedNetworks.isEmpty == true, "\(model)")
            #expect((trained.model as? GANModel)?.discriminator.module.namedModules().contains { $0.1 is MinibatchStandardDeviation } == false)
        }
    }

    /// The image MLP GAN's recipe (BatchNorm in G, the minibatch statistic in D, a moving
    /// average) resumes exactly; `--no-generator-batchnorm` trains the classic generator, and a
    /// batch of one is refused before anything is written.
    @Test func theMLPGeneratorsBatchNormResumesAndTurnsOff() throws {
        let run = try TrainerTests().expectResumeIsBitIdentical(try tinyRun("gan", data: "shapes", count: 64, batch: 16))
        defer { try? FileManager.default.removeItem(at: run) }
        let trained = try TrainedModel(run.path)
        let g = try #require((trained.model as? GANModel)?.generator.module)
        #expect(g.namedModules().filter { $0.1 is BatchNorm1d }.count == 2)
        #expect(try finalWeights(run).keys.contains("generator_ema.main.3.running_mean"))

        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("plain")
        try deepgen(["train", "gan", "--data", "shapes", "--synthetic-count", "32", "--batch-size", "16", "--max-steps", "1",
                     "--no-generator-batchnorm", "--threads", "1", "--out", plain.path])
        let classic = try TrainedModel(plain.path)
        #expect(try classic.config.hyperparameters(as: GANHyperparameters.self).generatorBatchNorm == nil)
        #expect((classic.model as? GANModel)?.generator.module.namedModules().contains { $0.1 is BatchNorm1d } == false)
        let single = dir.appendingPathComponent("single")
        expectDeepGenError(["train", "gan", "--data", "shapes", "--synthetic-count", "32", "--batch-size", "1", "--minibatch-stddev", "0",
                            "--out", single.path], mentioning: ["--batch-size 1 is too small for the generator's BatchNorm1d layers"])
        #expect(!FileManager.default.fileExists(atPath: single.path))
        // Only the MLP generator has the option.
        expectDeepGenError(["train", "dcgan", "--data", "shapes", "--generator-batchnorm", "--out", single.path], mentioning: ["--generator-batchnorm"])
        #expect(!FileManager.default.fileExists(atPath: single.path))
    }

    /// R1 with synchronized BatchNorm statistics is refused where the built discriminator has
    /// BatchNorm (the 32×32 and 64×64 DCGAN: its penalty would take a second derivative through
    /// statistics shared across processes); the 28×28 DCGAN's and the MLP GAN's have none.
    @Test func r1WithSynchronizedBatchNormWhereTheDiscriminatorHasNone() throws {
        var training = TrainingSettings(epochs: 1, batchSize: 8)
        training.syncBatchNorm = true
        func build(_ variant: String, side: Int, width: Int?, _ training: TrainingSettings) throws {
            var h = GANHyperparameters(r1Weight: 1)
            h.width = width
            let data = DataDescription(kind: .image, shape: [1, side, side], range: .minusOneToOne)
            let config = ModelConfig(model: variant, dataset: "test", data: data, training: training, hyperparameters: h)
            try config.validate()
            _ = try makeModel(config)
        }
        for side in [32, 64] {
            #expect(throws: ConfigurationError.self, "\(side)") { try build("dcgan", side: side, width: 8, training) }
        }
        try build("dcgan", side: 28, width: 8, training)
        try build("gan", side: 28, width: nil, training)
        training.syncBatchNorm = nil
        try build("dcgan", side: 32, width: 8, training)
    }

    /// CycleGAN with `--ema` averages both generators, resumes exactly (the update count is
    /// saved), and translates through the averages unless `--raw-weights` is asked.
    @Test func cycleGANAveragesBothGeneratorsAndResumesExactly() throws {
        let config = try tinyRun("cyclegan", data: "shapes:square,circle", count: 24, batch: 4) { h in
            if var c = h as? CycleGANHyperparameters { c.emaDecay = 0.9; h = c }
        }
        let run = try TrainerTests().expectResumeIsBitIdentical(config)
        defer { try? FileManager.default.removeItem(at: run) }
        let weights = try finalWeights(run)
        for (average, trained) in [("generator_ab_ema.", "generator_ab."), ("generator_ba_ema.", "generator_ba.")] {
            let a = Set(weights.keys.filter { $0.hasPrefix(average) }.map { String($0.dropFirst(average.count)) })
            let t = Set(weights.keys.filter { $0.hasPrefix(trained) }.map { String($0.dropFirst(trained.count)) })
            #expect(!a.isEmpty && a == t, "\(average)")
        }
        #expect(weights["extra.generator_updates"] != nil)
        let trained = try TrainedModel(run.path)
        let model = try #require(trained.model as? CycleGANModel)
        var rng = RandomGenerator(seed: 5)
        let images = Tensor.uniform([2] + trained.config.sampleShape, low: -1, high: 1, using: &rng)
        let averaged = model.translate(images, aToB: true)
        model.usesAveragedWeights = false
        #expect((averaged - model.translate(images, aToB: true)).abs().max().scalar > 1e-5)
        let out = run.appendingPathComponent("translated")
        let input = run.appendingPathComponent("samples")
        try deepgen(["translate", run.path, "--direction", "AtoB", "--input", input.path, "--out", out.path, "--raw-weights"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).count > 0)
    }
}

/// Decodes `eval.json` as `deepgen eval` writes it (infinite KL or FID as "inf").
func reportDecoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return decoder
}
