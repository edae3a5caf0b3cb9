import Foundation
import Testing

/// Runs the built `deepgen` executable end to end on tiny procedural data.
struct CLI {
    static let binary: URL = {
        // The test executable sits in the same products folder as `deepgen`.
        let testExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = testExecutable.deletingLastPathComponent()
        // On macOS the test binary is inside DeepGenPackageTests.xctest/Contents/MacOS.
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("deepgen").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("deepgen")
    }()

    struct Result {
        var status: Int32
        var output: String
        /// The signal that ended the process (a trap, or the timeout's SIGKILL), if one did.
        var signal: Int32?
    }

    /// Exit status and combined output; a process still running after `timeout` seconds is killed.
    static func run(_ arguments: [String], timeout: Double = 600, executable: URL = binary) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let pid = p.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        watchdog.cancel()
        let signal = p.terminationReason == .uncaughtSignal ? p.terminationStatus : nil
        return Result(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self), signal: signal)
    }
}

func scratch() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-cli-\(UUID().uuidString)")
}

func fileExists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

/// The model's own hyperparameters in a run folder's `config.json`.
func hyperparameters(ofConfigIn run: URL) throws -> [String: Any]? {
    let config = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json"))) as? [String: Any]
    return (config?["model"] as? [String: Any])?["hyperparameters"] as? [String: Any]
}

@Suite(.serialized) struct CommandLineTests {
    let tiny = ["--synthetic-count", "48", "--batch-size", "16", "--width", "4", "--latent-size", "8"]

    @Test func listShowsModelsAndDatasets() throws {
        let r = try CLI.run(["list"])
        #expect(r.status == 0)
        for name in ["gan", "dcgan", "wgan-gp", "cdcgan", "vae", "conv-vae", "cyclegan", "shapes", "fashion-mnist", "ring8", "grid25"] {
            #expect(r.output.contains(name), "list lacks \(name)")
        }
    }

    @Test func conditionalDCGANTrainsOnTheDatasetsClassesAndSamplesOnlyThose() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        let r = try CLI.run(["train", "cdcgan", "--data", "shapes:circle,cross", "--epochs", "1", "--out", run.path] + tiny)
        #expect(r.status == 0, "\(r.output)")
        let model = try hyperparameters(ofConfigIn: run)
        // Shapes has 4 classes; the run keeps their numbers (circle 1, cross 3) and trains on those two.
        #expect(model?["classCount"] as? Int == 4)
        #expect(model?["classes"] as? [Int] == [1, 3])

        let png = dir.appendingPathComponent("cross.png")
        let ok = try CLI.run(["sample", run.path, "--count", "4", "--class", "3", "--out", png.path])
        #expect(ok.status == 0 && fileExists(png), "\(ok.output)")
        let untrained = try CLI.run(["sample", run.path, "--count", "4", "--class", "0", "--out", png.path])
        #expect(untrained.status != 0 && untrained.output.contains("--class must be one of the trained classes 1, 3"), "\(untrained.output)")

