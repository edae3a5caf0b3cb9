import DeepGen
import DeepGenData
import DeepGenKernels
import DeepGenModels
import Foundation

/// The training workloads of the side-by-side benchmark against PyTorch
/// (`deepgen bench train`, `Scripts/bench/pytorch_train.py`): the same networks, losses,
/// optimizers and batches as `deepgen train`, on synthetic in-memory batches so data loading is
/// not measured (the PyTorch script does the same).
public enum TrainingWorkload: String, CaseIterable, Sendable {
    case mlpGAN = "mlp-gan"
    case dcgan
    case dcgan256 = "dcgan-256"
    case wganGP = "wgan-gp"
    case mlpVAE = "mlp-vae"
    case convVAE = "conv-vae"
    case cycleGANSmall = "cyclegan-small"
    case realNVP2D = "realnvp-2d"
    case glow
    case realNVPImage = "realnvp-image"
    case gpt
    case charRNN = "char-rnn"
    case wavenet

    /// The model name and batch size of the workload.
    var model: (name: String, batchSize: Int?) {
        switch self {
        case .mlpGAN: return ("gan", 64)  // the classic batch (the image recipe trains at 32)
        case .dcgan: return ("dcgan", nil)
        case .dcgan256: return ("dcgan", 256)
        case .wganGP: return ("wgan-gp", nil)
        case .mlpVAE: return ("vae", nil)
        case .convVAE: return ("conv-vae", nil)
        case .cycleGANSmall: return ("cyclegan", 16)  // 28×28 defaults: width 32, 3 residual blocks, 2-layer PatchGAN
        case .realNVP2D: return ("realnvp", nil)  // 2-D points: 8 couplings, 64-unit conditioners, batch 256
        case .glow: return ("glow", nil)  // 28×28: 2 levels of 4 steps, 64-channel conditioners, batch 64
        case .realNVPImage: return ("realnvp", nil)  // 28×28: 2 scales (10 couplings), 32-channel 1-block ResNets, batch 64
        case .charRNN: return ("char-rnn", nil)  // char-rnn's recipe: 2 LSTM layers of 128, sequences of 50, batch 50, 65 characters
        case .wavenet: return ("wavenet", nil)  // the default: 3 stacks of dilations 1…512, 32/32/256 channels, windows of 4,000, batch 4, 10 classes
        case .gpt: return ("gpt", nil)  // the CPU recipe (TextFamily.cpuRecipe): 4 layers × 4 heads, 128 wide, context 64, batch 12, 65 characters
        }
    }

    /// The model configuration `deepgen train` would use on 28×28 Fashion-MNIST (on 2-D points
    /// for a model of points only, and for `realnvp-2d`), with the benchmark's batch size unless
    /// `batchSize` is given.
    public func config(batchSize override: Int? = nil) throws -> ModelConfig {
        var c = try standardConfig()
        if let override { c.training.batchSize = override }
        return c
    }

    private func standardConfig() throws -> ModelConfig {
        let (name, batchSize) = model
        let family = try ModelFamilies.requireFamily(named: name)
        let needs = family.dataNeeds(name)
        if needs.kinds == [.text] {
            // Tiny Shakespeare's alphabet size; the ids are random.
            let vocabulary = String(String.UnicodeScalarView((0..<65).map { Unicode.Scalar(UInt8(32 + $0)) }))
            var c = try ModelConfig.defaults(for: name, dataset: "synthetic", data: DataDescription(kind: .text, shape: [1], vocabulary: vocabulary))
            var h = try c.hyperparameters(as: TextHyperparameters.self)
            if self == .gpt { TextFamily.cpuRecipe(&c.training, &h) }
            h.vocabularySize = 65
            c.hyperparameters = h
            c.data.shape = [(try c.hyperparameters(as: TextHyperparameters.self)).blockSize + 1]
            return c
        }
        if needs.kinds == [.audio] {
            // FSDD's shape: 8 kHz, ten digit classes; the samples are random.
            var c = try ModelConfig.defaults(for: name, dataset: "synthetic",
                                             data: DataDescription(kind: .audio, shape: [1, 1], classLabels: Array(0..<10), sampleRate: 8000))
            var h = try c.hyperparameters(as: WaveNetHyperparameters.self)
            h.conditioningClasses = 10
            c.hyperparameters = h
            c.data.shape = [1, h.windowLength]
            return c
        }
        let data = needs.kinds.contains(.image) && self != .realNVP2D
            ? DataDescription(kind: .image, shape: [1, 28, 28], range: needs.range, classLabels: nil, domains: needs.domains)
            : DataDescription(kind: .points, shape: [2], range: nil, classLabels: nil, domains: 1)
        var c = try ModelConfig.defaults(for: name, dataset: "synthetic", data: data)
        if let batchSize { c.training.batchSize = batchSize }
        // The PyTorch twins are the papers' networks and steps: no moving average of G, no
        // minibatch statistic in D, no R1, no BatchNorm in the MLP generator and Adam at 2e-4
        // with β₁ = 0.5 (the 28×28 DCGAN's and the image MLP GAN's default recipes differ;
        // Scripts/bench/option_cost.sh measures what options cost); CycleGAN's without its
        // generators' averages.
        GANFamily.usePaperRecipe(&c)
        CycleGANFamily.usePaperRecipe(&c)
        return c
    }
}

