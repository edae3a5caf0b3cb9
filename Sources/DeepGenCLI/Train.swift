import ArgumentParser
import DeepGen
import DeepGenKernels
import DeepGenModels
import DeepGenTraining
import Foundation

struct Train: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            abstract: "Train a model, writing checkpoints, sample grids and metrics into a run folder.",
            discussion: """
            Each model is a subcommand with its own options (`deepgen train MODEL --help`). \
            `deepgen train --resume RUN` continues a run exactly where it stopped; only --epochs, \
            --threads and --max-steps go with it, since everything else is the run's.

            Examples:
              deepgen train dcgan --data shapes --epochs 1 --out runs/shapes-dcgan
              deepgen train vae --data fashion-mnist --epochs 10
              deepgen train cyclegan --data fashion-mnist:sneaker,ankle-boot --epochs 5
              deepgen train --resume runs/shapes-dcgan
            """,
            // Options of `train` itself would take the same-named options of every model's
            // subcommand, so resuming is a subcommand too: the one run without a model name.
            subcommands: [Resume.self] + trainCommands(),
            defaultSubcommand: Resume.self)
    }
}

/// `deepgen train --resume RUN`: continues a run from its latest checkpoint.
struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a run from its latest checkpoint (the default when no model is named: deepgen train --resume RUN).")

    @Option(help: "The run folder to continue.") var resume: String?
    @Option(help: "The run's epochs at a constant rate, when extending (or shortening) it.") var epochs: Int?
    @Option(help: "Kernel threads (default: the run's; bit-identical resumption needs the same count).") var threads: Int?
    @Option(help: "Stop after this many steps with a checkpoint.") var maxSteps: Int?
    @Flag(help: "Continue data-parallel over the processes of an MPI job (implied under mpirun).") var distributed = false
    /// Whatever else was given: a model name that is not one, or a model's option.
    @Argument(parsing: .allUnrecognized, help: .hidden) var unrecognized: [String] = []

    func validate() throws {
        if let first = unrecognized.first {
            if !first.hasPrefix("-") {
                throw ValidationError("unknown model '\(first)'; the models are \(ModelFamilies.variants.map(\.name).joined(separator: ", "))")
            }
            guard resume != nil else {
                throw ValidationError("name the model first: deepgen train MODEL \(unrecognized.joined(separator: " ")) (the models are \(ModelFamilies.variants.map(\.name).joined(separator: ", ")))")
            }
            throw ValidationError("\(first) is not an option of --resume: a run keeps its settings (only --epochs, --threads and --max-steps go with --resume)")
        }
        guard resume != nil else {
            throw ValidationError("name a model to train (\(ModelFamilies.variants.map(\.name).joined(separator: ", "))), or --resume RUN_DIR")
        }
        for (name, value) in [("--threads", threads), ("--max-steps", maxSteps)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
        if let threads, threads > 1024 { throw ValidationError("--threads must be at most 1024, got \(threads)") }
    }

    func run() throws {
        guard let resume else { return }
        prepareProcess(threads: threads)
        let group = try dataParallelGroup(requested: distributed)
        try withDataParallelGroup(group) { scratch in
            let trainer: Trainer
            do {
                let open = { try Trainer(resuming: URL(fileURLWithPath: resume), epochs: epochs, group: group) }
                trainer = try group.map { try Trainer.joining($0, scratch: scratch, primary: open) } ?? open()
            } catch { throw setupFailure(error) }
            let count = threads ?? trainer.config.threads
            if trainer.isPrimary {
                for note in trainer.notes { print("note: \(note)") }
                // A checkpoint written at an epoch's last step continues with the next epoch's first.
                let state = trainer.loader.state, next = state.step >= trainer.loader.batchesPerEpoch ? (state.epoch + 1, 0) : (state.epoch, state.step)
                print("resuming \(resume) at epoch \(next.0 + 1), step \(next.1 + 1)\(group.map { " on \($0.size) processes" } ?? "")")
                if count != trainer.config.threads {
                    print("warning: the run was trained with \(trainer.config.threads) threads; with \(count) its results are not bit-identical to an uninterrupted run's")
                }
                let processes = trainer.checkpointProcesses
                if processes != (group?.size ?? 1) {
                    print("warning: the run was trained by \(processes) process\(processes == 1 ? "" : "es"); with \(group?.size ?? 1) its results are not bit-identical to an uninterrupted run's")
                }
            }
            try Parallel.withThreadCount(count) { try train(trainer, maxSteps: maxSteps) }
        }
    }
}

