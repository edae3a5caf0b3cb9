import DeepGen
import DeepGenNN

/// Activation normalization (Kingma & Dhariwal 2018): a per-channel affine map
/// `y = (x + bias)·exp(logs)` over axis 1 of `[N, C]` or `[N, C, H, W]`, whose parameters are
/// set by the first training batch so that its output has zero mean and unit variance per
/// channel (data-dependent initialization). `log |det J| = H·W·Σ logs`.
public final class ActNorm: Module, FlowLayer, CrossProcessStatisticsLayer {
    public let bias: Parameter
    public let logs: Parameter
    /// 1 once the data-dependent initialization has run (saved, so a resumed run keeps it).
    public let initialized: Buffer

    public var kind: String { "actnorm" }
    /// In a data-parallel run, the group whose whole first batch the initialization sees (as one
    /// process's does); `nil`: this process's own batch.
    public var processGroup: (any ProcessGroupSum)?
    public var synchronizesAlways: Bool { true }

    public init(channels: Int) {
        bias = Parameter(Tensor(zeros: [channels]))
        logs = Parameter(Tensor(zeros: [channels]))
        initialized = Buffer(Tensor(0))
    }

    /// The parameters' shape for broadcasting against an input of rank `rank`.
    private func view(_ p: Tensor, rank: Int) -> Tensor {
        rank == 2 ? p : p.reshaped([1, p.shape[0]] + [Int](repeating: 1, count: rank - 2))
    }

    private func check(_ x: Tensor) {
        precondition((x.rank == 2 || x.rank == 4) && x.shape[1] == bias.shape[0],
                     "[ActNorm] input \(x.shape) is not [N, \(bias.shape[0])] or [N, \(bias.shape[0]), H, W]")
    }

    /// Sets `bias` and `logs` from a batch: per channel, minus the mean and minus the log of
    /// the standard deviation (floored at 1e-6).
    func initialize(from x: Tensor) {
        withoutGrad {
            let axes = [0] + Array(2..<x.rank)
            let (mean, std): (Tensor, Tensor)
            if let group = processGroup, !CrossProcessStatistics.isSuspended {
                let statistics = x.channelVariance(across: group)
                (mean, std) = (statistics.mean, statistics.variance.sqrt())
            } else {
                (mean, std) = (x.mean(axes: axes), x.variance(axes: axes).sqrt())
            }
            bias.value = -mean
            logs.value = -(std.clamped(min: 1e-6)).log()
            initialized.value = Tensor(1)
        }
    }

    public func forward(_ x: Tensor) -> (y: Tensor, logDet: Tensor) {
        check(x)
        if isTraining && initialized.value.scalar == 0 { initialize(from: x) }
        let spatial = Float(x.shape.dropFirst(2).reduce(1, *))
        let y = (x + view(bias.value, rank: x.rank)) * view(logs.value, rank: x.rank).exp()
        let logDet = Tensor(ones: [x.shape[0]]) * (logs.value.sum() * spatial)
        return (y, logDet)
    }

    public func inverse(_ y: Tensor) -> Tensor {
        check(y)
        return y * view(-logs.value, rank: y.rank).exp() - view(bias.value, rank: y.rank)
    }
}