        let unlabelled = try CLI.run(["train", "cdcgan", "--data", "ring8", "--out", dir.appendingPathComponent("r").path] + tiny)
        #expect(unlabelled.status != 0 && unlabelled.output.contains("cdcgan trains on images; ring8 gives 2-D points"), "\(unlabelled.output)")
    }

    @Test func ganOnPointsTrainsInUnitsOfTheDatasRootMeanSquare() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        let r = try CLI.run(["train", "gan", "--data", "grid25", "--synthetic-count", "2000", "--batch-size", "100",
                             "--epochs", "1", "--decay-epochs", "0", "--out", run.path])
        #expect(r.status == 0, "\(r.output)")
        let scale = try hyperparameters(ofConfigIn: run)?["dataScale"] as? Double
        // Means {−4,−2,0,2,4}² give a root-mean-square coordinate of √8 (plus σ² = 0.0025).
        #expect(scale.map { abs($0 - (8.0025).squareRoot()) < 0.1 } == true, "dataScale \(String(describing: scale))")
    }

    @Test func trainSampleAndResumeDCGAN() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        let r = try CLI.run(["train", "dcgan", "--data", "shapes", "--epochs", "1", "--out", run.path] + tiny)
        #expect(r.status == 0, "\(r.output)")
        for f in ["config.json", "metrics.csv", "checkpoints/latest.safetensors", "checkpoints/epoch-001.safetensors", "samples/epoch-001.png"] {
            #expect(fileExists(run.appendingPathComponent(f)), "missing \(f)")
        }
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 4, "header + 3 steps")
        // Plain progress lines when the output is a pipe.
        #expect(r.output.contains("epoch 1/1 step 3/3") && !r.output.contains("\u{1B}["))

        let png = dir.appendingPathComponent("s.png"), npy = dir.appendingPathComponent("s.npy")
        #expect(try CLI.run(["sample", run.path, "--count", "9", "--out", png.path]).status == 0)
        #expect(try CLI.run(["sample", run.appendingPathComponent("checkpoints/latest.safetensors").path, "--count", "5", "--out", npy.path]).status == 0)
        let pngBytes = try Data(contentsOf: png)
        #expect(pngBytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let npyBytes = try Data(contentsOf: npy)
        #expect(String(decoding: npyBytes.prefix(128), as: UTF8.self).contains("'shape': (5, 1, 28, 28)"))

        // A second `train` into the same folder is refused; --resume with more epochs continues.
        let again = try CLI.run(["train", "dcgan", "--data", "shapes", "--out", run.path] + tiny)
        #expect(again.status != 0 && again.output.contains("already holds a run"), "\(again.output)")
        let refused = try CLI.run(["train", "--resume", run.path, "--lr", "0.1"])
        // Resuming takes the run's settings: a model's options are not options of `train --resume`.
        #expect(refused.status != 0 && refused.output.contains("--lr is not an option of --resume: a run keeps its settings"), "\(refused.output)")
        let resumed = try CLI.run(["train", "--resume", run.path, "--epochs", "2"])
        #expect(resumed.status == 0 && resumed.output.contains("resuming"), "\(resumed.output)")
        #expect(fileExists(run.appendingPathComponent("samples/epoch-002.png")))
    }

    @Test func cycleGANTranslates() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("cycle")
        let r = try CLI.run(["train", "cyclegan", "--data", "shapes:square,circle", "--epochs", "1", "--max-steps", "2",
                             "--residual-blocks", "1", "--out", run.path, "--synthetic-count", "40", "--batch-size", "2", "--width", "4"])
        #expect(r.status == 0 && r.output.contains("stopped at epoch 1, step 2"), "\(r.output)")
        let images = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        // Files that are not images are skipped.
        try "not an image".write(to: images.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        // Use a sample grid written by another command as an input image.
        let grid = dir.appendingPathComponent("in/square.png")
        let s = try CLI.run(["train", "dcgan", "--data", "shapes", "--epochs", "1", "--out", dir.appendingPathComponent("d").path] + tiny)
        #expect(s.status == 0)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("d/samples/epoch-001.png"), to: grid)
        let out = dir.appendingPathComponent("out")
        let t = try CLI.run(["translate", run.path, "--direction", "AtoB", "--input", images.path, "--out", out.path])
        #expect(t.status == 0, "\(t.output)")
        #expect(fileExists(out.appendingPathComponent("square.png")))
        let wrong = try CLI.run(["translate", dir.appendingPathComponent("d").path, "--direction", "AtoB", "--input", grid.path, "--out", out.path])
        #expect(wrong.status != 0 && wrong.output.contains("translate needs one between two domains (cyclegan)"), "\(wrong.output)")
    }

    @Test func vaeReconstructsAndInterpolates() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("vae")
        let r = try CLI.run(["train", "vae", "--data", "shapes", "--epochs", "1", "--out", run.path, "--synthetic-count", "32", "--batch-size", "16"])
        #expect(r.status == 0, "\(r.output)")
        #expect(try CLI.run(["reconstruct", run.path, "--count", "4", "--out", dir.appendingPathComponent("r.png").path]).status == 0)
        #expect(try CLI.run(["interpolate", run.path, "--steps", "5", "--pairs", "2", "--out", dir.appendingPathComponent("i.npy").path]).status == 0)
        let npy = try Data(contentsOf: dir.appendingPathComponent("i.npy"))
        #expect(String(decoding: npy.prefix(128), as: UTF8.self).contains("'shape': (10, 1, 28, 28)"))
    }

    @Test func badInputGivesClearMessages() throws {
        let cases: [([String], String)] = [
            (["train", "dcgan"], "Missing expected argument '--data <data>'"),
            (["train"], "name a model to train"),
            (["train", "nosuch", "--data", "shapes"], "unknown model 'nosuch'; the models are gan, dcgan"),
            (["train", "dcgan", "--data", "nosuch"], "unknown dataset 'nosuch'"),
            (["train", "dcgan", "--data", "shapes", "--epochs", "0"], "--epochs must be at least 1"),
            (["train", "dcgan", "--data", "ring8"], "dcgan trains on images; ring8 gives 2-D points"),
            (["train", "cdcgan", "--data", "folder:/nonexistent"], "/nonexistent"),
            (["train", "gan", "--data", "shapes", "--width", "8"], "Unknown option '--width'"),
            (["train", "wgan-gp", "--data", "ring8", "--width", "8"], "--width sets convolution channels; wgan-gp on 2-D points is an MLP"),
            (["train", "--data", "shapes", "dcgan"], "name the model first: deepgen train MODEL --data shapes dcgan"),
            (["train", "dcgan", "--data", "shapes", "--batch-size", "1"], "--batch-size 1 is too small for the generator's BatchNorm1d layers, which normalize over the batch and need at least 2 samples"),
            (["train", "cyclegan", "--data", "shapes:square,circle", "--patch-layers", "4"], "--patch-layers 4 halves 28×28 images below"),
            (["train", "dcgan", "--data", "shapes", "--optimizer", "sgd", "--beta1", "0.5"], "--beta1 is not a hyperparameter of sgd"),
            (["train", "vae", "--data", "shapes", "--optimizer", "rmsprop", "--alpha", "2"], "--alpha must be in [0, 1)"),
            (["train", "vae", "--data", "shapes", "--kl-weight", "nan"], "the KL weight β must be zero or positive"),
            (["train", "gan", "--data", "fashion-mnist", "--data-dir", "/nonexistent"], "/nonexistent"),
            (["train", "--resume", "/nonexistent-run"], "no config.json"),
            (["sample", "/nonexistent", "--out", "x.png"], "does not exist"),
            (["sample", "/tmp", "--out", "x.gif"], "--out must end in .png or .npy"),
            (["train", "cyclegan", "--data", "shapes"], "two domains need two classes, e.g. shapes:A,B"),
            (["train", "cyclegan", "--data", "ring8"], "cyclegan trains on images; ring8 gives 2-D points"),
            (["train", "wgan-gp", "--data", "ring8", "--r1", "1"], "Unknown option '--r1'"),
            (["train", "gan", "--data", "ring8", "--r1=-1"], "R1 weight γ must be zero or positive"),
        ]
        for (args, message) in cases {
            let r = try CLI.run(args)
            #expect(r.status != 0, "\(args) succeeded")
            #expect(r.output.contains(message), "\(args): \(r.output)")
            #expect(!r.output.contains("Fatal error") && !r.output.contains("Stack dump"), "\(args) crashed")
        }
    }

    /// Each model's `--help` lists its own options, not its family's others.
    @Test(arguments: [
        ("gan", ["--latent-size", "--hidden-size", "--r1", "--objective"], ["--width", "--gradient-penalty"]),
        ("dcgan", ["--latent-size", "--width", "--r1", "--critic-steps"], ["--hidden-size", "--gradient-penalty"]),
        ("wgan-gp", ["--width", "--hidden-size", "--gradient-penalty"], ["--r1"]),
        ("vae", ["--hidden-size", "--kl-weight", "--binarize"], ["--width"]),
        ("conv-vae", ["--width", "--likelihood"], ["--hidden-size"]),
        ("cyclegan", ["--residual-blocks", "--patch-layers", "--identity-fraction", "--pool-size"], ["--latent-size"]),
        ("classifier", ["--feature-size", "--width"], ["--latent-size"]),
    ] as [(String, [String], [String])])
    func eachModelsHelpListsItsOptions(_ model: String, _ present: [String], _ absent: [String]) throws {
        let r = try CLI.run(["train", model, "--help"])
        #expect(r.status == 0)
        for option in present + ["--data", "--epochs", "--optimizer", "--lr", "--out"] { #expect(r.output.contains(option), "\(model) --help lacks \(option)") }
        for option in absent { #expect(!r.output.contains(option + " "), "\(model) --help lists \(option)") }
    }

    @Test func ctrlCFinishesTheStepAndWritesACheckpoint() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["train", "gan", "--data", "ring8", "--synthetic-count", "200000", "--epochs", "50", "--out", dir.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        // Wait until training has started (the run folder's config exists), then interrupt.
        let deadline = Date().addingTimeInterval(60)
        while !fileExists(dir.appendingPathComponent("config.json")) && Date() < deadline { usleep(20_000) }
        usleep(300_000)
        p.interrupt()
        // A run that ignores Ctrl-C must fail the test, not hang it.
        let stopDeadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < stopDeadline { usleep(50_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130, "\(output)")
        #expect(output.contains("stopped at epoch 1"), "\(output)")
        #expect(fileExists(dir.appendingPathComponent("checkpoints/latest.safetensors")))
        let resumed = try CLI.run(["train", "--resume", dir.path, "--max-steps", "1"])
        #expect(resumed.status == 0 && resumed.output.contains("resuming"), "\(resumed.output)")
    }

    @Test func corruptCheckpointIsReported() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let bad = dir.appendingPathComponent("bad.safetensors")
        try Data([1, 2, 3, 4, 5, 6, 7, 8, 9]).write(to: bad)
        let r = try CLI.run(["sample", bad.path, "--out", dir.appendingPathComponent("x.png").path])
        #expect(r.status != 0 && r.output.contains("bad.safetensors"), "\(r.output)")
    }
}
