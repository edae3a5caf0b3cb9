import ArgumentParser
import DeepGenData
import DeepGenModels
import DeepGenOptimizers
import DeepGenTraining

extension OptimizerSettings.Kind: ExpressibleByArgument {}

/// `--data` and how to find and shape it: shared by every model's `train` command.
struct DataArguments: ParsableArguments {
    @Option(help: "The dataset (see `deepgen list`).") var data: String
    @Option(help: "Folder of IDX files for MNIST-format sets, or of Fashion-MNIST if not installed where Debian puts it.")
    var dataDir: String?
    @Option(help: "Side images from folders are resized to.") var imageSize: Int = 64
    @Option(help: "Samples of the procedural and 2-D datasets.") var syntheticCount: Int = 60_000
    @Option(help: "Audio: the rate clips are resampled to, in Hz (default 8000).") var sampleRate: Int?
    @Option(help: "audio:PATH: a regular expression whose one capture group, matched against each file's path in its split folder, is its class label.")
    var labelPattern: String?

    func validate() throws {
        if !(8...4096).contains(imageSize) { throw ValidationError("--image-size must be between 8 and 4096, got \(imageSize)") }
        if !(1...2_000_000).contains(syntheticCount) { throw ValidationError("--synthetic-count must be between 1 and 2,000,000, got \(syntheticCount)") }
        if let sampleRate, !(1000...384_000).contains(sampleRate) { throw ValidationError("--sample-rate must be between 1000 and 384,000 Hz, got \(sampleRate)") }
    }

    var options: DataOptions {
        DataOptions(spec: data, directory: dataDir, imageSize: imageSize, syntheticCount: syntheticCount, sampleRate: sampleRate, labelPattern: labelPattern)
    }
}

/// The settings every family trains with (``TrainingSettings``); unset options keep the model's
/// defaults. Their values are checked once, with the whole configuration (`TrainingSettings.validate`).
struct TrainingArguments: ParsableArguments {
    @Option(help: "Epochs at a constant learning rate.") var epochs: Int?
    @Option(help: "Further epochs with the learning rate decaying linearly to zero (CycleGAN's schedule; works for every model).")
    var decayEpochs: Int?
    @Option(help: "Train for this many optimizer steps in all (ending mid-epoch if need be) instead of whole epochs and their learning-rate schedule (the text models' default).") var totalSteps: Int?
    @Option(help: "Batch size.") var batchSize: Int?
    @Option(help: "Seed of everything random in the run.") var seed: UInt64 = 0
    @Option(help: "Optimizer of every network: \(OptimizerSettings.Kind.allCases.map(\.rawValue).joined(separator: ", ")) (default: the model's, Adam).")
    var optimizer: OptimizerSettings.Kind?
    @Option(help: "Learning rate.") var lr: Double?
    @Option(help: "β₁ of adam and adamw.") var beta1: Double?
    @Option(help: "β₂ of adam and adamw.") var beta2: Double?
    @Option(help: "ε of adam, adamw and rmsprop (default 1e-8).") var eps: Double?
    @Option(help: "Weight decay: an L2 term for adam, sgd and rmsprop (default 0), decoupled for adamw (default 0.01).")
    var weightDecay: Double?
    @Option(help: "Momentum of sgd and rmsprop (default 0).") var momentum: Double?
    @Flag(help: "Nesterov momentum (sgd).") var nesterov = false
    @Option(help: "Smoothing constant of rmsprop (default 0.99).") var alpha: Double?
    @Option(help: "Clip each network's gradients to this global L2 norm before every step (any optimizer; default: the model's, none for most).")
    var clipGradNorm: Double?
    @Flag(help: "Data-parallel runs: BatchNorm statistics over the whole global batch, every process's share (PyTorch's SyncBatchNorm), instead of each process's own.")
    var syncBatchnorm = false

    func validate() throws {
        if totalSteps != nil, epochs != nil || decayEpochs != nil {
            throw ValidationError("--total-steps counts the run in optimizer steps; give it without --epochs and --decay-epochs")
        }
    }

    /// Writes the options given over `settings` (the model's defaults). Choosing another
    /// optimizer starts from its own defaults, keeping the learning rate (and Adam's betas
    /// between adam and adamw).
    func apply(to settings: inout TrainingSettings) {
        if let epochs { settings.epochs = epochs }
        if let decayEpochs { settings.decayEpochs = decayEpochs }
        if let batchSize { settings.batchSize = batchSize }
        if syncBatchnorm { settings.syncBatchNorm = true }
        // Steps replace epochs and their schedule; epochs given alone replace a family's step count.
        if let totalSteps { (settings.steps, settings.epochs, settings.decayEpochs) = (totalSteps, 1, 0) }
        if totalSteps == nil, epochs != nil || decayEpochs != nil { settings.steps = nil }
        var o = settings.optimizer
        if let optimizer, optimizer != o.kind {
            let adamLike: Set<OptimizerSettings.Kind> = [.adam, .adamw]
            var fresh = OptimizerSettings(kind: optimizer, learningRate: o.learningRate, maxGradientNorm: o.maxGradientNorm)
            if adamLike.contains(optimizer) && adamLike.contains(o.kind) { (fresh.beta1, fresh.beta2, fresh.epsilon) = (o.beta1, o.beta2, o.epsilon) }
            o = fresh
        }
        if let lr { o.learningRate = lr }
        if let beta1 { o.beta1 = beta1 }
        if let beta2 { o.beta2 = beta2 }
        if let eps { o.epsilon = eps }
        if let weightDecay { o.weightDecay = weightDecay }
        if let momentum { o.momentum = momentum }
        if nesterov { o.nesterov = true }
        if let alpha { o.alpha = alpha }
        if let clipGradNorm { o.maxGradientNorm = clipGradNorm }
        settings.optimizer = o
    }
}

/// Where a run goes and what runs beside training.
struct RunArguments: ParsableArguments {
    @Option(help: "Run folder (default runs/<model>-<dataset>).") var out: String?
    @Option(help: "Kernel threads (default: all cores).") var threads: Int?
    @Option(help: "Stop after this many steps with a checkpoint (a smoke test).") var maxSteps: Int?
    @Flag(help: "Train data-parallel over the processes of an MPI job (implied under mpirun; needs Open MPI). --batch-size is the global batch.")
    var distributed = false
    @Option(help: "Every this many epochs, log FID and KID (images) or mode coverage (ring8, grid25) to metrics.csv and TensorBoard.")
    var evalEvery: Int?
    @Option(help: "Generated samples and test images --eval-every compares.") var evalCount: Int = 2000
    @Option(help: "Classifier run folder or checkpoint for --eval-every's features (default: the bundled one for the data).")
    var extractor: String?

    func validate() throws {
        for (name, value) in [("--threads", threads), ("--max-steps", maxSteps), ("--eval-every", evalEvery)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value)") }
        }
        if let threads, threads > 1024 { throw ValidationError("--threads must be at most 1024, got \(threads)") }
        if !(2...1_000_000).contains(evalCount) { throw ValidationError("--eval-count must be between 2 and 1,000,000, got \(evalCount)") }
        if extractor != nil && evalEvery == nil { throw ValidationError("--extractor is for --eval-every (deepgen eval takes its own)") }
    }

    var evaluation: EvaluationSchedule? { evalEvery.map { EvaluationSchedule(every: $0, count: evalCount, extractor: extractor) } }
}
