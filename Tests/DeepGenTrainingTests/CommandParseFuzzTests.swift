import ArgumentParser
import Foundation
import Testing
import DeepGen
import DeepGenCLI

/// A few hundred random and invalid flag combinations per subcommand through the command parser
/// and every `validate()`, in-process: each parses or throws an error with a message, never traps.
/// (`FlagFuzzTests` in deepgenCLITests runs fewer combinations all the way, as processes.)
@Suite struct CommandParseFuzzTests {
    static let values = ["0", "-1", "1", "2", "3", "7", "64", "65537", "1000000000", "9223372036854775807", "-9223372036854775808",
                         "99999999999999999999", "nan", "inf", "-inf", "1e-3", "0.5", "1e39", "abc", "", " ", "shapes", "ring8",
                         "shapes:circle,cross", "fashion-mnist:nosuch", "folder:", "/nonexistent", "o.png", "o.npy", "o.gif",
                         "adam", "sgd", "lsgan", "bernoulli", "AtoB", "fid,kid,nope", "--", "-", "--help-not"]
    // Each prefix holds the required arguments, so combinations also reach the commands' own checks.
    static let subcommands: [(prefix: [String], flags: [String])] = [
        (["train", "gan", "--data", "ring8"], trainFlags), (["train", "dcgan", "--data", "shapes"], trainFlags),
        (["train", "wgan-gp", "--data", "shapes"], trainFlags), (["train", "cdcgan", "--data", "shapes"], trainFlags),
        (["train", "vae", "--data", "shapes"], trainFlags), (["train", "conv-vae", "--data", "shapes"], trainFlags),
        (["train", "cyclegan", "--data", "shapes:square,circle"], trainFlags), (["train", "classifier", "--data", "shapes"], trainFlags),
        (["train", "--resume", "RUN"], ["--resume", "--epochs", "--threads", "--max-steps", "--lr"]),
        (["sample", "RUN", "--out", "o.png"], ["--count", "--out", "--class", "--seed"]),
        (["eval", "RUN"], ["--metrics", "--count", "--seed", "--repeats", "--iwae-samples", "--kid-subsets", "--kid-subset-size",
                           "--neighbours", "--no-reference", "--extractor", "--data-dir", "--out"]),
        (["translate", "RUN", "--direction", "AtoB", "--input", "in", "--out", "out"], ["--direction", "--input", "--out"]),
        (["reconstruct", "RUN", "--out", "o.png"], ["--count", "--data", "--data-dir", "--out"]),
        (["interpolate", "RUN", "--out", "o.npy"], ["--steps", "--pairs", "--data", "--data-dir", "--out"]),
        (["export", "RUN", "--out", "o.safetensors"], ["--out", "--force"]),
        (["bench", "train", "mlp-vae"], ["--threads", "--batch-size", "--warmup-steps", "--seconds", "--json"]),
        (["list"], ["--nope"]),
    ]
    static let trainFlags = [
        "--data", "--data-dir", "--image-size", "--synthetic-count", "--epochs", "--decay-epochs", "--batch-size", "--seed",
        "--optimizer", "--lr", "--beta1", "--beta2", "--eps", "--weight-decay", "--momentum", "--nesterov", "--alpha",
        "--latent-size", "--width", "--hidden-size", "--objective", "--critic-steps", "--gradient-penalty", "--r1",
        "--likelihood", "--kl-weight", "--binarize", "--residual-blocks", "--patch-layers", "--cycle-weight",
        "--identity-fraction", "--pool-size", "--feature-size", "--out", "--threads", "--max-steps", "--eval-every",
        "--eval-count", "--extractor", "--nope",
    ]

    @Test(arguments: 0..<subcommands.count)
    func randomFlagsParseOrSayWhy(_ index: Int) {
        let (prefix, flags) = Self.subcommands[index]
        var rng = RandomGenerator(seed: 0xC0DE &+ UInt64(index))
        var parsed = 0, refused = 0
        for _ in 0..<150 {
            var args = prefix
            for _ in 0..<Int(rng.next() % 6) {
                args.append(flags[Int(rng.next() % UInt64(flags.count))])
                if rng.next() % 6 != 0 { args.append(Self.values[Int(rng.next() % UInt64(Self.values.count))]) }
            }
            do {
                _ = try DeepGenCommand.parseAsRoot(args)
                parsed += 1
            } catch {
                let message = DeepGenCommand.message(for: error)
                #expect(!message.isEmpty || DeepGenCommand.exitCode(for: error) == .success, "\(args): no message")
                refused += 1
            }
        }
        // Both outcomes occur: the combinations reach past the parser into the commands' validation.
        #expect(parsed > 0 && refused > 0, "\(prefix): \(parsed) parsed, \(refused) refused")
    }
}
