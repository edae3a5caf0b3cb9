import DeepGen

/// A batch from ``DataLoader``: the samples stacked along a new first axis, their labels, and
/// where in the run they came from.
public struct Batch: @unchecked Sendable {
    /// `[N] + sampleShape`, e.g. `[N, C, H, W]` for images or `[N, 2]` for 2-D points.
    public var images: Tensor
    /// One label per sample.
    public var labels: [Int]
    /// The second labels of an unpaired dataset's samples, else `nil`.
    public var secondLabels: [Int]?
    /// The dataset indices of the samples.
    public var indices: [Int]
    /// The epoch and the step within it that this batch is.
    public var epoch: Int
    public var step: Int

    /// The number of samples.
    public var count: Int { labels.count }

    /// Splits a ``TwoDomainDataset`` batch `[N, 2, C, H, W]` into its domains, each `[N, C, H, W]`.
    public func domains() -> (a: Tensor, b: Tensor) {
        precondition(images.rank >= 2 && images.shape[1] == 2, "[Batch.domains] expects [N, 2, ...], got \(images.shape)")
        let rest = Array(images.shape.dropFirst(2))
        return (images.sliced(axis: 1, 0..<1).reshaped([images.shape[0]] + rest),
                images.sliced(axis: 1, 1..<2).reshaped([images.shape[0]] + rest))
    }
}

/// Where a loader is in its run: enough to resume at exactly the next batch.
public struct LoaderState: Codable, Equatable, Sendable {
    /// The seed that fixes every epoch's order and augmentation.
    public var seed: UInt64
    /// The epoch of the next batch.
    public var epoch: Int
    /// The step within `epoch` of the next batch.
    public var step: Int

    public init(seed: UInt64, epoch: Int = 0, step: Int = 0) {
        self.seed = seed
        self.epoch = epoch
        self.step = step
    }
}
