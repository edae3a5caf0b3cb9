import Foundation

/// How the learning rate changes with the epoch, each matching a PyTorch scheduler.
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// The base rate throughout.
    case constant
    /// `torch.optim.lr_scheduler.StepLR`: multiplied by `gamma` every `stepSize` epochs.
    case step(stepSize: Int, gamma: Double)
    /// CycleGAN's linear policy (its `lambda_rule` under `LambdaLR`): the base rate for
    /// `constantEpochs`, then linearly down to zero over `decayEpochs`; `startEpoch` is
    /// CycleGAN's `epoch_count` (1 unless resuming its way). Past the end the rate stays zero,
    /// where CycleGAN's formula would turn negative.
    case linearDecay(constantEpochs: Int, decayEpochs: Int, startEpoch: Int = 1)
    /// `torch.optim.lr_scheduler.CosineAnnealingLR`: from the base rate down to `minimum` over
    /// `period` epochs along half a cosine (and back up after, as PyTorch does).
    case cosine(period: Int, minimum: Double)

    /// The learning rate at `epoch` (0 for the first epoch, as PyTorch's `last_epoch`).
    public func learningRate(base: Double, epoch: Int) -> Double {
        switch self {
        case .constant:
            return base
        case let .step(stepSize, gamma):
            return base * pow(gamma, Double(epoch / stepSize))
        case let .linearDecay(constantEpochs, decayEpochs, startEpoch):
            // lr_l = 1.0 - max(0, epoch + opt.epoch_count - opt.n_epochs) / float(opt.n_epochs_decay + 1)
            let factor = 1 - Double(max(0, epoch + startEpoch - constantEpochs)) / Double(decayEpochs + 1)
            return base * max(0, factor)
        case let .cosine(period, minimum):
            return minimum + (base - minimum) * (1 + cos(Double.pi * Double(epoch) / Double(period))) / 2
        }
    }
}

/// A schedule with its base rate and position; `Codable`, so a checkpoint can store it under
/// `CheckpointKey.learningRateSchedule` and a resumed run continues where it stopped.
public struct LearningRateScheduler: Codable, Equatable, Sendable {
    public var schedule: LearningRateSchedule
    public var baseLearningRate: Double
    /// Completed epochs (PyTorch's `last_epoch`).
    public private(set) var epoch: Int

    /// - Parameters:
    ///   - schedule: The shape of the schedule.
    ///   - baseLearningRate: The rate at epoch 0.
    ///   - epoch: The position to start from.
    public init(_ schedule: LearningRateSchedule, baseLearningRate: Double, epoch: Int = 0) {
        if case .step(let size, _) = schedule { precondition(size > 0, "[LearningRateScheduler] step size must be positive") }
        if case .cosine(let period, _) = schedule { precondition(period > 0, "[LearningRateScheduler] period must be positive") }
        if case .linearDecay(_, let decay, _) = schedule { precondition(decay >= 0, "[LearningRateScheduler] negative decay epochs") }
        self.schedule = schedule
        self.baseLearningRate = baseLearningRate
        self.epoch = epoch
    }

    /// The rate for the current epoch.
    public var learningRate: Double { schedule.learningRate(base: baseLearningRate, epoch: epoch) }

    /// Moves to the next epoch (call once per epoch, after it, as `scheduler.step()`).
    public mutating func step() { epoch += 1 }

    /// Sets `optimizer`'s learning rate to the current one.
    public func apply<O: Optimizer>(to optimizer: inout O) { optimizer.learningRate = learningRate }
}
