import ArgumentParser
import Foundation
import Testing
import DeepGen
@testable import DeepGenCLI
import DeepGenData
import DeepGenModels
import DeepGenNN
@testable import DeepGenTraining

/// The flow family end to end through the `deepgen` commands, run in-process: train, stop,
/// resume to the same weights, sample with a temperature, evaluate the exact likelihood; and its
/// errors for configurations that cannot work.
@Suite(.serialized) struct FlowFamilyTests {
    init() { ModelFamilies.register(DiagonalGaussianFamily.self) }

    /// An image flow's run samples a PNG grid at temperature 0.7 and reconstructs four test
    /// images through its latents (to their bins' middles); returns the model and those images.
    func expectSamplesAndReconstructs(_ run: URL, in dir: URL) throws -> (FlowModel, Tensor) {
        let png = dir.appendingPathComponent("s.png")
        try deepgen(["sample", run.path, "--count", "16", "--temperature", "0.7", "--out", png.path])
        #expect(try Data(contentsOf: png).starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let trained = try TrainedModel(run.path)
        let model = try #require(trained.model as? FlowModel)
        let images = try firstSamples(of: RunData(for: trained.config, options: trained.data).test(), count: 4)
        #expect((model.reconstruct(images) - images).abs().max().scalar <= 1.0 / 255)
        return (model, images)
    }

