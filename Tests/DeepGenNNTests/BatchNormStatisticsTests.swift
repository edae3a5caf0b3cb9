import Testing
import DeepGen
import DeepGenNN

/// Recomputed BatchNorm statistics (what a generator's weight average samples with): the exact
/// average of the batches' means and unbiased variances, with nothing else changed.
@Suite struct BatchNormStatisticsTests {
    @Test func theyAreTheBatchesAverageAndNothingElseChanges() {
        var rng = RandomGenerator(seed: 4)
        let linear = Linear(3, 4, using: &rng)
        let norm = BatchNorm1d(4)
        let net = Sequential([linear, norm])
        // Some training first, so the statistics and the counter hold other values.
        for _ in 0..<3 { _ = net(Tensor.normal([8, 3], using: &rng)) }
        net.eval()
        let weights = net.namedParameters().map { $0.1.value.scalars }
        let batches = (0..<3).map { _ in Tensor.normal([5, 3], using: &rng) * 2 + 1 }

        recomputeBatchNormStatistics(of: net, batches: batches.count) { i in _ = net(batches[i]) }

        var mean = [Double](repeating: 0, count: 4), variance = mean
        for x in batches {
            let y: [Double] = withoutGrad { linear(x) }.scalars.map { Double($0) }
            for c in 0..<4 {
                let column: [Double] = (0..<5).map { y[$0 * 4 + c] }
                let m: Double = column.reduce(0, +) / 5
                let squares: Double = column.map { ($0 - m) * ($0 - m) }.reduce(0, +)
                mean[c] += m / 3
                variance[c] += squares / 4 / 3
            }
        }
        for c in 0..<4 {
            #expect(abs(Double(norm.runningMean!.value.scalars[c]) - mean[c]) <= 1e-5 * (1 + abs(mean[c])), "mean \(c)")
            #expect(abs(Double(norm.runningVar!.value.scalars[c]) - variance[c]) <= 1e-5 * (1 + variance[c]), "variance \(c)")
        }
        #expect(norm.momentum == 0.1)
        #expect(norm.numBatchesTracked!.value.scalar == 3)
        #expect(!net.isTraining && !norm.isTraining)
        #expect(net.namedParameters().map { $0.1.value.scalars } == weights)
    }

    @Test func aModuleWithoutBatchNormIsNotRun() {
        var rng = RandomGenerator(seed: 1)
        var calls = 0
        recomputeBatchNormStatistics(of: Sequential([Linear(2, 2, using: &rng), Tanh()]), batches: 4) { _ in calls += 1 }
        #expect(calls == 0)
    }
}