/// Steady-state training throughput of one workload.
public struct TrainingBenchmarkResult: Codable, Sendable {
    public var framework = "deepgen"
    public var model: String
    public var batch: Int
    public var threads: Int
    public var steps: Int
    public var seconds: Double
    public var imagesPerSecond: Double
    /// Processes of a data-parallel measurement (`mpirun`), each with `threads` threads and an
    /// equal share of `batch`; 1 alone.
    public var processes = 1
    /// The job's peak resident memory (every process's summed), when the caller measured it.
    public var peakRSSMegabytes: Double?
    /// Under mpirun: rank 0's seconds per timed step spent averaging gradients (copying them
    /// out and back, the all-reduce, and waiting there for the slower process).
    public var averagingSecondsPerStep: Double?
    /// The share of this process's CPUs' time that the hypervisor gave to other guests during the
    /// timed steps (``StealTime``; Linux only): above a few percent the figure is disturbed.
    public var stealShare: Double?
    /// With profiling: the timed steps' wall time per op (``OpProfiler``), largest first.
    public var profile: [OpProfiler.Entry]?

    enum CodingKeys: String, CodingKey {
        case framework, model, batch, threads, steps, seconds, processes
        case imagesPerSecond = "images_per_second"
        case peakRSSMegabytes = "peak_rss_mb"
        case averagingSecondsPerStep = "averaging_seconds_per_step"
        case profile
        case stealShare = "steal_share"
    }
}

extension TrainingWorkload {
    /// Builds the model, runs `warmupSteps` training steps, then steps until `seconds` have
    /// passed; images/s counts one batch per step (one batch of each domain for CycleGAN; one
    /// critic step for WGAN-GP, whose generator steps every fifth, as in training). With `group`
    /// (under `mpirun`) every process trains on its share of the batch with its gradients averaged
    /// as `deepgen train` does, all take the same number of steps, and images/s counts whole batches.
    public func measure(warmupSteps: Int = 5, seconds: Double = 10, seed: UInt64 = 0, batchSize: Int? = nil,
                        group: MPICommunicator? = nil, profile: Bool = false) throws -> TrainingBenchmarkResult {
        let config = try self.config(batchSize: batchSize)
        let model = try makeModel(config)
        var rng = RandomGenerator(seed: group.map { SeedMixer.mix(seed, UInt64($0.rank)) } ?? seed)
        let range: (Float, Float) = config.data.range == .zeroToOne ? (0, 1) : (-1, 1)
        let processes = group?.size ?? 1
        guard config.training.batchSize % processes == 0 else {
            throw TrainingError.invalidConfiguration("the \(rawValue) benchmark's batch of \(config.training.batchSize) does not split evenly over \(processes) processes")
        }
        if let group { makeDataParallelReplica(model.networks, in: group) }
        let batchSize = config.training.batchSize / processes
        let shape = [batchSize] + config.sampleShape
        // A small fixed pool of batches, cycled.
        let batches = (0..<4).map { _ in
            config.data.kind == .text
                ? TrainingBatch(inputs: Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(rng.next() % 65) }),
                                labels: Array(repeating: 0, count: batchSize))
                : config.data.kind == .audio
                ? TrainingBatch(inputs: Tensor.uniform(shape, low: -1, high: 1, using: &rng), labels: (0..<batchSize).map { _ in Int(rng.next() % 10) })
                : TrainingBatch(inputs: Tensor.uniform(shape, low: range.0, high: range.1, using: &rng), labels: Array(repeating: 0, count: batchSize),
                              secondInputs: config.data.domains == 2 ? Tensor.uniform(shape, low: range.0, high: range.1, using: &rng) : nil)
        }
        var step = 0
        func trainOne() throws {
            let losses = model.trainStep(batches[step % batches.count], using: &rng)
            step += 1
            if let bad = losses.first(where: { !$0.value.isFinite }) {
                throw TrainingError.diverged(Divergence(what: "\(bad.key) is \(bad.value)", step: step, epoch: 0, run: "benchmark"))
            }
        }
        for _ in 0..<warmupSteps { try trainOne() }
        let averagers = model.networks.compactMap { $0.gradientReducer as? GradientAverager }
        let averagingBefore = averagers.reduce(0) { $0 + $1.seconds }
        let stealBefore = StealTime.sample()
        if profile { OpProfiler.start() }
        let start = DispatchTime.now().uptimeNanoseconds
        var timed = 0
        var elapsed = 0.0
        var more = true
        repeat {
            try trainOne()
            timed += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            more = elapsed < seconds
            if let group {
                // Every process takes as many steps as the slowest wants (their all-reduces pair up).
                var wants: [Int32] = [more ? 1 : 0]
                try group.maximum(&wants)
                more = wants[0] != 0
            }
        } while more
        let entries = profile ? OpProfiler.stop() : nil
        let steal = stealBefore.flatMap { before in StealTime.sample()?.share(since: before) }
        var result = TrainingBenchmarkResult(model: rawValue, batch: batchSize * processes, threads: Parallel.threadCount, steps: timed,
                                             seconds: elapsed, imagesPerSecond: Double(timed * batchSize * processes) / elapsed)
        result.processes = processes
        result.profile = entries
        result.stealShare = steal
        if group != nil { result.averagingSecondsPerStep = (averagers.reduce(0) { $0 + $1.seconds } - averagingBefore) / Double(timed) }
        return result
    }
}
