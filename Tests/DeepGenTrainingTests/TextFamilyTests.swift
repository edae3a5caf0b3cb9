import ArgumentParser
import Foundation
import Testing
import DeepGen
@testable import DeepGenCLI
import DeepGenData
import DeepGenModels
@testable import DeepGenTraining

/// The text family end to end through the `deepgen` commands, in-process: train on a text file,
/// stop and resume to the same weights as a straight run (dropout's generators and the per-step
/// learning rate included), sample from a prompt, evaluate the held-out loss; the shipped
/// Shakespeare; and clear errors for text that cannot work.
@Suite(.serialized) struct TextFamilyTests {
    /// A text with structure to learn: a few phrases in a seeded order (5,760 characters).
    static func writeText(in dir: URL, name: String = "text.txt") throws -> URL {
        let phrases = ["the cat sat on the mat. ", "a dog ran to the sea. ", "we see the cat and the dog. ", "so it goes. "]
        var rng = RandomGenerator(seed: 4)
        var text = ""
        while text.count < 5_700 { text += phrases[Int(rng.next() % 4)] }
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func trainsResumesSamplesAndEvaluates() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try Self.writeText(in: dir)
        let run = dir.appendingPathComponent("run"), straight = dir.appendingPathComponent("straight")
        let train = ["train", "gpt", "--data", "text:" + text.path, "--block-size", "16", "--layers", "2", "--heads", "2", "--embedding", "24",
                     "--dropout", "0.1", "--batch-size", "8", "--total-steps", "60", "--warmup-steps", "5", "--lr", "0.01", "--min-lr", "0.001",
                     "--threads", "2"]
        try deepgen(train + ["--max-steps", "25", "--out", run.path])
        try deepgen(["train", "--resume", run.path])
        try deepgen(train + ["--out", straight.path])
        let a = try finalWeights(run), b = try finalWeights(straight)
        #expect(a.keys.contains("gpt.transformer.h.1.attn.c_attn.weight") && a.keys.contains("gpt.transformer.wpe.weight")
                && !a.keys.contains { $0.hasSuffix("lm_head.weight") })
        #expect(a == b, "the resumed run differs from the straight one")

        // Windows of 17 characters, 8 to a batch: an epoch is as many windows as fit the training text side by side.
        let corpus = try TextCorpus(contentsOf: text)
        let stepsPerEpoch = (corpus.splitIndex - 1) / 16 / 8, epochs = (60 + stepsPerEpoch - 1) / stepsPerEpoch
        let config = try RunDirectory(run).readConfig().model
        #expect(config.training.steps == 60 && config.data.shape == [17] && config.data.vocabulary == corpus.vocabularyString)
        #expect(corpus.vocabulary.count == 16 && epochs == 2)
        // nanoGPT's schedule: warm-up to 0.01 over 5 steps, then a cosine towards 0.001 at step 60.
        let rates = try metricsColumn(straight, "learning_rate")
        #expect(rates.count == 60 && Swift.abs(rates[0] - 0.01 / 6) < 1e-7)
        #expect(Swift.abs(rates[59] - (0.001 + 0.5 * (1 + cos(Double.pi * 54 / 55)) * 0.009)) < 1e-7)
        let losses = try metricsColumn(straight, "loss"), validation = try metricsColumn(straight, "val_loss")
        #expect(validation.count == epochs && validation[epochs - 1] < Foundation.log(16.0) - 0.4, "validation loss per epoch: \(validation)")
        let (early, late) = (losses.prefix(5).reduce(0, +) / 5, losses.suffix(10).reduce(0, +) / 10)
        #expect(late < early - 0.3, "losses \(early) in the first 5 steps, \(late) in the last 10")
        let preview = try String(contentsOf: RunDirectory(straight).sampleURL(epochs, fileExtension: "txt"), encoding: .utf8)
        #expect(preview.unicodeScalars.count == 500)

        // Samples continue the prompt, reproducibly for a seed; characters come from the text.
        let out = dir.appendingPathComponent("s.txt"), again = dir.appendingPathComponent("again.txt")
        try deepgen(["sample", run.path, "--prompt", "the cat", "--length", "80", "--top-k", "5", "--count", "2", "--seed", "3", "--out", out.path])
        try deepgen(["sample", run.path, "--prompt", "the cat", "--length", "80", "--top-k", "5", "--count", "2", "--seed", "3", "--out", again.path])
        let sample = try String(contentsOf: out, encoding: .utf8)
        #expect(sample == (try String(contentsOf: again, encoding: .utf8)))
        let pieces = sample.components(separatedBy: "\n---\n")
        #expect(pieces.count == 2 && pieces.allSatisfy { $0.hasPrefix("the cat") && $0.unicodeScalars.count == 87 })
        let alphabet = Set(config.data.vocabulary!.unicodeScalars)
        #expect(pieces.joined().unicodeScalars.allSatisfy(alphabet.contains))

