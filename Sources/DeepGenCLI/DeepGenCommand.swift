import ArgumentParser

/// The `deepgen` command (`Sources/deepgen/main.swift` runs it).
public struct DeepGenCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "deepgen",
        abstract: "Train, sample and evaluate deep generative models (GANs, VAEs, CycleGAN) on the CPU.",
        subcommands: [Train.self, Sample.self, Eval.self, Translate.self, Reconstruct.self, Interpolate.self, Export.self, Bench.self, List.self])
}

/// A failure while running a command (bad data, an unreadable checkpoint): printed as
/// `Error: …` without the usage text, which is for mistakes in the flags themselves.
struct RuntimeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
