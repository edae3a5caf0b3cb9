import DeepGen
import DeepGenNN
import DeepGenOptimizers

/// An exponential moving average of a trained network's weights (a GAN's or CycleGAN's
/// generator with `--ema`): a second module of the same architecture, started as a copy and kept
/// in evaluation mode, moved toward the network after each of its updates; buffers are copied.
/// BatchNorm's copied running statistics belong to the trained weights, not the average's:
/// ``updateStatistics(batches:forward:)`` recomputes them before the average is used.
public final class WeightAverage {
    /// The averaged copy.
    public let module: Module
    let source: Module
    let rule: ExponentialMovingAverage

    /// `copy` must have `source`'s architecture; it takes `source`'s current weights.
    public init(of source: Module, into copy: Module, decay: Float) throws {
        try copy.load(stateDict: source.stateDict())
        copy.eval()
        module = copy
        self.source = source
        rule = ExponentialMovingAverage(decay: decay)
    }

    /// The average's parameters and buffers beside the network's, found once (the modules'
    /// structure never changes, and reflecting over it every step cost a measurable share).
    private lazy var pairs: (parameters: [(Parameter, Parameter)], buffers: [(Buffer, Buffer)]) = {
        let trained = Dictionary(uniqueKeysWithValues: source.namedParameters().map { ($0.0, $0.1) })
        let buffers = Dictionary(uniqueKeysWithValues: source.namedBuffers().map { ($0.0, $0.1) })
        return (module.namedParameters().compactMap { name, p in trained[name].map { (p, $0) } },
                module.namedBuffers().compactMap { name, b in buffers[name].map { (b, $0) } })
    }()

    /// Whether the BatchNorm statistics were recomputed for the current weights. False after
    /// each update and in a new instance (weights loaded from a file are restored before use).
    public private(set) var statisticsAreCurrent = false

    /// Recomputes the average's BatchNorm statistics unless they are current: `forward(i)` runs
    /// batch `i` of inputs through ``module`` (see ``recomputeBatchNormStatistics(of:batches:forward:)``).
    public func updateStatistics(batches: Int, forward: (Int) -> Void) {
        guard !statisticsAreCurrent else { return }
        recomputeBatchNormStatistics(of: module, batches: batches, forward: forward)
        statisticsAreCurrent = true
    }

    /// Moves the average toward the network after its update number `step` (1 for the first).
    public func update(step: Int) {
        statisticsAreCurrent = false
        let d = rule.decay(atUpdate: step)
        for (p, source) in pairs.parameters {
            // Taken out of the parameter, so the update writes in place instead of copying.
            var value = p.value
            p.value = Tensor(zeros: [0])
            ExponentialMovingAverage.update(&value, toward: source.value, decay: d)
            p.value = value
        }
        for (b, source) in pairs.buffers { b.value = source.value }
    }
}
