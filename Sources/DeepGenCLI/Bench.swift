import ArgumentParser
import DeepGenKernels
import DeepGenTraining
import Foundation

extension TrainingWorkload: ExpressibleByArgument {}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (build with -c release; run on a quiet machine).",
        subcommands: [BenchTrain.self, BenchGenerate.self])
}

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Steady-state training images/s of a model on synthetic batches, and peak memory.",
        discussion: """
        Models: \(TrainingWorkload.allCases.map(\.rawValue).joined(separator: ", ")) (the architectures, losses and \
        optimizers of `deepgen train`). Scripts/bench/pytorch_train.py measures PyTorch the same way and \
        Scripts/bench/ab.py alternates the two; see BENCHMARKS.md.
        """)

    @Argument(help: "The workload: \(TrainingWorkload.allCases.map(\.rawValue).joined(separator: ", ")).") var model: TrainingWorkload
    @Option(help: "Kernel threads.") var threads: Int = 1
    @Option(help: "The batch (shared by the processes of an MPI job); the model's own by default.") var batchSize: Int?
    @Option(help: "Training steps before timing starts.") var warmupSteps: Int = 5
    @Option(help: "Seconds of timed training (whole steps; at least one).") var seconds: Double = 10
    @Flag(help: "Print one JSON line (for Scripts/bench/ab.py).") var json = false
    @Flag(help: "Measure data-parallel training over the processes of an MPI job (implied under mpirun): the batch is shared, images/s and peak RSS are the job's.")
    var distributed = false
    @Flag(help: "Print where the timed steps' wall time went, op by op (forward ops, their backward passes, gradient sums, the optimizer); with --json the rows are in the JSON line.")
    var profile = false

    func validate() throws {
        if !(1...1024).contains(threads) { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
        if let batchSize, !(1...65536).contains(batchSize) { throw ValidationError("--batch-size must be between 1 and 65,536, got \(batchSize)") }
        if !(0...100_000).contains(warmupSteps) { throw ValidationError("--warmup-steps must be between 0 and 100,000, got \(warmupSteps)") }
        if !(seconds > 0 && seconds <= 3600) { throw ValidationError("--seconds must be positive and at most 3600, got \(seconds)") }
    }

    func run() throws {
        Parallel.threadCount = threads
        let group = try dataParallelGroup(requested: distributed)
        var result: TrainingBenchmarkResult
        do { result = try model.measure(warmupSteps: warmupSteps, seconds: seconds, batchSize: batchSize, group: group, profile: profile) } catch { throw RuntimeError("\(error)") }
        // The job's memory is every process's: their peak RSS summed.
        var peak = [peakResidentMegabytes()]
        if let group { try group.sum(&peak) }
        result.peakRSSMegabytes = peak[0]
        if group?.rank ?? 0 == 0 {
            try report(result, json: json, peakMB: peak[0])
            if let rows = result.profile { print(profileTable(rows, steps: result.steps)) }
        }
        try? group?.finalize()
    }
}

/// This process's peak resident memory in MB.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024  // KiB on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / (1024 * 1024)  // bytes on macOS
    #endif
}

/// Prints a benchmark's result with the process's peak memory, and with `json` one JSON line.
func report(_ result: TrainingBenchmarkResult, json: Bool, unit: String = "images/s", peakMB: Double = peakResidentMegabytes()) throws {
    var processes = result.processes > 1 ? String(format: " × %d processes", result.processes) : ""
    if let averaging = result.averagingSecondsPerStep, result.steps > 0 {
        processes += String(format: "; averaging gradients %.2f ms of each %.1f ms step", averaging * 1000, result.seconds / Double(result.steps) * 1000)
    }
    print("\(result.model): " + String(format: "%.1f %@ (batch %d, %d threads%@, %d steps in %.1f s), peak RSS %.0f MB",
                                       result.imagesPerSecond, unit, result.batch, result.threads, processes, result.steps, result.seconds, peakMB))
    if let steal = result.stealShare, steal > 0.05 {
        print(String(format: "warning: the hypervisor gave %.0f%% of these CPUs' time to other guests during the timed steps (steal time): the figure is disturbed", 100 * steal))
    }
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    }
}

struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Steady-state generation samples/s of WaveNet's cached generator, and peak memory.",
        discussion: """
        The default wavenet (3 stacks of dilations 1…512, 32/32/256 channels) with its initial weights; --batch \
        sequences stepped together. Scripts/bench/pytorch_generate.py measures a PyTorch generator with the same \
        queues, and Scripts/bench/ab.py alternates the two (workloads wavenet-generate-1, wavenet-generate-16).
        """)

    @Argument(help: "The model: wavenet.") var model: String = "wavenet"
    @Option(help: "Sequences generated together.") var batch: Int = 1
    @Option(help: "Kernel threads.") var threads: Int = 1
    @Option(help: "Steps before timing starts.") var warmupSteps: Int = 200
    @Option(help: "Seconds of timed generation (whole steps; at least one).") var seconds: Double = 10
    @Flag(help: "Print one JSON line (for Scripts/bench/ab.py).") var json = false

    func validate() throws {
        if model != "wavenet" { throw ValidationError("generation is benchmarked for wavenet, got \(model)") }
        if !(1...4096).contains(batch) { throw ValidationError("--batch must be between 1 and 4096, got \(batch)") }
        if !(1...1024).contains(threads) { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
        if !(0...10_000_000).contains(warmupSteps) { throw ValidationError("--warmup-steps must be between 0 and 10,000,000, got \(warmupSteps)") }
        if !(seconds > 0 && seconds <= 3600) { throw ValidationError("--seconds must be positive and at most 3600, got \(seconds)") }
    }

    func run() throws {
        Parallel.threadCount = threads
        let result: TrainingBenchmarkResult
        do { result = try GenerationBenchmark.measure(batch: batch, warmupSteps: warmupSteps, seconds: seconds) } catch { throw RuntimeError("\(error)") }
        try report(result, json: json, unit: String(format: "samples/s, %.2f× real time at 8 kHz;", result.imagesPerSecond / 8000))
    }
}
