import DeepGen
import DeepGenNN

/// Batch normalization as a flow layer (Dinh et al. 2017, §3.7), over axis 1 of `[N, C]` or
/// `[N, C, H, W]`: `y = (x − μ)/√(σ² + ε)·exp(logGamma) + beta` with
/// `log |det J| = H·W·Σ (logGamma − ½ log(σ² + ε))`. Training uses the batch's mean and biased
/// variance (the log-determinant's gradient goes through σ²) and updates running averages;
/// evaluation and the inverse use the running averages.
public final class BatchNormFlow: Module, FlowLayer, CrossProcessStatisticsLayer {
    public let logGamma: Parameter
    public let beta: Parameter
    public let runningMean: Buffer
    public let runningVar: Buffer
    let eps: Float
    /// Weight of each new batch in the running averages.
    let momentum: Float

    public var kind: String { "batch normalization" }
    /// With `--sync-batchnorm` in a data-parallel run, the group whose whole batch the statistics
    /// (and so the log-determinant) span; `nil`: this process's own.
    public var processGroup: (any ProcessGroupSum)?

    public init(channels: Int, eps: Float = 1e-5, momentum: Float = 0.05) {
        logGamma = Parameter(Tensor(zeros: [channels]))
        beta = Parameter(Tensor(zeros: [channels]))
        runningMean = Buffer(Tensor(zeros: [channels]))
        runningVar = Buffer(Tensor(ones: [channels]))
        self.eps = eps
        self.momentum = momentum
    }

    private func view(_ p: Tensor, rank: Int) -> Tensor {
        rank == 2 ? p : p.reshaped([1, p.shape[0]] + [Int](repeating: 1, count: rank - 2))
    }

    private func check(_ x: Tensor) {
        let c = logGamma.shape[0]
        precondition((x.rank == 2 || x.rank == 4) && x.shape[1] == c, "[BatchNormFlow] input \(x.shape) is not [N, \(c)] or [N, \(c), H, W]")
    }

    public func forward(_ x: Tensor) -> (y: Tensor, logDet: Tensor) {
        check(x)
        let spatial = Float(x.shape.dropFirst(2).reduce(1, *))
        let n = x.shape[0]
        guard isTraining else {
            let invStd = view(1 / (runningVar.value + eps).sqrt(), rank: x.rank)
            let y = (x - view(runningMean.value, rank: x.rank)) * invStd * view(logGamma.value.exp(), rank: x.rank) + view(beta.value, rank: x.rank)
            let logDet = (logGamma.value - 0.5 * (runningVar.value + eps).log()).sum() * spatial
            return (y, Tensor(ones: [n]) * logDet)
        }
        let y: Tensor, mean: Tensor, variance: Tensor
        if let group = processGroup, !CrossProcessStatistics.isSuspended {
            // The whole batch's statistics; the variance's gradient spans the processes too.
            (y, mean, _, _) = x.channelNormalized(weight: logGamma.value.exp(), bias: beta.value, eps: eps, across: group)
            variance = x.channelVariance(across: group).variance
        } else {
            precondition(x.count / x.shape[1] > 1, "[BatchNormFlow] training needs more than one value per channel, got \(x.shape)")
            // The fused normalization for y; the variance again in differentiable ops for log|det J|.
            (y, mean, _) = x.channelNormalized(weight: logGamma.value.exp(), bias: beta.value, eps: eps)
            variance = x.variance(axes: [0] + Array(2..<x.rank))
        }
        withoutGrad {
            runningMean.value = (1 - momentum) * runningMean.value + momentum * mean
            runningVar.value = (1 - momentum) * runningVar.value + momentum * variance.detached()
        }
        let logDet = (logGamma.value - 0.5 * (variance + eps).log()).sum() * spatial
        return (y, Tensor(ones: [n]) * logDet)
    }

    public func inverse(_ y: Tensor) -> Tensor {
        check(y)
        let std = view((runningVar.value + eps).sqrt(), rank: y.rank)
        return (y - view(beta.value, rank: y.rank)) * view((-logGamma.value).exp(), rank: y.rank) * std + view(runningMean.value, rank: y.rank)
    }
}
