import DeepGen
import Foundation
import Testing

/// Whether this process may make network namespaces (root with CAP_NET_ADMIN), which the
/// two-machine test needs.
let networkNamespacesWork: Bool = {
    guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip") else { return false }
    let name = "dgprobe\(getpid())"
    func ip(_ arguments: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip")
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
    guard ip(["netns", "add", name]) else { return false }
    return ip(["netns", "del", name])
}()

let mpirunExecutable: URL? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun", "/opt/homebrew/bin/mpirun"]
    .map(URL.init(fileURLWithPath:)).first { FileManager.default.isExecutableFile(atPath: $0.path) }

/// `mpirun -np 2 deepgen train …` on this machine: the same weights as one process with the
/// global batch, exact resumption, a stop that reaches every rank, and a lost rank that ends the
/// job. Skipped where Open MPI is not installed (`Scripts/test.sh` installs it and sets
/// DEEPGEN_REQUIRE_MPI=1, which turns the skip into a failure).
@Suite(.serialized, .enabled(if: mpirunExecutable != nil || ProcessInfo.processInfo.environment["DEEPGEN_REQUIRE_MPI"] == "1",
                             "Open MPI is not installed (apt-get install openmpi-bin libopenmpi-dev)"))
struct DataParallelTests {
    static var mpirun: URL? { mpirunExecutable }

    /// A WaveNet small enough for debug builds, on the procedural tones (no files), one kernel
    /// thread per process; `--max-steps` stops it mid-epoch with a checkpoint.
    static let tiny = ["train", "wavenet", "--data", "tones", "--stacks", "1", "--layers-per-stack", "4", "--residual-channels", "8",
                       "--dilation-channels", "8", "--skip-channels", "16", "--window", "200", "--batch-size", "4", "--threads", "1",
                       "--total-steps", "1000", "--lr", "0.01"]

    /// `mpirun -np N deepgen ARGS…`, run as root where the tests are (mpirun refuses root otherwise).
    static func mpi(_ processes: Int, _ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = try #require(mpirun)
        p.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", String(processes), CLI.binary.path] + arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        return p
    }

    /// The output of a started job, gathered as it comes: ranks that outlive a killed mpirun keep
    /// the pipe open, so nothing here waits for its end.
    final class Output: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        let pipe = Pipe()

        init(of p: Process) {
            p.standardOutput = pipe
            p.standardError = pipe
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let chunk = handle.availableData
                guard let self else { return }
                self.lock.lock()
                self.data.append(chunk)
                self.lock.unlock()
            }
        }

        var text: String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: data, as: UTF8.self)
        }

        func close() {
            usleep(200_000)  // what is still in the pipe
            pipe.fileHandleForReading.readabilityHandler = nil
        }
    }

    /// Waits up to `timeout` seconds for `p` to end; then kills it and every process whose
    /// command line holds `marker` (ranks it leaves behind).
    @discardableResult
    static func wait(for p: Process, timeout: Double, marker: String?) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        let ended = !p.isRunning
        if !ended {
            kill(p.processIdentifier, SIGKILL)
            if let marker {
                let killer = Process()
                killer.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
                killer.arguments = ["-KILL", "-f", marker]
                try? killer.run()
                killer.waitUntilExit()
            }
        }
        p.waitUntilExit()
        return ended
    }

    /// Runs `p` to its end (at most `timeout` seconds; `marker` as for ``wait(for:timeout:marker:)``).
    static func run(_ p: Process, timeout: Double = 300, marker: String? = nil) throws -> CLI.Result {
        let output = Output(of: p)
        try p.run()
        wait(for: p, timeout: timeout, marker: marker)
        output.close()
        return CLI.Result(status: p.terminationStatus, output: output.text,
                          signal: p.terminationReason == .uncaughtSignal ? p.terminationStatus : nil)
    }

    static func weights(_ run: URL, network: String = "wavenet") throws -> [String: [Float]] {
        try Checkpoint.load(from: run.appendingPathComponent("checkpoints/latest.safetensors")).tensors
            .filter { $0.key.hasPrefix(network + ".") }.mapValues(\.scalars)
    }

    /// The worst ‖one − two‖ / ‖two‖ over the runs' tensors of `network` (weights and buffers).
    static func worstDifference(_ one: URL, _ two: URL, network: String = "wavenet") throws -> (ratio: Double, name: String, tensors: Int) {
        let a = try weights(one, network: network), b = try weights(two, network: network)
        #expect(a.count == b.count)
        var worst = (ratio: 0.0, name: "", tensors: a.count)
        for (name, x) in a {
            let y = try #require(b[name])
            let difference = zip(x, y).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
            let norm = y.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let ratio = difference / max(norm, 1e-12)
            if ratio > worst.ratio { worst = (ratio, name, a.count) }
        }
        return worst
    }

    /// The runs' WaveNet weights agree to 1e-5 of each tensor's norm (their sums add in another
    /// order; PyTorch's DDP test compares the same way).
    static func expectSameWeights(_ one: URL, _ two: URL) throws {
        let worst = try worstDifference(one, two)
        #expect(worst.tensors > 20)
        #expect(worst.ratio <= 1e-5, "\(worst.name): ‖one − two‖ / ‖two‖ = \(worst.ratio)")
    }

    /// After 5 steps, two processes with 2 samples each hold the weights one process with batch
    /// 4 does, with gradients summed in buckets of 300 values (dozens, started as the backward
    /// pass completes them); stopping after 3 steps and resuming for 2 more (in the default
    /// buckets) gives the two-process run's weights exactly.
    @Test func twoProcessesTrainAsOneWithTheGlobalBatch() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = dir.appendingPathComponent("one"), two = dir.appendingPathComponent("two"), split = dir.appendingPathComponent("split")
        let alone = try CLI.run(Self.tiny + ["--max-steps", "5", "--out", one.path])
        #expect(alone.status == 0, "\(alone.output)")
        let together = try Self.run(Self.mpi(2, Self.tiny + ["--max-steps", "5", "--out", two.path], environment: ["DEEPGEN_BUCKET_VALUES": "300"]),
                                    marker: two.path)
        #expect(together.status == 0, "\(together.output)")
        #expect(together.output.contains("2 processes of 2 samples each"), "\(together.output)")
        try Self.expectSameWeights(one, two)
        // Only rank 0 wrote: no second run folder, no second progress.
        #expect(together.output.components(separatedBy: "training wavenet").count == 2, "\(together.output)")

        let first = try Self.run(Self.mpi(2, Self.tiny + ["--max-steps", "3", "--out", split.path]), marker: split.path)
        #expect(first.status == 0, "\(first.output)")
        let rest = try Self.run(Self.mpi(2, ["train", "--resume", split.path, "--max-steps", "2"]), marker: split.path)
        #expect(rest.status == 0 && rest.output.contains("on 2 processes") && !rest.output.contains("warning"), "\(rest.output)")
        #expect(try Self.weights(split) == Self.weights(two), "stopping and resuming changed the two-process run")
        // Resumed by one process: allowed, with a warning that the sums go another way.
        let single = try CLI.run(["train", "--resume", split.path, "--max-steps", "1"])
        #expect(single.status == 0 && single.output.contains("trained by 2 processes"), "\(single.output)")
    }

    /// Two "machines": ranks in two network namespaces joined by a veth pair, launched through an
    /// ssh stand-in and talking TCP only (`Scripts/mpi_two_machines.sh`), train as one process
    /// with the global batch does. Needs root's network namespaces; skipped without them.
    @Test(.enabled(if: networkNamespacesWork, "network namespaces need root with CAP_NET_ADMIN"))
    func twoMachinesOverTCPTrainAsOne() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = dir.appendingPathComponent("one"), two = dir.appendingPathComponent("two")
        let alone = try CLI.run(Self.tiny + ["--max-steps", "5", "--out", one.path])
        #expect(alone.status == 0, "\(alone.output)")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/mpi_two_machines.sh")
        let p = Process()
        p.executableURL = script
        p.arguments = [CLI.binary.path] + Self.tiny + ["--max-steps", "5", "--out", two.path]
        let r = try Self.run(p, marker: two.path)
        #expect(r.status == 0 && r.output.contains("launched on 10.77.0.2 in network namespace"), "\(r.output)")
        try Self.expectSameWeights(one, two)
    }

    /// Ctrl-C at a terminal reaches mpirun (each rank has a process group of its own), which
    /// sends every rank SIGTERM: they finish the same step, rank 0 writes its checkpoint, and the
    /// run resumes from it.
    @Test func ctrlCStopsEveryRankAfterTheSameStep() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run")
        let p = try Self.mpi(2, Self.tiny + ["--out", run.path])
        let captured = Output(of: p)
        // mpirun, unlike deepgen, keeps the signal mask it inherits, and a test runner's thread
        // blocks SIGINT: unblocked here, as in a shell, so that mpirun hears the interrupt.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while !fileExists(run.appendingPathComponent("metrics.csv")) && Date() < deadline { usleep(50_000) }
        usleep(1_500_000)
        p.interrupt()
        // A job that ignores Ctrl-C must fail the test, not hang it.
        Self.wait(for: p, timeout: 60, marker: run.path)
        captured.close()
        let output = captured.text
        #expect(output.contains("stopped at epoch 1") && output.contains("resume with mpirun -np 2 deepgen train --resume"), "\(output)")
        #expect(fileExists(run.appendingPathComponent("checkpoints/latest.safetensors")), "\(output)")
        let resumed = try Self.run(Self.mpi(2, ["train", "--resume", run.path, "--max-steps", "1"]), marker: run.path)
        #expect(resumed.status == 0 && resumed.output.contains("resuming"), "\(resumed.output)")
    }

    /// A rank that dies (SIGKILL) ends the whole job, with mpirun's message, instead of leaving
    /// the other waiting in its all-reduce.
    @Test func aLostRankEndsTheJob() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("run"), temporary = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let p = try Self.mpi(2, Self.tiny + ["--out", run.path])
        // Rank 1's scratch folder, deepgen-rank1-PID-XXXXXX, names its process.
        p.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": temporary.path]) { $1 }
        let captured = Output(of: p)
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        var rank1: Int32?
        while rank1 == nil && Date() < deadline {
            rank1 = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path))?
                .first { $0.hasPrefix("deepgen-rank1-") }.flatMap { Int32($0.split(separator: "-")[2]) }
            usleep(50_000)
        }
        guard let victim = rank1 else {
            Self.wait(for: p, timeout: 0, marker: run.path)
            Issue.record("rank 1 never started")
            return
        }
        usleep(1_000_000)
        kill(victim, SIGKILL)
        let ended = Self.wait(for: p, timeout: 60, marker: run.path)
        captured.close()
        let output = captured.text
        #expect(ended, "the job went on for a minute without rank 1: \(output)")
        #expect(p.terminationStatus != 0, "\(output)")
        #expect(output.contains("signal 9") || output.contains("Killed"), "\(output)")
    }

    /// Glow's ActNorm sets itself from its first batch, which each process sees only its share
    /// of: its statistics are summed over the processes, so the replicas agree at the epoch's end
    /// (the run checks their weights) and the run finishes.
    @Test func layersInitializedFromDataAgreeAcrossProcesses() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("glow")
        let r = try Self.run(Self.mpi(2, ["train", "glow", "--data", "shapes", "--synthetic-count", "64", "--batch-size", "16", "--levels", "1",
                                          "--steps", "1", "--hidden-channels", "8", "--epochs", "1", "--threads", "1", "--out", run.path]),
                             marker: run.path)
        #expect(r.status == 0 && r.output.contains("finished"), "\(r.output)")
    }

    /// BatchNorm and dropout across processes: with --sync-batchnorm (statistics over the global
    /// batch) and dropout masks drawn as each rank's rows of the global batch's, two processes
    /// train a classifier (two BatchNorm layers, dropout 0.3) to one process's weights and running
    /// statistics with the global batch. Without the flag each rank normalizes its own half, as
    /// PyTorch's DDP does, and the weights differ. SGD, not Adam: the convolution biases before
    /// BatchNorm have gradients that are zero but for rounding, which Adam would scale to full steps.
    @Test func syncBatchNormTrainsAsOneProcess() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["train", "classifier", "--data", "shapes", "--synthetic-count", "64", "--batch-size", "8", "--width", "4",
                    "--feature-size", "8", "--threads", "1", "--max-steps", "5", "--optimizer", "sgd", "--lr", "0.1", "--sync-batchnorm"]
        let one = dir.appendingPathComponent("one"), synced = dir.appendingPathComponent("synced"), own = dir.appendingPathComponent("own")
        let alone = try CLI.run(args + ["--out", one.path])
        #expect(alone.status == 0 && alone.output.contains("one process alone trains as without it"), "\(alone.output)")
        let together = try Self.run(Self.mpi(2, args + ["--out", synced.path]), marker: synced.path)
        #expect(together.status == 0 && !together.output.contains("note: --sync-batchnorm"), "\(together.output)")
        let same = try Self.worstDifference(one, synced, network: "classifier")
        #expect(same.tensors >= 10 && same.ratio <= 1e-5, "\(same.name): ‖one − two‖ / ‖two‖ = \(same.ratio)")
        let apart = try Self.run(Self.mpi(2, args.dropLast() + ["--out", own.path]), marker: own.path)
        #expect(apart.status == 0, "\(apart.output)")
        #expect(try Self.worstDifference(one, own, network: "classifier").ratio > 1e-3)

        // A model without BatchNorm is told so. R1 differentiates only the discriminator, which in
        // the 28×28 DCGAN has no BatchNorm: its recipe (R1 γ = 1) trains with synchronized
        // statistics in the generator (where the discriminator has BatchNorm, R1 is refused:
        // GANAveragingTests).
        let flow = try Self.run(Self.mpi(2, ["train", "realnvp", "--data", "ring8", "--synthetic-count", "64", "--batch-size", "16",
                                             "--max-steps", "1", "--threads", "1", "--sync-batchnorm", "--out", dir.appendingPathComponent("flow").path]))
        #expect(flow.status == 0 && flow.output.contains("no BatchNorm layers"), "\(flow.output)")
        let r1 = try Self.run(Self.mpi(2, ["train", "dcgan", "--data", "shapes", "--synthetic-count", "32", "--batch-size", "8", "--width", "4",
                                           "--r1", "1", "--sync-batchnorm", "--max-steps", "1", "--threads", "1",
                                           "--out", dir.appendingPathComponent("r1").path]))
        #expect(r1.status == 0 && r1.output.contains("2 processes"), "\(r1.output)")
        // One sample per process cannot train a BatchNorm1d on its own statistics: refused before
        // any step, not a crash; with the statistics synchronized it trains.
        let dcgan = ["train", "dcgan", "--data", "shapes", "--synthetic-count", "32", "--batch-size", "2", "--width", "4", "--latent-size", "8",
                     "--minibatch-stddev", "0", "--max-steps", "2", "--threads", "1"]
        let single = try Self.run(Self.mpi(2, dcgan + ["--out", dir.appendingPathComponent("single").path]))
        #expect(single.status != 0 && single.output.contains("BatchNorm1d needs at least 2 per process"), "\(single.output)")
        let pooled = try Self.run(Self.mpi(2, dcgan + ["--sync-batchnorm", "--out", dir.appendingPathComponent("pooled").path]))
        #expect(pooled.status == 0, "\(pooled.output)")
    }

    /// A text file for the text models: ~5,000 characters of verse.
    static func writeText(in dir: URL) throws -> URL {
        let line = "To be, or not to be, that is the question: whether 'tis nobler in the mind to suffer.\n"
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("verse.txt")
        try String(repeating: line, count: 60).write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Dropout across processes: a GPT with dropout 0.1 (attention, residual and embedding
    /// dropout, batch-major) and a char-rnn with dropout 0.1 between its LSTM layers (time-major)
    /// train on two processes to one process's weights with the global batch.
    @Test(arguments: [
        ("gpt", ["--block-size", "16", "--layers", "2", "--heads", "2", "--embedding", "24", "--total-steps", "100", "--lr", "0.003"]),
        ("char-rnn", ["--sequence-length", "16", "--hidden-size", "24", "--embedding", "8", "--layers", "2", "--total-steps", "100", "--lr", "0.01"]),
    ])
    func textModelsWithDropoutTrainAsOneProcess(_ model: String, _ options: [String]) throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try Self.writeText(in: dir)
        let args = ["train", model, "--data", "text:" + text.path] + options
            + ["--dropout", "0.1", "--batch-size", "8", "--threads", "1", "--max-steps", "5"]
        let one = dir.appendingPathComponent("one"), two = dir.appendingPathComponent("two")
        let alone = try CLI.run(args + ["--out", one.path])
        #expect(alone.status == 0, "\(alone.output)")
        let together = try Self.run(Self.mpi(2, args + ["--out", two.path]), marker: two.path)
        #expect(together.status == 0, "\(together.output)")
        let worst = try Self.worstDifference(one, two, network: model == "gpt" ? "gpt" : "char_rnn")
        #expect(worst.tensors >= 8 && worst.ratio <= 1e-5, "\(worst.name): ‖one − two‖ / ‖two‖ = \(worst.ratio)")
    }

    /// Noise across processes: each rank draws its rows of the noise one process draws for the
    /// global batch (a GAN's latents, WGAN-GP's interpolation weights, a VAE's latent draws and
    /// dynamic binarization, a flow's dequantization), so after 5 steps two processes hold one
    /// process's weights (the GAN's moving average included), with statistics synchronized where
    /// a network has BatchNorm; Glow's ActNorm is initialized from the whole first batch, and a
    /// flow's batch normalization synchronized. The GANs and flows step with SGD, as
    /// `syncBatchNormTrainsAsOneProcess` does: a bias before BatchNorm, the critic's output bias
    /// under the Wasserstein loss and ActNorm's bias after its initialization have gradients that
    /// are zero but for rounding, which Adam scales up to full steps in either run.
    @Test(arguments: [
        ("gan", ["generator", "generator_ema", "discriminator"],
         ["--data", "shapes", "--synthetic-count", "64", "--minibatch-stddev", "4", "--sync-batchnorm", "--optimizer", "sgd", "--lr", "0.05"]),
        ("wgan-gp", ["generator", "discriminator"],
         ["--data", "ring8", "--synthetic-count", "64", "--hidden-size", "16", "--critic-steps", "2", "--optimizer", "sgd", "--lr", "0.05"]),
        ("vae", ["vae"], ["--data", "shapes", "--synthetic-count", "64", "--hidden-size", "32", "--latent-size", "3", "--binarize"]),
        // ActNorm initialized from the whole first batch.
        ("glow", ["flow"], ["--data", "shapes", "--synthetic-count", "64", "--levels", "1", "--steps", "2", "--hidden-channels", "8",
                            "--optimizer", "sgd", "--lr", "1e-4"]),
        // The flow's batch normalization (its statistics and log-determinant) and the
        // conditioners' BatchNorm synchronized.
        ("realnvp", ["flow"], ["--data", "shapes", "--synthetic-count", "64", "--scales", "2", "--hidden-channels", "4",
                               "--residual-blocks", "1", "--sync-batchnorm", "--optimizer", "sgd", "--lr", "1e-4"]),
    ])
    func noiseIsOneProcesssAcrossProcesses(_ model: String, _ networks: [String], _ options: [String]) throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["train", model] + options + ["--batch-size", "8", "--threads", "1", "--max-steps", "5"]
        let one = dir.appendingPathComponent("one"), two = dir.appendingPathComponent("two")
        let alone = try CLI.run(args + ["--out", one.path])
        #expect(alone.status == 0, "\(alone.output)")
        let together = try Self.run(Self.mpi(2, args + ["--out", two.path]), marker: two.path)
        #expect(together.status == 0 && together.output.contains("2 processes"), "\(together.output)")
        // Glow's second ActNorm bias is near zero (its input has zero mean already; norm ~0.01),
        // so its difference relative to that norm is rounding's (~1e-7) magnified.
        let tolerance = model == "glow" ? 1e-4 : 1e-5
        for network in networks {
            let worst = try Self.worstDifference(one, two, network: network)
            #expect(worst.tensors >= 2 && worst.ratio <= tolerance, "\(model) \(worst.name): ‖one − two‖ / ‖two‖ = \(worst.ratio)")
        }
    }

    /// The minibatch standard deviation groups consecutive samples, each process its own share:
    /// with whole groups per process the MLP GAN trains an epoch on two (whose replicas agree at
    /// its end); a share that would split a group is refused before anything is trained.
    @Test func minibatchStatisticTrainsAcrossProcesses() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["train", "gan", "--data", "shapes", "--synthetic-count", "128", "--batch-size", "16", "--minibatch-stddev", "4",
                    "--threads", "1", "--epochs", "1"]
        let run = dir.appendingPathComponent("two")
        let r = try Self.run(Self.mpi(2, args + ["--out", run.path]), marker: run.path)
        #expect(r.status == 0 && r.output.contains("finished") && r.output.contains("2 processes"), "\(r.output)")
        var split = args
        split[split.firstIndex(of: "--minibatch-stddev")! + 1] = "16"
        let refused = try Self.run(Self.mpi(2, split + ["--out", dir.appendingPathComponent("split").path]))
        #expect(refused.status != 0 && refused.output.contains("do not split into the minibatch standard deviation's groups of 16"), "\(refused.output)")
        #expect(!fileExists(dir.appendingPathComponent("split/checkpoints")))
    }

    /// Every family trains data-parallel, those with several networks and inner loops included
    /// (WGAN-GP's five critic steps per generator step, CycleGAN's two generators and image pools,
    /// the VAEs' sampled latents, char-rnn's LSTM): each runs a whole epoch on two processes, at
    /// whose end the processes compare their weights (`verifyReplicas`: a difference stops the run).
    @Test(arguments: [
        ("wgan-gp", ["--data", "ring8", "--synthetic-count", "256", "--batch-size", "32", "--hidden-size", "16"]),
        ("dcgan", ["--data", "shapes", "--synthetic-count", "64", "--batch-size", "16", "--width", "4", "--latent-size", "8"]),
        ("cyclegan", ["--data", "shapes:square,circle", "--synthetic-count", "32", "--batch-size", "2", "--width", "4", "--residual-blocks", "1"]),
        ("conv-vae", ["--data", "shapes", "--synthetic-count", "64", "--batch-size", "16", "--width", "4", "--latent-size", "4"]),
        ("char-rnn", ["--sequence-length", "16", "--hidden-size", "24", "--embedding", "8", "--dropout", "0.1", "--batch-size", "8"]),
        // BatchNorm in the conditioners, synchronized.
        ("realnvp", ["--data", "shapes", "--synthetic-count", "64", "--batch-size", "16", "--scales", "2", "--hidden-channels", "4",
                     "--residual-blocks", "1", "--sync-batchnorm"]),
    ])
    func everyFamilyTrainsAcrossProcesses(_ model: String, _ options: [String]) throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = model == "char-rnn" ? ["--data", "text:" + (try Self.writeText(in: dir)).path] : []
        let run = dir.appendingPathComponent(model)
        let r = try Self.run(Self.mpi(2, ["train", model] + data + options + ["--epochs", "1", "--threads", "1", "--out", run.path]), marker: run.path)
        #expect(r.status == 0 && r.output.contains("finished") && r.output.contains("2 processes"), "\(r.output)")
        #expect(fileExists(run.appendingPathComponent("checkpoints/latest.safetensors")))
    }

    /// `deepgen bench train` under mpirun measures the job: the whole batch, both processes'
    /// memory, one report (rank 0's).
    @Test func benchmarkMeasuresTheJob() throws {
        let r = try Self.run(Self.mpi(2, ["bench", "train", "mlp-vae", "--seconds", "0.3", "--warmup-steps", "1", "--threads", "1", "--json"]))
        #expect(r.status == 0, "\(r.output)")
        let lines = r.output.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == 1, "\(r.output)")
        let json = try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any]
        #expect(json?["processes"] as? Int == 2 && json?["batch"] as? Int == 128 && (json?["images_per_second"] as? Double ?? 0) > 0, "\(r.output)")
        #expect(r.output.contains("1 threads × 2 processes"), "\(r.output)")
        // The job's memory is both ranks' (each holds its own copy of the model: over 2 × 20 MB).
        #expect((json?["peak_rss_mb"] as? Double ?? 0) > 40, "\(r.output)")
        // The time averaging gradients takes is part of each step's.
        let averaging = json?["averaging_seconds_per_step"] as? Double ?? 0, step = (json?["seconds"] as? Double ?? 0) / Double(json?["steps"] as? Int ?? 1)
        #expect(averaging > 0 && averaging < step && r.output.contains("averaging gradients"), "\(r.output)")

        // --batch-size sets the global batch; one that the ranks cannot share is refused.
        let small = try Self.run(Self.mpi(2, ["bench", "train", "mlp-vae", "--seconds", "0.2", "--warmup-steps", "1", "--batch-size", "32", "--json"]))
        #expect(small.status == 0 && small.output.contains("batch 32, 1 threads × 2 processes"), "\(small.output)")
        let odd = try Self.run(Self.mpi(2, ["bench", "train", "mlp-vae", "--seconds", "0.2", "--batch-size", "33"]))
        #expect(odd.status != 0 && odd.output.contains("batch of 33 does not split evenly over 2 processes"), "\(odd.output)")
    }

    /// Rank 1 trains in a scratch folder of its own (mkdtemp), never one a killed process of the
    /// same process ID left behind, and removes it at the end; folders of ranks that ended without
    /// removing theirs (their run lock free) go too, while a live rank's (lock held) and a just-made
    /// one (no lock yet) stay.
    @Test func scratchFoldersAreFreshAndLeftoversOfEndedRanksGo() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let temporary = dir.appendingPathComponent("tmp")
        let ended = temporary.appendingPathComponent("deepgen-rank1-4242-Ab12Cd"), live = temporary.appendingPathComponent("deepgen-rank1-4243-Ef34Gh")
        let fresh = temporary.appendingPathComponent("deepgen-rank1-4244-Ij56Kl")
        for folder in [ended, live, fresh] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        try Data("{}".utf8).write(to: ended.appendingPathComponent("config.json"))
        for folder in [ended, live] { try Data().write(to: folder.appendingPathComponent(".lock")) }
        let held = open(live.appendingPathComponent(".lock").path, O_RDWR)
        #expect(held >= 0 && flock(held, LOCK_EX | LOCK_NB) == 0)
        defer { close(held) }
        let r = try Self.run(Self.mpi(2, Self.tiny + ["--max-steps", "1", "--out", dir.appendingPathComponent("run").path],
                                      environment: ["TMPDIR": temporary.path]))
        #expect(r.status == 0, "\(r.output)")
        let left = try FileManager.default.contentsOfDirectory(atPath: temporary.path).filter { $0.hasPrefix("deepgen-rank") }.sorted()
        #expect(left == [live.lastPathComponent, fresh.lastPathComponent], "\(r.output)")
    }

    /// A global batch the processes cannot share evenly, and a missing MPI library, are refused
    /// before anything is trained.
    @Test func badSetupsAreRefused() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        var odd = Self.tiny
        odd[odd.firstIndex(of: "--batch-size")! + 1] = "3"
        let r = try Self.run(Self.mpi(2, odd + ["--out", dir.appendingPathComponent("odd").path]))
        // Whole: each rank writes its message in one piece, so two ranks' do not interleave letter by letter.
        #expect(r.status != 0 && r.output.contains("Error: invalid configuration: --batch-size 3 is the global batch of 2 processes"), "\(r.output)")
        #expect(!fileExists(dir.appendingPathComponent("odd/checkpoints")))

        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = Self.tiny + ["--distributed", "--out", dir.appendingPathComponent("nompi").path]
        p.environment = ProcessInfo.processInfo.environment.merging(["DEEPGEN_MPI_LIBRARY": "/nonexistent/libmpi.so.40"]) { $1 }
        let missing = try Self.run(p, timeout: 60)
        #expect(missing.status != 0 && missing.output.contains("Open MPI") && missing.output.contains("/nonexistent/libmpi.so.40"), "\(missing.output)")
    }
}
