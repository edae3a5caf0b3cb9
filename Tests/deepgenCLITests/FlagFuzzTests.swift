import DeepGen
import Foundation
import Testing

/// Every subcommand, fed random and invalid flag combinations, ends in a result or a message and
/// an exit status: never a trap or a signal.
@Suite(.serialized) struct FlagFuzzTests {
    static let models = ["gan", "dcgan", "wgan-gp", "cdcgan", "vae", "conv-vae", "cyclegan", "classifier"]
    static let trainFlags = [
        "--data", "--data-dir", "--image-size", "--synthetic-count", "--epochs", "--decay-epochs", "--batch-size", "--seed",
        "--optimizer", "--lr", "--beta1", "--beta2", "--eps", "--weight-decay", "--momentum", "--nesterov", "--alpha",
        "--latent-size", "--width", "--hidden-size", "--objective", "--critic-steps", "--gradient-penalty", "--r1",
        "--likelihood", "--kl-weight", "--binarize", "--residual-blocks", "--patch-layers", "--cycle-weight",
        "--identity-fraction", "--pool-size", "--feature-size", "--threads", "--eval-every", "--eval-count", "--extractor", "--nope",
    ]

    @Test func randomFlagsEndInAMessageNeverACrash() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A trained VAE for the commands that read a run.
        let run = dir.appendingPathComponent("vae")
        let made = try CLI.run(["train", "vae", "--data", "shapes", "--synthetic-count", "32", "--batch-size", "16", "--epochs", "1",
                                "--hidden-size", "8", "--out", run.path])
        try #require(made.status == 0, "\(made.output)")
        let values = ["0", "-1", "1", "2", "3", "8", "64", "1000000000", "-7", "nan", "inf", "0.001", "0.5", "abc", "",
                      "shapes", "ring8", "grid25", "shapes:circle,cross", "shapes:square,nosuch", "fashion-mnist:sneaker", "folder:/nonexistent",
                      "/nonexistent", run.path, dir.appendingPathComponent("o.png").path, dir.appendingPathComponent("o.npy").path,
                      "o.gif", "adam", "sgd", "rmsprop", "lsgan", "gaussian", "AtoB", "BtoA", "fid,kid", "nll", "modes", "nosuch"]
        let commands: [(prefix: () -> [String], flags: [String], fast: [String])] = [
            ({ ["train", Self.models.randomElement()!] }, Self.trainFlags, ["--max-steps", "1", "--synthetic-count", "32", "--batch-size", "8"]),
            // Each resume works on a fresh copy, so every combination starts from the same run.
            ({
                let copy = dir.appendingPathComponent("resume-\(UUID().uuidString)")
                try? FileManager.default.copyItem(at: run, to: copy)
                return ["train", "--resume", copy.path]
            }, ["--epochs", "--threads", "--max-steps", "--lr", "--seed"], ["--max-steps", "1"]),
            ({ ["sample", run.path] }, ["--count", "--out", "--class", "--seed", "--nope"], []),
            ({ ["eval", run.path] }, ["--metrics", "--count", "--seed", "--repeats", "--iwae-samples", "--kid-subsets", "--kid-subset-size",
                                      "--neighbours", "--no-reference", "--extractor", "--data-dir", "--out"],
             ["--count", "8", "--iwae-samples", "2", "--kid-subsets", "2", "--kid-subset-size", "4", "--repeats", "1"]),
            ({ ["translate", run.path] }, ["--direction", "--input", "--out"], []),
            ({ ["reconstruct", run.path] }, ["--count", "--data", "--data-dir", "--out"], []),
            ({ ["interpolate", run.path] }, ["--steps", "--pairs", "--data", "--data-dir", "--out"], []),
            ({ ["export", run.path] }, ["--out", "--force"], []),
            ({ ["bench", "train", ["mlp-gan", "mlp-vae", "nosuch"].randomElement()!] }, ["--threads", "--batch-size", "--warmup-steps", "--seconds", "--json"],
             ["--seconds", "0.001", "--warmup-steps", "0"]),
            ({ ["list"] }, ["--nope"], []),
        ]
        var rng = RandomGenerator(seed: 0xF1A6)  // seeded: a failing combination can be reproduced
        let deadline = Date().addingTimeInterval(60)
        var tried = 0, failures: [String] = []
        while Date() < deadline && tried < 400 {
            let command = commands[Int(rng.next() % UInt64(commands.count))]
            var args = command.prefix() + command.fast
            if args.first == "train" && args.count > 1 && args[1] != "--resume" {
                args += ["--data", ["shapes", "ring8", "shapes:circle,cross"][Int(rng.next() % 3)], "--out", dir.appendingPathComponent("r\(tried)").path]
            }
            for _ in 0..<Int(rng.next() % 4) {
                args.append(command.flags[Int(rng.next() % UInt64(command.flags.count))])
                if rng.next() % 5 != 0 { args.append(values[Int(rng.next() % UInt64(values.count))]) }
            }
            tried += 1
            let r = try CLI.run(args, timeout: 60)
            if r.signal != nil || (r.status != 0 && !r.output.contains("rror")) || r.output.contains("Fatal error") {
                failures.append("\(args.joined(separator: " ")) → status \(r.status), signal \(String(describing: r.signal)): \(r.output.suffix(300))")
            }
        }
        print("FlagFuzzTests: \(tried) combinations, \(failures.count) failures")
        #expect(tried >= 100, "only \(tried) combinations in the time")
        #expect(failures.isEmpty, "\(failures.count) of \(tried) crashed or gave no message:\n\(failures.prefix(5).joined(separator: "\n"))")
    }
}