    func report(_ run: URL) throws -> EvaluationReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(EvaluationReport.self, from: Data(contentsOf: run.appendingPathComponent("eval.json")))
    }

    /// The standard deviation of all values of an `.npy` file of float32 samples.
    func spread(_ url: URL) throws -> Double {
        let values = try NPYArray.read(url).tensor.scalars.map { Double($0) }
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
    }

    @Test func trainsResumesSamplesWithATemperatureAndEvaluatesExactly() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run"), straight = dir.appendingPathComponent("straight")
        let train = ["train", "realnvp", "--data", "two-moons", "--synthetic-count", "2048", "--batch-size", "128", "--epochs", "2",
                     "--decay-epochs", "1", "--couplings", "4", "--hidden-size", "16", "--lr", "0.005", "--threads", "2"]

        // Stopped mid-run, then resumed: the same weights as one straight run (ActNorm's
        // data-dependent initialization, the invertible maps and gradient clipping included).
        try deepgen(train + ["--max-steps", "20", "--out", run.path])
        let config = try RunDirectory(run).readConfig().model
        var expected = FlowHyperparameters()
        (expected.couplings, expected.hiddenSize, expected.hiddenLayers) = (4, 16, 2)
        #expect(try config.hyperparameters(as: FlowHyperparameters.self) == expected)
        #expect(config.training.optimizer.maxGradientNorm == 1, "the family's default clipping is recorded")
        try deepgen(["train", "--resume", run.path])
        try deepgen(train + ["--out", straight.path])
        let a = try finalWeights(run), b = try finalWeights(straight)
        #expect(a.keys.contains("flow.flow.layers.0.initialized") && a.keys.contains("flow.flow.layers.1.lower")
                && a.keys.contains("flow.flow.layers.2.conditioner.0.weight") && a.keys.contains("flow.flow.layers.2.scale"))
        #expect(a == b, "resumed run differs from the straight one")

        // The test NLL fell over the run.
        let metrics = try String(contentsOf: RunDirectory(run).metricsURL, encoding: .utf8)
        let header = metrics.split(separator: "\n")[0].split(separator: ",", omittingEmptySubsequences: false)
        let column = try #require(header.firstIndex(of: "test_nll"))
        let testNLL = metrics.split(separator: "\n").dropFirst().compactMap { line -> Double? in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return column < cells.count ? Double(cells[column]) : nil
        }
        #expect(testNLL.count == 3 && testNLL[2] < testNLL[0] - 0.1, "test NLL per epoch: \(testNLL)")

        // Samples at temperature 0.5 are less spread than at 1.
        let hot = dir.appendingPathComponent("t1.npy"), cold = dir.appendingPathComponent("t05.npy")
        try deepgen(["sample", run.path, "--count", "2000", "--out", hot.path])
        try deepgen(["sample", run.path, "--count", "2000", "--temperature", "0.5", "--out", cold.path])
        #expect(String(decoding: try Data(contentsOf: cold).prefix(128), as: UTF8.self).contains("'shape': (2000, 2)"))
        let (s1, s05) = (try spread(hot), try spread(cold))
        #expect(s05 < 0.9 * s1, "spread at T=0.5 is \(s05), at T=1 \(s1)")

        // `deepgen eval`: two-moons has no discrete modes, so the exact NLL alone, and its bits
        // per dimension; the value is the mean of the model's own log-densities of the test points.
        try deepgen(["eval", run.path, "--count", "500"])
        let r = try report(run).results
        let nll = try #require(r.nll)
        #expect(r.modes == nil)
        #expect(nll.exact == true && nll.negativeELBO == nll.negativeLogLikelihood && nll.imageCount == 500 && nll.dimensions == 2)
        #expect(abs(try #require(nll.bitsPerDimension) - nll.negativeLogLikelihood / (2 * log(2))) < 1e-12)
        let trained = try TrainedModel(run.path)
        let data = try RunData(for: trained.config, options: trained.data)
        let points = try firstSamples(of: data.test(), count: 500)
        let model = try #require(trained.model as? FlowModel)
        let direct = -Double(withoutGrad { model.flow.logProbability(points) }.scalars.reduce(0, +)) / 500
        #expect(abs(direct - nll.negativeLogLikelihood) < 1e-4, "eval \(nll.negativeLogLikelihood), direct \(direct)")
    }

    @Test func glowTrainsOnImagesResumesSamplesAndReportsBitsPerDimension() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run"), straight = dir.appendingPathComponent("straight")
        let train = ["train", "glow", "--data", "shapes", "--synthetic-count", "96", "--batch-size", "16", "--epochs", "2",
                     "--levels", "2", "--steps", "1", "--hidden-channels", "8", "--threads", "2"]
        try deepgen(train + ["--max-steps", "7", "--out", run.path])
        try deepgen(["train", "--resume", run.path])
        try deepgen(train + ["--out", straight.path])
        let a = try finalWeights(run), b = try finalWeights(straight)
        #expect(a.keys.contains("flow.levels.1.layers.3.conditioner.4.weight") && a.keys.contains("flow.levels.0.layers.2.log_scale"))
        #expect(a == b, "resumed run differs from the straight one")
        #expect(FileManager.default.fileExists(atPath: RunDirectory(run).sampleURL(2).path))

        // Through the latents and back: the test images again (their bins' middles), and lines
        // between latents through `deepgen interpolate`.
        let (model, images) = try expectSamplesAndReconstructs(run, in: dir)
        let line = model.interpolate(from: images.sliced(axis: 0, 0..<1), to: images.sliced(axis: 0, 1..<2), steps: 5)
        #expect(line.shape == [5, 1, 28, 28])
        #expect((line.sliced(axis: 0, 0..<1) - images.sliced(axis: 0, 0..<1)).abs().max().scalar <= 1.0 / 255)
        #expect((line.sliced(axis: 0, 4..<5) - images.sliced(axis: 0, 1..<2)).abs().max().scalar <= 1.0 / 255)
        let lines = dir.appendingPathComponent("lines.png")
        try deepgen(["interpolate", run.path, "--pairs", "2", "--steps", "4", "--out", lines.path])
        #expect(FileManager.default.fileExists(atPath: lines.path))

        // The dequantization bound in nats per image and bits per dimension (784 values); more
        // dequantization draws give a tighter (higher) log-mean-exp estimate than their mean.
        try deepgen(["eval", run.path, "--metrics", "nll", "--count", "32"])
        let one = try #require(try report(run).results.nll)
        #expect(one.exact == false && one.samples == 1 && one.dimensions == 784 && one.negativeELBO == one.negativeLogLikelihood)
        #expect(abs(try #require(one.bitsPerDimension) - one.negativeLogLikelihood / (784 * log(2))) < 1e-9)
        #expect(one.bitsPerDimension! > 0 && one.bitsPerDimension! < 8, "\(one)")
        try deepgen(["eval", run.path, "--metrics", "nll", "--count", "32", "--iwae-samples", "4"])
        let four = try #require(try report(run).results.nll)
        #expect(four.samples == 4 && four.negativeLogLikelihood <= four.negativeELBO)
    }

    /// RealNVP on images with each flow-layer normalization: stop and resume equal a straight
    /// run (batch normalization's running averages included), samples, reconstruction through
    /// the latents, and bits per dimension from `deepgen eval` (running averages in evaluation).
    @Test(arguments: ["actnorm", "batchnorm", "none"])
    func realNVPTrainsOnImagesResumesAndReportsBitsPerDimension(_ norm: String) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run"), straight = dir.appendingPathComponent("straight")
        let train = ["train", "realnvp", "--data", "shapes", "--synthetic-count", "64", "--batch-size", "16", "--epochs", "2",
                     "--scales", "2", "--hidden-channels", "4", "--residual-blocks", "1", "--norm", norm, "--threads", "2"]
        try deepgen(train + ["--max-steps", "5", "--out", run.path])
        try deepgen(["train", "--resume", run.path])
        try deepgen(train + ["--out", straight.path])
        let a = try finalWeights(run), b = try finalWeights(straight)
        #expect(a == b, "resumed run differs from the straight one")
        // Level 0: 3 checkerboard couplings, a squeeze, 3 channel couplings (with a normalization layer before each coupling).
        let couplings = norm == "none" ? ["0", "1", "2", "4", "5", "6"] : ["1", "3", "5", "8", "10", "12"]
        for (i, layer) in couplings.enumerated() {
            let name = i < 3 ? "flow.levels.0.layers.\(layer).conditioner.blocks.0.conv1.weight" : "flow.levels.0.layers.\(layer).conditioner.out_conv.weight"
            #expect(a.keys.contains(name), "\(name) missing")
        }
        if norm == "batchnorm" { #expect(a.keys.contains("flow.levels.1.layers.0.running_var") && a.keys.contains("flow.levels.1.layers.0.log_gamma")) }
        if norm == "actnorm" { #expect(a.keys.contains("flow.levels.1.layers.0.logs")) }

        _ = try expectSamplesAndReconstructs(run, in: dir)
        try deepgen(["eval", run.path, "--metrics", "nll", "--count", "32"])
        let nll = try #require(try report(run).results.nll)
        #expect(nll.exact == false && nll.dimensions == 784 && nll.bitsPerDimension! > 0 && nll.bitsPerDimension! < 8, "\(nll)")
    }

    @Test func onRing8ItsDefaultMetricsIncludeModeCoverage() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try deepgen(["train", "realnvp", "--data", "ring8", "--synthetic-count", "1024", "--batch-size", "256", "--epochs", "1",
                     "--couplings", "2", "--hidden-size", "8", "--out", dir.path])
        try deepgen(["eval", dir.path, "--count", "300", "--repeats", "1"])
        let r = try report(dir).results
        #expect(r.modes?.perSeed.first?.modeCount == 8 && r.nll?.exact == true)
    }

    @Test func aNonFiniteLossNamesTheLayer() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir)
        let config = try RunConfig.newRun(model: "realnvp", data: DataOptions(spec: "two-moons", syntheticCount: 256), seed: 1, threads: 1) { t, h in
            t.batchSize = 64
            if var f = h as? FlowHyperparameters { (f.couplings, f.hiddenSize) = (3, 8); h = f }
        }.config
        let trainer = try Trainer(newRun: config, in: dir)
        let model = try #require(trainer.model as? FlowModel)
        let flow = try #require(model.flow as? RealNVPPoints).flow
        let coupling = try #require(flow.layers[5] as? AffineCoupling)
        coupling.scale.value = Tensor(shape: [2], scalars: [.infinity, 1])
        let last = try #require(coupling.conditioner.layers.last as? Linear)
        last.bias?.value = Tensor(shape: [4], scalars: [1, 1, 0, 0])
        do {
            _ = try trainer.run()
            Issue.record("training did not stop")
        } catch TrainingError.diverged(let d) {
            #expect(d.what.hasPrefix("nll is") && d.what.contains("first non-finite output: flow.layers.5 (affine coupling)"), "\(d.what)")
            #expect(d.step == 1)
        }
    }

    @Test func configurationsThatCannotWorkAreRefusedByName() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func refusal(_ arguments: [String]) -> String {
            do { try deepgen(arguments); return "" } catch { return DeepGenCommand.message(for: error) + " \(error)" }
        }
        let out = ["--out", dir.appendingPathComponent("r").path]
        #expect(refusal(["train", "realnvp", "--data", "energy:u1"] + out).contains("realnvp trains on 2-D points or images; energy:u1 gives"))
        #expect(refusal(["train", "realnvp", "--data", "shapes", "--couplings", "3"] + out).contains("--couplings is an option of realnvp on points"))
        #expect(refusal(["train", "realnvp", "--data", "ring8", "--scales", "2"] + out).contains("--scales is an option of realnvp on images"))
        #expect(refusal(["train", "realnvp", "--data", "shapes", "--scales", "4"] + out)
            .contains("realnvp with 4 scales squeezes the image 3 times and needs sides divisible by 8 and at least 16; the images are 28×28"))
        #expect(refusal(["train", "realnvp", "--data", "shapes", "--residual-blocks", "-1"] + out).contains("--residual-blocks"))
        #expect(refusal(["train", "realnvp", "--data", "shapes", "--norm", "layernorm"] + out).contains("--norm"))
        #expect(refusal(["train", "realnvp", "--data", "shapes", "--norm", "batchnorm", "--act-norm"] + out).contains("give --norm or --act-norm/--no-act-norm, not both"))
        #expect(refusal(["train", "realnvp", "--data", "shapes", "--logit-alpha", "0.5"] + out).contains("--logit-alpha must be in [0, 0.5)"))
        #expect(refusal(["train", "realnvp", "--data", "ring8", "--couplings", "0"] + out).contains("--couplings"))
        #expect(refusal(["train", "realnvp", "--data", "ring8", "--hidden-layers", "0"] + out).contains("--hidden-layers"))
        #expect(refusal(["train", "realnvp", "--data", "ring8", "--clip-grad-norm", "0"] + out).contains("--clip-grad-norm must be positive"))
        #expect(refusal(["train", "glow", "--data", "shapes", "--levels", "3"] + out).contains("needs sides divisible by 8; the images are 28×28"))
        #expect(refusal(["train", "glow", "--data", "ring8"] + out).contains("glow trains on images"))
        #expect(refusal(["train", "glow", "--data", "shapes", "--couplings", "3"] + out).contains("Unknown option"))
        #expect(refusal(["train", "glow", "--data", "shapes", "--logit-alpha", "0.5"] + out).contains("--logit-alpha must be in [0, 0.5)"))
        #expect(refusal(["train", "glow", "--data", "shapes", "--steps", "0"] + out).contains("--steps"))
        #expect(refusal(["sample", dir.path, "--out", "x.npy", "--temperature", "0"]).contains("--temperature must be above 0"))
        #expect(refusal(["sample", dir.path, "--out", "x.npy", "--temperature", "nan"]).contains("--temperature must be above 0"))
        // Points make no image grid.
        let points = dir.appendingPathComponent("p")
        try deepgen(["train", "realnvp", "--data", "two-moons", "--synthetic-count", "256", "--epochs", "1", "--couplings", "2",
                     "--hidden-size", "8", "--out", points.path])
        #expect(refusal(["interpolate", points.path, "--out", dir.appendingPathComponent("l.png").path]).contains("write --out FILE.npy"))
        let pointLines = dir.appendingPathComponent("l.npy")
        try deepgen(["interpolate", points.path, "--pairs", "2", "--steps", "3", "--out", pointLines.path])
        #expect(String(decoding: try Data(contentsOf: pointLines).prefix(128), as: UTF8.self).contains("'shape': (6, 2)"))
        // A model without a base density to scale.
        let gaussian = dir.appendingPathComponent("g")
        try deepgen(["train", "gaussian", "--data", "ring8", "--synthetic-count", "256", "--epochs", "1", "--out", gaussian.path])
        #expect(refusal(["sample", gaussian.path, "--out", dir.appendingPathComponent("s.npy").path, "--temperature", "0.5"])
            .contains("--temperature is for flows"))
        #expect(refusal(["eval", gaussian.path, "--metrics", "kl"]).contains("kl is for models fitted to a target density"))
    }
}
