import ArgumentParser
import Foundation
import Testing
import DeepGen
@testable import DeepGenCLI
import DeepGenData
import DeepGenModels
@testable import DeepGenTraining

/// A family defined outside the package (`DiagonalGaussianFamily.swift`: one file) plus one
/// registration trains, resumes, samples and evaluates through the `deepgen` commands themselves,
/// run in-process.
@Suite(.serialized) struct PluginFamilyTests {
    init() { ModelFamilies.register(DiagonalGaussianFamily.self) }

    @Test func itsOptionsAndTheSharedOnesAreItsTrainCommandsHelp() throws {
        #expect(ModelFamilies.family(named: "gaussian") != nil)
        let command = try #require(Train.configuration.subcommands.first { $0.configuration.commandName == "gaussian" })
        let help = DeepGenCommand.helpMessage(for: command)
        for option in ["--initial-log-scale", "--data", "--epochs", "--optimizer", "--lr", "--out", "--eval-every"] {
            #expect(help.contains(option), "train gaussian --help lacks \(option):\n\(help)")
        }
        // Another family's options are not its options.
        #expect(!help.contains("--latent-size"))
        #expect(throws: (any Error).self) { try DeepGenCommand.parseAsRoot(["train", "gaussian", "--data", "ring8", "--latent-size", "2"]) }
    }

    @Test func trainsResumesSamplesAndEvaluatesThroughTheCommands() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run"), straight = dir.appendingPathComponent("straight")
        let train = ["train", "gaussian", "--data", "ring8", "--synthetic-count", "2048", "--batch-size", "128", "--epochs", "6",
                     "--optimizer", "adamw", "--weight-decay", "0"]

        // Stopped mid-run, then resumed: the same weights as one straight run.
        try deepgen(train + ["--max-steps", "20", "--out", run.path])
        let config = try RunDirectory(run).readConfig()
        #expect(config.model.model == "gaussian" && config.model.data.kind == .points)
        #expect(try config.model.hyperparameters(as: GaussianHyperparameters.self) == GaussianHyperparameters())
        #expect(config.model.training.optimizer.kind == .adamw && config.model.training.optimizer.weightDecay == 0)
        try deepgen(["train", "--resume", run.path])
        try deepgen(train + ["--out", straight.path])
        let a = try finalWeights(run), b = try finalWeights(straight)
        #expect(a.keys.sorted() == ["gaussian.log_scale", "gaussian.mean", "optimizer.gaussian.log_scale.exp_avg", "optimizer.gaussian.log_scale.exp_avg_sq",
                                    "optimizer.gaussian.mean.exp_avg", "optimizer.gaussian.mean.exp_avg_sq"])
        #expect(a == b, "resumed run differs from the straight one")
        #expect(FileManager.default.fileExists(atPath: RunDirectory(run).sampleURL(6).path))

        // Samples: 1,000 points.
        let npy = dir.appendingPathComponent("points.npy")
        try deepgen(["sample", run.path, "--count", "1000", "--out", npy.path])
        #expect(String(decoding: try Data(contentsOf: npy).prefix(128), as: UTF8.self).contains("'shape': (1000, 2)"))

        // Its default metrics (exact NLL, mode coverage) through `deepgen eval`: the NLL on the test
        // points is the closed-form maximum-likelihood Gaussian's, computed here from the training points.
        try deepgen(["eval", run.path, "--count", "500", "--repeats", "1"])
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let report = try decoder.decode(EvaluationReport.self, from: Data(contentsOf: run.appendingPathComponent("eval.json")))
        let nll = try #require(report.results.nll)
        #expect(report.results.modes?.perSeed.first?.modeCount == 8)
        let data = try RunData(for: config.model, options: config.data)
        let train2D = try firstSamples(of: data.train(), count: 2048).scalars, test2D = try firstSamples(of: data.test(), count: 500).scalars
        var expected = 0.0
        for d in 0..<2 {
            let xs = stride(from: d, to: train2D.count, by: 2).map { Double(train2D[$0]) }
            let mu = xs.reduce(0, +) / Double(xs.count), variance = xs.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(xs.count)
            let ts = stride(from: d, to: test2D.count, by: 2).map { Double(test2D[$0]) }
            expected += ts.map { 0.5 * ($0 - mu) * ($0 - mu) / variance + 0.5 * log(2 * Double.pi * variance) }.reduce(0, +) / Double(ts.count)
        }
        #expect(abs(nll.negativeLogLikelihood - expected) < 0.05, "NLL \(nll.negativeLogLikelihood) vs the closed form's \(expected)")
        #expect(nll.exact == true && nll.negativeELBO == nll.negativeLogLikelihood, "an exact likelihood has no gap")
    }

    @Test func itsConfigurationRoundTripsThroughJSON() throws {
        var config = try RunConfig.newRun(model: "gaussian", data: DataOptions(spec: "shapes", syntheticCount: 64), seed: 2, threads: 1).config.model
        config.updateHyperparameters(GaussianHyperparameters.self) { $0.initialLogScale = -1 }
        #expect(try ModelConfig.decode(json: config.json()) == config)
        #expect(config.data.kind == .image && config.data.range == .minusOneToOne)
    }
}
