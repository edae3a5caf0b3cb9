import DeepGenOptimizers

/// The settings every family trains with, apart from its own hyperparameters: seed, epochs and
/// learning-rate schedule, batch size, and the optimizer each network gets.
public struct TrainingSettings: Codable, Equatable, Sendable {
    /// Seed of everything random in the run: weights, data order, noise.
    public var seed: UInt64
    /// Epochs at a constant learning rate.
    public var epochs: Int
    /// Further epochs with the rate decaying linearly to zero (CycleGAN's schedule).
    public var decayEpochs: Int
    public var batchSize: Int
    /// The optimizer of every network (each network has its own instance and state).
    public var optimizer: OptimizerSettings
    /// Optimizer steps of the whole run, when counted in steps rather than epochs (the text
    /// models' recipes): the run ends after this many, in whichever epoch that falls, and
    /// `epochs` is ignored. `nil` (every run before 2026-12-05) trains whole epochs.
    public var steps: Int? = nil
    /// In a data-parallel run, BatchNorm layers take their statistics over every process's share
    /// of the batch (PyTorch's `SyncBatchNorm`), so the run trains as one process with the whole
    /// batch would; `nil` or false: each process's own (PyTorch DDP's default). One process alone
    /// is not affected.
    public var syncBatchNorm: Bool? = nil

    public init(seed: UInt64 = 0, epochs: Int = 5, decayEpochs: Int = 0, batchSize: Int = 64,
                optimizer: OptimizerSettings = .adam(learningRate: 2e-4, betas: (0.5, 0.999))) {
        self.seed = seed
        self.epochs = epochs
        self.decayEpochs = decayEpochs
        self.batchSize = batchSize
        self.optimizer = optimizer
    }

    /// Every epoch of the run: constant-rate ones, then any linear-decay ones.
    public var totalEpochs: Int { epochs + decayEpochs }

    /// The learning rate of `epoch` (0-based): constant, or CycleGAN's linear decay.
    public func learningRate(epoch: Int) -> Double {
        guard decayEpochs > 0 else { return optimizer.learningRate }
        return LearningRateSchedule.linearDecay(constantEpochs: epochs, decayEpochs: decayEpochs)
            .learningRate(base: optimizer.learningRate, epoch: epoch)
    }

    /// Checks every value, with a message naming the option at fault (the one check of each).
    /// `newRun` adds the upper bounds, which runs of earlier releases need not meet.
    public func validate(newRun: Bool = false) throws {
        try checkRange(epochs, 1..., "--epochs")
        try checkRange(decayEpochs, 0..., "--decay-epochs")
        try checkRange(batchSize, 1..., "--batch-size")
        if let steps {
            try checkRange(steps, 1...1_000_000_000, "--total-steps")
            if decayEpochs > 0 {
                throw ConfigurationError(message: "--total-steps counts the run in steps; the epoch schedule's --decay-epochs \(decayEpochs) cannot go with it")
            }
        }
        if newRun {
            try checkRange(epochs, ...1_000_000, "--epochs")
            try checkRange(decayEpochs, ...1_000_000, "--decay-epochs")
            try checkRange(batchSize, ...65_536, "--batch-size")
        }
        do { try optimizer.validate() } catch { throw ConfigurationError(message: "\(error)") }
    }
}