        // eval: the validation loss is the per-epoch one, and the training text's is reported too.
        try deepgen(["eval", run.path])
        let report = try JSONDecoder().decode(TextEvaluationReport.self, from: Data(contentsOf: run.appendingPathComponent("eval.json")))
        let validationCharacters = corpus.ids.count - corpus.splitIndex
        #expect(report.validation.characters == (validationCharacters - 1) / 16 * 16 && report.training?.characters == (corpus.splitIndex - 1) / 16 * 16)
        #expect(Swift.abs(report.validation.natsPerCharacter - validation[epochs - 1]) < 1e-4)
        #expect(Swift.abs(report.validation.bitsPerCharacter * M_LN2 - report.validation.natsPerCharacter) < 1e-12)
        #expect(Swift.abs(report.validation.perplexity - Foundation.exp(report.validation.natsPerCharacter)) < 1e-9)
    }

    /// The char-rnn through the same commands: resume bit-identical (dropout between its LSTM
    /// layers included), the default RMSprop and clipping recorded, unlimited context when sampling.
    @Test func charRNNTrainsResumesSamplesAndEvaluates() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try Self.writeText(in: dir)
        let run = dir.appendingPathComponent("run"), straight = dir.appendingPathComponent("straight")
        let train = ["train", "char-rnn", "--data", "text:" + text.path, "--sequence-length", "16", "--hidden-size", "24", "--embedding", "8",
                     "--dropout", "0.1", "--batch-size", "8", "--total-steps", "50", "--lr", "0.01", "--threads", "2"]
        try deepgen(train + ["--max-steps", "20", "--out", run.path])
        try deepgen(["train", "--resume", run.path])
        try deepgen(train + ["--out", straight.path])
        let a = try finalWeights(run), b = try finalWeights(straight)
        #expect(a.keys.contains("char_rnn.rnn.weight_hh_l1") && a.keys.contains("char_rnn.encoder.weight") && a.keys.contains("char_rnn.decoder.bias"))
        #expect(a == b, "the resumed run differs from the straight one")
        let config = try RunDirectory(run).readConfig().model
        #expect(config.training.optimizer.kind == .rmsprop && config.training.optimizer.alpha == 0.95 && config.training.optimizer.maxGradientNorm == 5)
        let h = try config.hyperparameters(as: TextHyperparameters.self)
        #expect(h.heads == nil && h.bias == nil && h.hiddenSize == 24 && h.layers == 2 && h.blockSize == 16)
        let validation = try metricsColumn(straight, "val_loss"), losses = try metricsColumn(straight, "loss")
        #expect(validation.last! < Foundation.log(16.0) - 0.4 && losses[49] < losses[0] - 0.5, "validation \(validation), loss \(losses[0]) … \(losses[49])")
        // A stop that falls on the run's last step still ends its epoch: epoch file, sample, validation loss.
        let exact = dir.appendingPathComponent("exact")
        try deepgen(train + ["--max-steps", "50", "--out", exact.path])
        #expect(try metricsColumn(exact, "val_loss") == validation)
        #expect(FileManager.default.fileExists(atPath: RunDirectory(exact).epochCheckpointURL(validation.count).path))
        #expect(try TrainedModel(exact.path).epoch == validation.count)
        let out = dir.appendingPathComponent("s.txt")
        try deepgen(["sample", run.path, "--prompt", "the dog", "--length", "300", "--out", out.path])
        #expect(try String(contentsOf: out, encoding: .utf8).unicodeScalars.count == 307)
        try deepgen(["eval", run.path, "--no-reference"])
        let report = try JSONDecoder().decode(TextEvaluationReport.self, from: Data(contentsOf: run.appendingPathComponent("eval.json")))
        #expect(Swift.abs(report.validation.natsPerCharacter - validation.last!) < 1e-4 && report.training == nil)
        do {
            try deepgen(train + ["--heads", "2", "--out", dir.appendingPathComponent("x").path])
            Issue.record("--heads accepted for char-rnn")
        } catch {
            #expect(DeepGenCommand.message(for: error).contains("--heads"))
        }
    }

    /// Every character after a window's first is scored exactly once; the split is at ⌊0.9 n⌋.
    @Test func windowsCoverTheSplits() throws {
        let corpus = try TextCorpus(bytes: Array("hello, wörld! ".utf8) + Array(repeating: UInt8(ascii: "z"), count: 86), source: "test")
        #expect(corpus.ids.count == 100 && corpus.splitIndex == 90 && corpus.vocabulary.count == 12)
        #expect(corpus.vocabularyString == " !,dehlorwzö")
        let validation = try TextWindows(corpus: corpus, split: .test, length: 4, sequential: true)
        #expect(validation.count == 3)
        var rng = RandomGenerator(seed: 0)
        let windows = try (0..<3).map { try validation.sample(at: $0, using: &rng).values }
        #expect(windows[1].first == windows[0].last && windows[2].first == windows[1].last)
        let training = try TextWindows(corpus: corpus, split: .train, length: 4, sequential: false)
        #expect(training.count == 29)
        for i in 0..<50 {
            var r = RandomGenerator(seed: UInt64(i))
            let w = try training.sample(at: 0, using: &r).values.map { Int($0) }
            let start = try #require((0...86).first { s in (0..<4).allSatisfy { corpus.ids[s + $0] == Int32(w[$0]) } })
            #expect(start + 4 <= 90)
        }
    }

    /// The shipped tiny Shakespeare: 1,115,394 characters of 65 kinds, split at 1,003,854.
    @Test func shakespeareShips() throws {
        let loaded = try DatasetRegistry.load(DataOptions(spec: "shakespeare"), request: DataRequest(range: .minusOneToOne, sequenceLength: 64),
                                              split: .train, seed: 0)
        let windows = try #require(loaded.dataset as? TextWindows)
        #expect(windows.corpus.ids.count == 1_115_394 && windows.corpus.splitIndex == 1_003_854 && windows.corpus.vocabulary.count == 65)
        #expect(loaded.description.kind == .text && loaded.description.shape == [65])
        #expect(windows.count == 1_003_853 / 64)
    }

    @Test func badTextAndOptionsAreRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = dir.appendingPathComponent("empty.txt"), binary = dir.appendingPathComponent("binary.txt")
        let short = dir.appendingPathComponent("short.txt")
        try Data().write(to: empty)
        try Data([0x61, 0x62, 0xFF, 0xFE, 0x63]).write(to: binary)
        try "to be or not to be, that is the question".write(to: short, atomically: true, encoding: .utf8)
        let text = try Self.writeText(in: dir)
        let tiny = ["--block-size", "8", "--layers", "1", "--heads", "1", "--embedding", "8", "--batch-size", "4", "--threads", "1"]
        expectDeepGenError(["train", "gpt", "--data", "text:" + empty.path, "--out", dir.appendingPathComponent("r1").path] + tiny, mentioning: ["empty"])
        expectDeepGenError(["train", "gpt", "--data", "text:" + binary.path, "--out", dir.appendingPathComponent("r2").path] + tiny,
                    mentioning: ["not UTF-8", "byte 2"])
        expectDeepGenError(["train", "gpt", "--data", "text:" + short.path, "--out", dir.appendingPathComponent("r3").path, "--block-size", "16"],
                    mentioning: ["validation text", "4 characters", "shorter than one window of 17", "--block-size"])
        expectDeepGenError(["train", "gpt", "--data", "text:" + dir.appendingPathComponent("missing.txt").path, "--out", dir.appendingPathComponent("r4").path],
                    mentioning: ["missing.txt", "no such file"])
        expectDeepGenError(["train", "gpt", "--data", "text:" + text.path, "--heads", "3", "--embedding", "16"], mentioning: ["multiple of --heads"])
        expectDeepGenError(["train", "gpt", "--data", "text:" + text.path, "--total-steps", "10", "--epochs", "2"], mentioning: ["--total-steps", "--epochs"])
        expectDeepGenError(["train", "gpt", "--data", "text:" + text.path, "--total-steps", "0"], mentioning: ["--total-steps"])
        expectDeepGenError(["train", "gpt", "--data", "fashion-mnist"], mentioning: ["gpt trains on text"])
        expectDeepGenError(["train", "dcgan", "--data", "text:" + text.path], mentioning: ["dcgan trains on images", "gives text"])

        // --epochs alone counts the run in epochs again (the family's default is a step count).
        let byEpochs = dir.appendingPathComponent("epochs")
        try deepgen(["train", "gpt", "--data", "text:" + text.path, "--epochs", "1", "--max-steps", "1", "--out", byEpochs.path] + tiny)
        #expect(try RunDirectory(byEpochs).readConfig().model.training.steps == nil)
        let run = dir.appendingPathComponent("run")
        try deepgen(["train", "gpt", "--data", "text:" + text.path, "--total-steps", "2", "--out", run.path] + tiny)
        expectDeepGenError(["sample", run.path, "--prompt", "zebra€"], mentioning: ["'z'", "'€'", "never saw"])
        expectDeepGenError(["sample", run.path, "--top-k", "17"], mentioning: ["--top-k 17", "16 characters"])
        expectDeepGenError(["sample", run.path, "--length", "0"], mentioning: ["--length"])
        expectDeepGenError(["sample", run.path, "--temperature", "0"], mentioning: ["--temperature"])
        expectDeepGenError(["sample", run.path, "--out", dir.appendingPathComponent("x.png").path], mentioning: [".txt"])
        expectDeepGenError(["eval", run.path, "--metrics", "fid"], mentioning: ["cross-entropy"])
        expectDeepGenError(["train", "--resume", run.path, "--epochs", "3"], mentioning: ["counts steps"])
        // A changed text is refused, not scored with ids that now mean other characters.
        try (try String(contentsOf: text, encoding: .utf8) + "XYZ").write(to: text, atomically: true, encoding: .utf8)
        expectDeepGenError(["eval", run.path], mentioning: ["has changed"])
    }
}