/// `deepgen train NAME` for one model name of a family: the shared option groups and the model's own.
struct TrainModel<Family: ModelFamily, Slot: VariantSlot, Options: FamilyOptions>: ParsableCommand
where Options.Hyperparameters == Family.Hyperparameters {
    static var variant: ModelVariant { Family.variants[Slot.index] }
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: variant.name, abstract: "Train \(variant.name): \(variant.summary).")
    }

    @OptionGroup(title: "Data") var data: DataArguments
    @OptionGroup(title: "Training") var training: TrainingArguments
    @OptionGroup(title: "Model") var model: Options
    @OptionGroup(title: "Run") var runOptions: RunArguments

    func run() throws {
        prepareProcess(threads: runOptions.threads)
        let group = try dataParallelGroup(requested: runOptions.distributed)
        try withDataParallelGroup(group) { scratch in
            let trainer: Trainer
            var folder = ""
            do {
                if let group {
                    trainer = try Trainer.joining(group, scratch: scratch) { try makeTrainer(group: group, folder: &folder) }
                } else {
                    trainer = try makeTrainer(group: nil, folder: &folder)
                }
            } catch {
                throw setupFailure(error)
            }
            if trainer.isPrimary {
                for note in trainer.notes { print("note: \(note)") }
                print("training \(Self.variant.name) on \(trainer.config.data.spec) into \(folder) (\(trainer.loader.batchesPerEpoch) steps per epoch, \(Parallel.threadCount) threads"
                      + (group.map { ", \($0.size) processes of \(trainer.config.model.training.batchSize / $0.size) samples each" } ?? "") + ")")
            }
            try train(trainer, maxSteps: runOptions.maxSteps)
        }
    }

    /// The new run's trainer (rank 0's, in a data-parallel run), and its folder.
    func makeTrainer(group: MPICommunicator?, folder: inout String) throws -> Trainer {
        let name = Self.variant.name
        do {
            var (config, data) = try RunConfig.newRun(
                Family.self, model: name, data: data.options, seed: training.seed, threads: Parallel.threadCount,
                evaluation: runOptions.evaluation
            ) { settings, hyperparameters in
                training.apply(to: &settings)
                try model.apply(to: &hyperparameters, variant: name)
            }
            let arguments = CommandLine.arguments
            if arguments.first.map({ URL(fileURLWithPath: $0).lastPathComponent == "deepgen" }) == true {
                config.command = ["deepgen"] + arguments.dropFirst()
            }
            folder = runOptions.out ?? "runs/\(name)-\(config.data.spec.replacingOccurrences(of: ":", with: "-").replacingOccurrences(of: "/", with: "_"))"
            return try Trainer(newRun: config, data: data, in: URL(fileURLWithPath: folder), group: group)
        }
    }
}

/// Output line-buffered, the thread count set, Ctrl-C caught.
func prepareProcess(threads: Int?) {
    // Line-buffered stdout so messages and the progress lines (written unbuffered) stay in order.
    setvbuf(stdout, nil, _IOLBF, 0)
    if let threads { Parallel.threadCount = threads }
    StopRequest.install()
}

/// What a failure before training becomes: a file that cannot be written exits with status 3
/// after its message (as during training), anything else is a plain error.
func setupFailure(_ error: any Error) -> any Error {
    if case TrainingError.cannotWrite = error {
        print("error: \(error)")
        return ExitCode(3)
    }
    return RuntimeError("\(error)")
}

/// Runs `trainer` to its end (or `maxSteps`), reporting progress. A divergence exits with
/// status 2, a file that cannot be written with status 3, each after its message; Ctrl-C, after
/// its checkpoint, with 130 (the shell's status for an interrupt), so `train … && eval` stops.
func train(_ trainer: Trainer, maxSteps: Int?) throws {
    trainer.stopAfterSteps = maxSteps
    let outcome: TrainingOutcome
    // In a data-parallel run rank 0 speaks for all; the others say only what it cannot know.
    let rank = trainer.group.map { "rank \($0.rank): " } ?? ""
    do { outcome = try trainer.run(progress: trainer.isPrimary ? ProgressReporter() : nil) } catch let error as TrainingError {
        // A divergence reaches every process alike: rank 0 reports it. Anything else may be this process's own.
        if trainer.isPrimary { print("error: \(error)") } else if case .diverged = error {} else { print("error: \(rank)\(error)") }
        if case .cannotWrite = error { throw ExitCode(3) }
        throw ExitCode(2)
    } catch {
        print("error: \(rank)\(error)")
        throw ExitCode(1)
    }
    if case .stopped = outcome, StopRequest.isRequested || trainer.group != nil && trainer.stopAfterSteps == nil { throw ExitCode(130) }
    if outcome == .finished, trainer.isPrimary {
        print("finished: \(trainer.run.latestCheckpointURL.path), samples in \(trainer.run.samplesURL.path)")
    }
}

// A family's model names become subcommands of `train`. swift-argument-parser needs a type per
// subcommand, so each name is `TrainModel<Family, Slot, Options>`, the slot a type-level index
// into the family's names and `Options` the name's own option group.

protocol VariantSlot { static var index: Int { get } }
enum Slot0: VariantSlot { static let index = 0 }
enum Slot1: VariantSlot { static let index = 1 }
enum Slot2: VariantSlot { static let index = 2 }
enum Slot3: VariantSlot { static let index = 3 }
enum Slot4: VariantSlot { static let index = 4 }
enum Slot5: VariantSlot { static let index = 5 }
enum Slot6: VariantSlot { static let index = 6 }
enum Slot7: VariantSlot { static let index = 7 }
let variantSlots: [any VariantSlot.Type] = [Slot0.self, Slot1.self, Slot2.self, Slot3.self, Slot4.self, Slot5.self, Slot6.self, Slot7.self]

/// One `train` subcommand per model name of every registered family (``ModelFamilies/maxVariants`` at most each).
func trainCommands() -> [any ParsableCommand.Type] {
    func command<F: ModelFamily, S: VariantSlot>(_ family: F.Type, _ slot: S.Type) -> any ParsableCommand.Type {
        func withOptions<O: FamilyOptions>(_ options: O.Type) -> any ParsableCommand.Type where O.Hyperparameters == F.Hyperparameters {
            TrainModel<F, S, O>.self
        }
        return withOptions(F.options(for: F.variants[S.index].name))
    }
    return ModelFamilies.all.flatMap { family in variantSlots.prefix(family.variants.count).map { command(family, $0) } }
}
