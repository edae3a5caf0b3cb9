import DeepGenKernels

/// Sums over the processes of a data-parallel run, for statistics that span them (synchronized
/// BatchNorm). The trainer implements it on its MPI group; the engine itself knows no MPI.
public protocol ProcessGroupSum: AnyObject {
    /// Sums `values` element-wise over every process, in place (every process calls it at the same
    /// point of the same step). Returns false, the values left as they were, when the other
    /// processes cannot be reached: the caller goes on with its own, and the run's next collective
    /// (the gradients') reports the failure and stops it.
    func sumOverProcesses(_ values: UnsafeMutableBufferPointer<Double>) -> Bool
}

/// Where statistics that span the processes are taken per process instead.
public enum CrossProcessStatistics {
    @TaskLocal static var suspended = false

    /// Whether layers should take their statistics per process here.
    public static var isSuspended: Bool { suspended }

    /// Runs `body` with every synchronized layer using this process's own statistics: for work
    /// one process does alone within a step (a diagnosis of where a NaN arose), where a layer that
    /// waited for the others would wait for ever.
    public static func locally<R>(_ body: () throws -> R) rethrows -> R {
        try $suspended.withValue(true, operation: body)
    }
}

extension Tensor {
    /// ``channelNormalized(weight:bias:eps:)`` with each channel's mean and variance taken over
    /// every process's batch (PyTorch's `SyncBatchNorm`): one sum over the processes forward
    /// (count, Σx, Σx² per channel, in double precision) and one backward (Σdy, Σdy·(x − mean)).
    /// `weight` and `bias` get this process's share of their gradients, which the trainer then
    /// averages as it does every parameter's. Returns the statistics and how many values they
    /// span (the running variance's unbiased correction needs the global count).
    ///
    /// A backward pass that is itself recorded (a gradient penalty) is not supported: the
    /// families refuse `--sync-batchnorm` where one would pass through it.
    public func channelNormalized(
        weight: Tensor? = nil, bias: Tensor? = nil, eps: Float, across group: any ProcessGroupSum
    ) -> (output: Tensor, mean: Tensor, variance: Tensor, count: Int) {
        precondition(rank >= 2, "[channelNormalized] input \(shape) needs a channel axis 1")
        let channels = shape[1], outer = shape[0], inner = count / Swift.max(1, outer * channels)
        for (name, t) in [("weight", weight), ("bias", bias)] {
            if let t { precondition(t.shape == [channels], "[channelNormalized] \(name) shape \(t.shape) should be [\(channels)]") }
        }
        let x = self
        let (mean, variance, total) = x.crossProcessMoments(across: group)
        let invStd = Tensor(uninitializedShape: [channels])
        for c in 0..<channels { invStd.storage.pointer[c] = 1 / (variance.storage.pointer[c] + eps).squareRoot() }
        let y = Tensor(uninitializedShape: shape)
        ChannelNormalization.normalize(x.storage.pointer, outer: outer, channels: channels, inner: inner,
                                       mean: mean.storage.pointer, invStd: invStd.storage.pointer,
                                       weight: weight?.storage.pointer, bias: bias?.storage.pointer, output: y.storage.pointer)

        let inputs = [x] + [weight, bias].compactMap { $0 }
        let output = Tensor.record("channelNormalized(across processes)", y, inputs: inputs) { g in
            precondition(!GradMode.isEnabled, "[channelNormalized] a recorded backward pass (a gradient penalty) through synchronized BatchNorm is not supported")
            let sumDy = Tensor(uninitializedShape: [channels]), sumDyXc = Tensor(uninitializedShape: [channels])
            ChannelNormalization.gradientSums(x.storage.pointer, g.storage.pointer, outer: outer, channels: channels, inner: inner,
                                              mean: mean.storage.pointer, sumDy: sumDy.storage.pointer, sumDyXc: sumDyXc.storage.pointer)
            // This process's shares of the affine gradients, before the sums span the processes.
            let dw = weight.map { $0.needsGradient ? Tensor(uninitializedShape: [channels]) : nil } ?? nil
            let db = bias.map { $0.needsGradient ? Tensor(shape: [channels], scalars: Array(UnsafeBufferPointer(start: sumDy.storage.pointer, count: channels))) : nil } ?? nil
            if let dw { for c in 0..<channels { dw.storage.pointer[c] = sumDyXc.storage.pointer[c] * invStd.storage.pointer[c] } }
            var dx: Tensor?
            if x.needsGradient {
                var sums = [Double](repeating: 0, count: 2 * channels)
                for c in 0..<channels {
                    sums[c] = Double(sumDy.storage.pointer[c])
                    sums[channels + c] = Double(sumDyXc.storage.pointer[c])
                }
                _ = sums.withUnsafeMutableBufferPointer { group.sumOverProcesses($0) }
                for c in 0..<channels {
                    sumDy.storage.pointer[c] = Float(sums[c])
                    sumDyXc.storage.pointer[c] = Float(sums[channels + c])
                }
                let out = Tensor(uninitializedShape: x.shape)
                ChannelNormalization.inputGradient(x.storage.pointer, g.storage.pointer, outer: outer, channels: channels, inner: inner,
                                                   mean: mean.storage.pointer, invStd: invStd.storage.pointer, weight: weight?.storage.pointer,
                                                   sumDy: sumDy.storage.pointer, sumDyXc: sumDyXc.storage.pointer, count: total,
                                                   dx: out.storage.pointer)
                dx = out
            }
            return [dx] + (weight == nil ? [] : [dw]) + (bias == nil ? [] : [db])
        }
        return (output, mean, variance, total)
    }
}

