import DeepGen

/// A layer whose batch statistics can span every process of a data-parallel run: the trainer
/// hands it the run's group (``BatchNorm`` and a flow's batch normalization with
/// `--sync-batchnorm`, PyTorch's `SyncBatchNorm`; a data-dependent initialization always).
public protocol CrossProcessStatisticsLayer: AnyObject {
    /// The group the statistics span; `nil`: this process's own.
    var processGroup: (any ProcessGroupSum)? { get set }
    /// Whether every data-parallel run synchronizes it, not only one with `--sync-batchnorm`: a
    /// data-dependent initialization (ActNorm's), which one process makes from its whole first batch.
    var synchronizesAlways: Bool { get }
}

extension CrossProcessStatisticsLayer {
    public var synchronizesAlways: Bool { false }
}

extension BatchNorm: CrossProcessStatisticsLayer {}
