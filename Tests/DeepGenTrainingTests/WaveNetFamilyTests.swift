import ArgumentParser
import Foundation
import Testing
import DeepGen
@testable import DeepGenCLI
import DeepGenData
import DeepGenModels
@testable import DeepGenTraining

/// WaveNet end to end through the `deepgen` commands, in-process: train on a folder of short
/// clips of two kinds (`audio:PATH` with labels from the file names), stop and resume to the same weights as a straight run, per-epoch test NLL and audio
/// previews (WAV files, spectrogram grid), sampling WAV files of a class, evaluation; and clear
/// errors for flags and data that cannot work.
@Suite(.serialized) struct WaveNetFamilyTests {
    static let tiny = ["--stacks", "1", "--layers-per-stack", "4", "--residual-channels", "8", "--dilation-channels", "8",
                       "--skip-channels", "16", "--window", "200", "--batch-size", "4", "--threads", "2"]

    /// 30 clips of 0.1 s at 8 kHz, tones and noise bursts in turn (`tone_07.wav`, `noise_08.wav`):
    /// every tenth file (3) is the test split.
    static func writeClips(in dir: URL) throws -> URL {
        let folder = dir.appendingPathComponent("clips")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var rng = RandomGenerator(seed: 9)
        for i in 0..<30 {
            let tone = i % 2 == 0, pitch = 0.2 + 0.1 * Double(i % 5)
            let clip = (0..<800).map { t -> Float in
                let envelope = Float(min(1, Double(t) / 80) * min(1, Double(800 - t) / 200))
                return 0.5 * envelope * (tone ? Float(sin(Double(t) * pitch)) : Float(rng.nextNormalPair().0) * 0.3)
            }
            try AudioFile.write(clip, sampleRate: 8000, to: folder.appendingPathComponent(String(format: "%@_%02d.wav", tone ? "tone" : "noise", i)))
        }
        return folder
    }