extension Tensor {
    /// Each channel's variance (biased, as ``variance(axes:keepDims:unbiased:)``) and mean over
    /// every process's batch, the variance differentiable: for a term that every process's loss
    /// holds alike (a batch-norm flow's log-determinant). One sum over the processes forward
    /// (count, Σx, Σx² per channel) and one backward (the variance's upstream gradient), so this
    /// process's input gradient is that of the sum of every process's loss, as with
    /// ``channelNormalized(weight:bias:eps:across:)``: the trainer's average of the parameter
    /// gradients makes it one process's. A recorded backward pass is not supported.
    public func channelVariance(across group: any ProcessGroupSum) -> (variance: Tensor, mean: Tensor, count: Int) {
        precondition(rank >= 2, "[channelVariance] input \(shape) needs a channel axis 1")
        let channels = shape[1], outer = shape[0], inner = count / Swift.max(1, outer * channels)
        let x = self
        let (mean, values, total) = x.crossProcessMoments(across: group)
        let variance = Tensor.record("channelVariance(across processes)", values, inputs: [x]) { g in
            precondition(!GradMode.isEnabled, "[channelVariance] a recorded backward pass through statistics synchronized across processes is not supported")
            var sums = g.scalars.map(Double.init)
            _ = sums.withUnsafeMutableBufferPointer { group.sumOverProcesses($0) }
            let dx = Tensor(uninitializedShape: x.shape)
            let xs = x.storage.pointer, out = dx.storage.pointer
            for c in 0..<channels {
                let scale = Float(2 * sums[c] / Double(total)), m = mean.storage.pointer[c]
                for o in 0..<outer {
                    let base = (o * channels + c) * inner
                    for i in base ..< base + inner { out[i] = scale * (xs[i] - m) }
                }
            }
            return [dx]
        }
        return (variance, mean, total)
    }
}

extension Tensor {
    /// Each channel's mean and biased variance over every process's batch, and how many values
    /// they span: one sum of (count, Σx, Σx² per channel) in double precision, made from this
    /// process's exact two-pass moments (an offset mean keeps its digits).
    fileprivate func crossProcessMoments(across group: any ProcessGroupSum) -> (mean: Tensor, variance: Tensor, count: Int) {
        let channels = shape[1], outer = shape[0], inner = count / Swift.max(1, outer * channels)
        let mean = Tensor(uninitializedShape: [channels]), variance = Tensor(uninitializedShape: [channels])
        ChannelNormalization.moments(storage.pointer, outer: outer, channels: channels, inner: inner,
                                     mean: mean.storage.pointer, variance: variance.storage.pointer)
        let local = Double(outer * inner)
        var stats = [Double](repeating: 0, count: 1 + 2 * channels)
        stats[0] = local
        for c in 0..<channels {
            let m = Double(mean.storage.pointer[c]), v = Double(variance.storage.pointer[c])
            stats[1 + c] = local * m
            stats[1 + channels + c] = local * (v + m * m)
        }
        _ = stats.withUnsafeMutableBufferPointer { group.sumOverProcesses($0) }
        let total = Swift.max(1, Int(stats[0].rounded()))
        for c in 0..<channels {
            let m = stats[1 + c] / Double(total)
            mean.storage.pointer[c] = Float(m)
            variance.storage.pointer[c] = Float(Swift.max(0, stats[1 + channels + c] / Double(total) - m * m))
        }
        return (mean, variance, total)
    }
}
