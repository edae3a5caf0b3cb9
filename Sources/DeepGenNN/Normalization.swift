import DeepGen

/// Batch normalization over all axes but the channel axis 1 (PyTorch's `BatchNorm1d` and
/// `BatchNorm2d` share this; use ``BatchNorm1d`` or ``BatchNorm2d`` to check the input rank).
///
/// Training normalizes with the batch's biased variance and updates the running variance with
/// the unbiased one, as PyTorch does; evaluation uses the running statistics.
public class BatchNorm: Module, Layer {
    public let weight: Parameter?
    public let bias: Parameter?
    public let runningMean: Buffer?
    public let runningVar: Buffer?
    public let numBatchesTracked: Buffer?
    public let eps: Float
    /// Weight of the newest batch in the running averages; `nil` for a cumulative average.
    /// Settable, as in PyTorch, so statistics can be recomputed as an exact average
    /// (``recomputeBatchNormStatistics(of:batches:forward:)``).
    public var momentum: Float?
    /// When set, training takes each channel's statistics over every process of a data-parallel
    /// run (PyTorch's `SyncBatchNorm`; `deepgen train --sync-batchnorm`); `nil`, each process's own.
    public var processGroup: (any ProcessGroupSum)?
    let allowedRanks: Set<Int>

    init(_ features: Int, eps: Float, momentum: Float?, affine: Bool, trackRunningStats: Bool, ranks: Set<Int>) {
        weight = affine ? Parameter(Tensor(ones: [features])) : nil
        bias = affine ? Parameter(Tensor(zeros: [features])) : nil
        runningMean = trackRunningStats ? Buffer(Tensor(zeros: [features])) : nil
        runningVar = trackRunningStats ? Buffer(Tensor(ones: [features])) : nil
        numBatchesTracked = trackRunningStats ? Buffer(Tensor(0)) : nil
        self.eps = eps; self.momentum = momentum; allowedRanks = ranks
    }


    public func forward(_ x: Tensor) -> Tensor {
        precondition(allowedRanks.contains(x.rank) && x.shape[1] == channelCount,
                     "[\(type(of: self))] input \(x.shape) should have rank \(allowedRanks.sorted()) with \(channelCount) channels on axis 1")
        if isTraining || runningMean == nil {
            let synchronized = isTraining && processGroup != nil && !CrossProcessStatistics.isSuspended
            // Synchronized, one value per channel here is fine: the statistics span every process's.
            precondition(synchronized || x.count / channelCount > 1,
                         "[\(type(of: self))] training needs more than one value per channel, got input \(x.shape)")
            let (y, mean, variance, count) = synchronized
                ? x.channelNormalized(weight: weight?.value, bias: bias?.value, eps: eps, across: processGroup!)
                : { let r = x.channelNormalized(weight: weight?.value, bias: bias?.value, eps: eps); return (r.0, r.1, r.2, x.count / channelCount) }()
            if isTraining, let rm = runningMean, let rv = runningVar, let nbt = numBatchesTracked {
                withoutGrad {
                    let n = Float(count)
                    nbt.value = nbt.value + 1
                    let m = momentum ?? 1 / nbt.value.scalar
                    rm.value = (1 - m) * rm.value + m * mean
                    rv.value = (1 - m) * rv.value + m * variance * (n / Swift.max(n - 1, 1))
                }
            }
            return y
        }
        var statShape = [Int](repeating: 1, count: x.rank); statShape[1] = channelCount
        let mean = runningMean!.value.reshaped(statShape)
        let variance = runningVar!.value.reshaped(statShape)
        var y = (x - mean) / (variance + eps).sqrt()
        if let weight, let bias { y = y * weight.value.reshaped(statShape) + bias.value.reshaped(statShape) }
        return y
    }

    var channelCount: Int { weight?.shape[0] ?? runningMean?.shape[0] ?? 0 }
}

/// Batch normalization of `[N, C]` or `[N, C, L]` input.
public final class BatchNorm1d: BatchNorm {
    public init(_ features: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        precondition(affine || trackRunningStats, "[BatchNorm1d] needs affine or running statistics to know its size")
        super.init(features, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats, ranks: [2, 3])
    }
}

/// Batch normalization of NCHW input.
public final class BatchNorm2d: BatchNorm {
    public init(_ features: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        precondition(affine || trackRunningStats, "[BatchNorm2d] needs affine or running statistics to know its size")
        super.init(features, eps: eps, momentum: momentum, affine: affine, trackRunningStats: trackRunningStats, ranks: [4])
    }
}

/// Instance normalization: each sample's channel normalized over its own H×W (PyTorch's
/// `InstanceNorm2d`, default `affine: false`, no running statistics), as CycleGAN uses it.
public final class InstanceNorm2d: Module, Layer {
    public let weight: Parameter?
    public let bias: Parameter?
    public let eps: Float
    public let features: Int

    public init(_ features: Int, eps: Float = 1e-5, affine: Bool = false) {
        self.features = features
        weight = affine ? Parameter(Tensor(ones: [features])) : nil
        bias = affine ? Parameter(Tensor(zeros: [features])) : nil
        self.eps = eps
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == features, "[InstanceNorm2d] input \(x.shape) should be NCHW with \(features) channels")
        // Each sample's channel is one "channel" of the fused normalization.
        let n = x.shape[0]
        var y = x.reshaped([1, n * features, x.shape[2], x.shape[3]]).channelNormalized(eps: eps).output.reshaped(x.shape)
        if let weight, let bias {
            y = y * weight.value.reshaped([1, features, 1, 1]) + bias.value.reshaped([1, features, 1, 1])
        }
        return y
    }
}

/// Layer normalization over the last axis (PyTorch's `nn.LayerNorm(width)`, or nanoGPT's with
/// `bias=False`): `weight` starts at ones and `bias`, when present, at zeros.
public final class LayerNorm: Module, Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let eps: Float

    public init(_ width: Int, bias: Bool = true, eps: Float = 1e-5) {
        weight = Parameter(Tensor(ones: [width]))
        self.bias = bias ? Parameter(Tensor(zeros: [width])) : nil
        self.eps = eps
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 1 && x.shape.last == weight.shape[0], "[LayerNorm] input \(x.shape) does not end in \(weight.shape[0]) features")
        return x.layerNormalized(weight: weight.value, bias: bias?.value, eps: eps)
    }
}