    @Test func trainsResumesSamplesAndEvaluates() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clips = try Self.writeClips(in: dir)
        let run = dir.appendingPathComponent("run"), straight = dir.appendingPathComponent("straight")
        let train = ["train", "wavenet", "--data", "audio:" + clips.path, "--label-pattern", "^([a-z]+)_", "--total-steps", "12", "--lr", "0.01"] + Self.tiny
        try deepgen(train + ["--max-steps", "5", "--out", run.path])
        try deepgen(["train", "--resume", run.path])
        try deepgen(train + ["--out", straight.path])
        let a = try finalWeights(run), b = try finalWeights(straight)
        #expect(a.keys.contains("wavenet.layers.3.skip.weight") && a.keys.contains("wavenet.layers.0.condition.weight")
                && a.keys.contains("wavenet.input_conv.weight") && a.keys.contains("wavenet.end_conv2.bias")
                && !a.keys.contains("wavenet.layers.3.residual.weight"))
        #expect(a["wavenet.layers.1.dilated.weight"]?.count == 16 * 8 * 2)
        #expect(a == b, "the resumed run differs from the straight one")

        let config = try RunDirectory(run).readConfig().model
        let h = try config.hyperparameters(as: WaveNetHyperparameters.self)
        #expect(config.data.kind == .audio && config.data.sampleRate == 8000 && config.data.shape == [1, 200])
        #expect(h.conditioningClasses == 2 && config.data.classNames == ["noise", "tone"])
        let losses = try metricsColumn(straight, "loss"), nll = try metricsColumn(straight, "test_nll_bits")
        #expect(losses.count == 12 && losses.suffix(3).reduce(0, +) / 3 < losses.prefix(3).reduce(0, +) / 3 - 0.2, "losses \(losses)")
        #expect(!nll.isEmpty && nll.last! < 8 && nll.last! > 0, "test NLL \(nll)")

        // The epoch's preview: WAV clips of the conditioning classes and their spectrograms.
        let samples = RunDirectory(straight).samplesURL
        let epoch = nll.count
        let first = try AudioFile.read(samples.appendingPathComponent(String(format: "epoch-%03d-0.wav", epoch)))
        #expect(first.sampleRate == 8000 && first.samples.count == 8000)
        #expect(FileManager.default.fileExists(atPath: RunDirectory(straight).sampleURL(epoch).path))

        // Samples of a class, reproducible for a seed, written as WAV files of the asked length.
        let out = dir.appendingPathComponent("generated"), again = dir.appendingPathComponent("again")
        try deepgen(["sample", run.path, "--count", "2", "--class", "0", "--seconds", "0.25", "--seed", "5", "--out", out.path])
        try deepgen(["sample", run.path, "--count", "2", "--class", "0", "--seconds", "0.25", "--seed", "5", "--out", again.path])
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(names == ["sample-000-noise.wav", "sample-001-noise.wav", "spectrograms.png"])
        for name in names where name.hasSuffix(".wav") {
            let x = try AudioFile.read(out.appendingPathComponent(name)), y = try AudioFile.read(again.appendingPathComponent(name))
            #expect(x.samples.count == 2000 && x == y)
        }
        let single = dir.appendingPathComponent("one.wav")
        try deepgen(["sample", run.path, "--class", "1", "--seconds", "0.1", "--out", single.path])
        #expect(try AudioFile.read(single).samples.count == 800)

        // eval: the test NLL is the per-epoch figure; the training clips are the reference row.
        try deepgen(["eval", straight.path])
        let report = try JSONDecoder().decode(AudioEvaluationReport.self, from: Data(contentsOf: straight.appendingPathComponent("eval.json")))
        #expect(Swift.abs(report.test.bitsPerSample - nll.last!) < 1e-3 && report.training != nil)
        #expect(report.receptiveField == 2 + 15 && report.test.clips == 3 && report.test.samples == 3 * 800 && report.training?.clips == 3)
        #expect(report.generated == nil)  // no classifier ships for audio:PATH

        // A spectrogram classifier of the same clips judges generated ones: 1 s windows, so clips of
        // 7/8 s after the window's 1/8 s of silence, two per class here.
        let classifier = dir.appendingPathComponent("classifier")
        try deepgen(["train", "classifier", "--data", "audio:" + clips.path, "--label-pattern", "^([a-z]+)_", "--epochs", "1", "--batch-size", "9",
                     "--out", classifier.path])
        try deepgen(["eval", straight.path, "--extractor", classifier.path, "--count", "2", "--seed", "2"])
        let judged = try JSONDecoder().decode(AudioEvaluationReport.self, from: Data(contentsOf: straight.appendingPathComponent("eval.json")))
        let generated = try #require(judged.generated)
        #expect(generated.clips == 4 && generated.seconds == 0.875 && generated.classHistogram.reduce(0, +) == 4 && generated.seed == 2)
        #expect(generated.conditionalAccuracy != nil && generated.accuracyByClass?.keys.sorted() == ["noise", "tone"])
        #expect(generated.frechetDistance.isFinite && generated.referenceFrechetDistance != nil)
    }

    /// A folder shaped like FSDD: digits 0 and 1 (a tone and a noise burst) said by `alice` (higher)
    /// and `bob` (lower), takes 0–6 of 0.1 s (takes 0–4 are the test split).
    static func writeRecordings(in dir: URL) throws -> URL {
        let folder = dir.appendingPathComponent("recordings")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var rng = RandomGenerator(seed: 4)
        for digit in 0...1 {
            for (speaker, pitch) in [("alice", 0.6), ("bob", 0.15)] {
                for take in 0...6 {
                    let clip = (0..<800).map { t -> Float in
                        let envelope = Float(min(1, Double(t) / 80) * min(1, Double(800 - t) / 200))
                        let noise = Float(rng.nextNormalPair().0) * 0.2
                        return 0.5 * envelope * (digit == 0 ? Float(sin(Double(t) * pitch)) : noise * Float(1 + sin(Double(t) * pitch)))
                    }
                    try AudioFile.write(clip, sampleRate: 8000, to: folder.appendingPathComponent("\(digit)_\(speaker)_\(take).wav"))
                }
            }
        }
        return folder
    }

    /// `--speakers`: a per-layer speaker table beside the class one, kept through stop and
    /// resume; `sample --speaker NAME` picks the voice (the speakers in turn without it), and the
    /// test NLL is scored with each clip's own speaker.
    @Test func conditionsOnSpeakers() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recordings = try Self.writeRecordings(in: dir)
        let run = dir.appendingPathComponent("run"), straight = dir.appendingPathComponent("straight")
        let train = ["train", "wavenet", "--data", "fsdd:" + recordings.path, "--speakers", "--total-steps", "6", "--lr", "0.01"] + Self.tiny
        try deepgen(train + ["--max-steps", "4", "--out", run.path])
        try deepgen(["train", "--resume", run.path])
        try deepgen(train + ["--out", straight.path])
        let a = try finalWeights(run), b = try finalWeights(straight)
        #expect(a["wavenet.layers.2.speaker.weight"]?.count == 2 * 16 && a["wavenet.layers.2.condition.weight"]?.count == 2 * 16)
        #expect(a == b, "the resumed run differs from the straight one")
        let config = try RunDirectory(run).readConfig().model
        let h = try config.hyperparameters(as: WaveNetHyperparameters.self)
        #expect(h.conditioningSpeakers == 2 && h.conditioningClasses == 2 && config.data.speakerNames == ["alice", "bob"])

        let voice = dir.appendingPathComponent("voice"), turns = dir.appendingPathComponent("turns")
        try deepgen(["sample", run.path, "--count", "2", "--class", "1", "--speaker", "bob", "--seconds", "0.05", "--out", voice.path])
        #expect(try FileManager.default.contentsOfDirectory(atPath: voice.path).sorted()
                == ["sample-000-1-bob.wav", "sample-001-1-bob.wav", "spectrograms.png"])
        try deepgen(["sample", run.path, "--count", "3", "--seconds", "0.05", "--out", turns.path])
        #expect(try FileManager.default.contentsOfDirectory(atPath: turns.path).sorted()
                == ["sample-000-0-alice.wav", "sample-001-1-bob.wav", "sample-002-0-alice.wav", "spectrograms.png"])
        // The same weights speak differently for another speaker.
        let alice = dir.appendingPathComponent("alice.wav"), bob = dir.appendingPathComponent("bob.wav")
        try deepgen(["sample", run.path, "--class", "0", "--speaker", "alice", "--seconds", "0.05", "--out", alice.path])
        try deepgen(["sample", run.path, "--class", "0", "--speaker", "bob", "--seconds", "0.05", "--out", bob.path])
        #expect(try AudioFile.read(alice) != AudioFile.read(bob))

        try deepgen(["eval", straight.path, "--count", "2"])
        let report = try JSONDecoder().decode(AudioEvaluationReport.self, from: Data(contentsOf: straight.appendingPathComponent("eval.json")))
        let nll = try metricsColumn(straight, "test_nll_bits")
        #expect(report.generated?.clips == 4, "the bundled FSDD classifier judges 2 clips of each digit")
        #expect(Swift.abs(report.test.bitsPerSample - nll.last!) < 1e-3 && report.test.clips == 20 && report.training?.clips == 8)

        expectDeepGenError(["sample", run.path, "--speaker", "carol", "--out", dir.appendingPathComponent("x.wav").path],
                           mentioning: ["--speaker", "alice, bob", "carol"])
        let clips = try Self.writeClips(in: dir), plain = dir.appendingPathComponent("plain")
        expectDeepGenError(["train", "wavenet", "--data", "audio:" + clips.path, "--speakers", "--total-steps", "1", "--out", plain.path] + Self.tiny,
                           mentioning: ["--speakers", "fsdd"])
        try deepgen(["train", "wavenet", "--data", "fsdd:" + recordings.path, "--total-steps", "1", "--out", plain.path] + Self.tiny)
        expectDeepGenError(["sample", plain.path, "--speaker", "bob", "--out", dir.appendingPathComponent("x.wav").path],
                           mentioning: ["--speaker", "--speakers"])
    }

    @Test func badFlagsAndDataAreRefused() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clips = try Self.writeClips(in: dir)
        let run = dir.appendingPathComponent("run")
        try deepgen(["train", "wavenet", "--data", "audio:" + clips.path, "--label-pattern", "^([a-z]+)_", "--total-steps", "2", "--out", run.path] + Self.tiny)
        expectDeepGenError(["sample", run.path, "--seconds", "0", "--out", dir.appendingPathComponent("x.wav").path], mentioning: ["--seconds"])
        expectDeepGenError(["sample", run.path, "--class", "2", "--out", dir.appendingPathComponent("x.wav").path], mentioning: ["--class", "0, 1"])
        expectDeepGenError(["sample", run.path, "--out", dir.appendingPathComponent("x.png").path], mentioning: [".wav"])
        expectDeepGenError(["sample", run.path], mentioning: ["--out"])
        expectDeepGenError(["sample", run.path, "--prompt", "hi", "--out", dir.appendingPathComponent("x.wav").path], mentioning: ["--prompt"])
        expectDeepGenError(["eval", run.path, "--metrics", "fid"], mentioning: ["likelihood"])
        expectDeepGenError(["train", "wavenet", "--data", "tones", "--window", "1"] + Self.tiny.filter { $0 != "--window" && $0 != "200" },
                    mentioning: ["--window"])
        expectDeepGenError(["train", "wavenet", "--data", "shapes"], mentioning: ["wavenet trains on audio", "gives images"])
        expectDeepGenError(["train", "dcgan", "--data", "tones"], mentioning: ["dcgan trains on images", "gives audio"])
        expectDeepGenError(["train", "wavenet", "--data", "fsdd:" + dir.appendingPathComponent("missing").path, "--out", dir.appendingPathComponent("r").path],
                    mentioning: ["missing"])
        // An unconditional model refuses --class.
        let plain = dir.appendingPathComponent("plain")
        try deepgen(["train", "wavenet", "--data", "audio:" + clips.path, "--unconditional", "--total-steps", "1", "--out", plain.path] + Self.tiny)
        expectDeepGenError(["sample", plain.path, "--class", "0", "--out", dir.appendingPathComponent("y.wav").path], mentioning: ["--class", "without"])
    }
}
