import DeepGen

/// Minibatch standard deviation (Karras et al. 2018, ProGAN §3): appends one feature, the
/// average over features of each feature's standard deviation within a group of samples, so a
/// discriminator can see that a batch lacks variety (a collapsed generator's samples look alike).
///
/// Groups are runs of `groupSize` consecutive samples (the largest divisor of the batch not above
/// it): each sample's statistic depends on its own group only, so a batch split over processes in
/// whole groups computes exactly what one process computes. (StyleGAN's code groups samples with a
/// stride; consecutive ones are as random after a shuffle.) Input `[N, F]` gives `[N, F + 1]`;
/// `[N, C, H, W]` gives `[N, C + 1, H, W]`, the statistic repeated over H and W.
public final class MinibatchStandardDeviation: Module, Layer {
    public let groupSize: Int
    /// Keeps the square root's gradient finite when a group's samples agree exactly.
    public let epsilon: Float = 1e-8

    public init(groupSize: Int = 4) {
        precondition(groupSize >= 1, "[MinibatchStandardDeviation] group size \(groupSize) must be at least 1")
        self.groupSize = groupSize
    }

    /// The size of the groups a batch of `n` samples falls into.
    public func groupSize(forBatch n: Int) -> Int {
        (1...max(1, Swift.min(groupSize, n))).last { n % $0 == 0 } ?? 1
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 || x.rank == 4, "[MinibatchStandardDeviation] needs [N, F] or [N, C, H, W], got \(x.shape)")
        let n = x.shape[0], g = groupSize(forBatch: n)
        let features = x.count / Swift.max(n, 1)
        let grouped = x.reshaped([n / g, g, features])
        let deviation = (grouped.variance(axes: [1]) + epsilon).sqrt()      // [groups, features]
        let statistic = deviation.mean(axis: 1)                              // [groups]
        let spatial = x.rank == 4 ? [x.shape[2], x.shape[3]] : []
        let repeated = statistic.reshaped([n / g, 1, 1] + spatial.map { _ in 1 })
            .broadcast(to: [n / g, g, 1] + spatial)
            .reshaped([n, 1] + spatial)
        return Tensor.concat([x, repeated], axis: 1)
    }
}
