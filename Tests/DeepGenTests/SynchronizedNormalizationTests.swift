import Foundation
import Testing
import DeepGen
import _DeepGenTestSupport

/// Synchronized BatchNorm (`channelNormalized(…, across:)`) on two "processes" (threads that meet
/// in a shared sum): each normalizes its half of the batch with the whole batch's statistics, so
/// outputs and input gradients equal the fused op's on the whole batch, and the affine gradients
/// are shares that sum to the whole batch's.
@Suite struct SynchronizedNormalizationTests {
    /// Two callers meet in each sum: the first waits for the second, and both leave with the total.
    final class TwoPartySum: ProcessGroupSum, @unchecked Sendable {
        private let condition = NSCondition()
        private var first: [Double]?
        private var total: [Double] = []
        private var round = 0
        private(set) var sums = 0

        func sumOverProcesses(_ values: UnsafeMutableBufferPointer<Double>) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            if let waiting = first {
                precondition(waiting.count == values.count, "the two parties summed different lengths")
                total = zip(waiting, values).map { $0 + $1 }
                first = nil
                round += 1
                sums += 1
                condition.broadcast()
            } else {
                first = Array(values)
                let mine = round
                while round == mine { condition.wait() }
            }
            for i in values.indices { values[i] = total[i] }
            return true
        }
    }

    /// A group whose processes cannot be reached.
    final class Unreachable: ProcessGroupSum {
        func sumOverProcesses(_ values: UnsafeMutableBufferPointer<Double>) -> Bool { false }
    }

    struct Half {
        var output: Tensor, mean: Tensor, variance: Tensor, count: Int
        var gradients: [Tensor]
    }

    /// Each half of `x` (split on the batch axis) on its own thread, with gradients of
    /// Σ output·projection for its half of `projection`.
    func twoParties(_ x: Tensor, _ w: Tensor, _ b: Tensor, _ projection: Tensor, backward: Bool = true) -> [Half] {
        let group = TwoPartySum()
        let n = x.shape[0] / 2
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var halves = [Half?](repeating: nil, count: 2)
        }
        let results = Results()
        let done = DispatchGroup()
        for part in 0..<2 {
            let range = part == 0 ? 0..<n : n..<x.shape[0]
            let xs = x.sliced(axis: 0, range), ps = projection.sliced(axis: 0, range)
            done.enter()
            Thread {
                let leaves = [xs, w, b].map { $0.requiringGrad() }
                let (y, mean, variance, count) = leaves[0].channelNormalized(weight: leaves[1], bias: leaves[2], eps: 1e-5, across: group)
                let g = backward ? gradients(of: (y * ps).sum(), with: leaves) : []
                let half = Half(output: y.detached(), mean: mean, variance: variance, count: count, gradients: g)
                results.lock.lock()
                results.halves[part] = half
                results.lock.unlock()
                done.leave()
            }.start()
        }
        done.wait()
        return results.lock.withLock { results.halves.map { $0! } }
    }

    static let shapes: [[Int]] = [[6, 5], [4, 3, 5, 5], [4, 2, 37]]

    @Test(arguments: shapes) func halvesEqualTheWholeBatch(shape: [Int]) {
        let x = smooth(shape, seed: 70, scale: 3) + 4  // an offset mean: the statistics' Σx² must keep its digits
        let c = shape[1]
        let w = smooth([c], seed: 71), b = smooth([c], seed: 72)
        var rng = RandomGenerator(seed: 73)
        let p = Tensor.normal(shape, using: &rng)
        let halves = twoParties(x, w, b, p)

        let leaves = [x, w, b].map { $0.requiringGrad() }
        let whole = leaves[0].channelNormalized(weight: leaves[1], bias: leaves[2], eps: 1e-5)
        let reference = gradients(of: (whole.output * p).sum(), with: leaves)

        #expect(closeness(Tensor.concat([halves[0].output, halves[1].output], axis: 0), whole.output.detached(), atol: 1e-4, rtol: 1e-4) == nil)
        for h in halves {
            #expect(h.count == x.count / c)
            #expect(closeness(h.mean, whole.mean, atol: 1e-5, rtol: 1e-5) == nil)
            #expect(closeness(h.variance, whole.variance, atol: 1e-4, rtol: 1e-4) == nil)
        }
        let dx = Tensor.concat([halves[0].gradients[0], halves[1].gradients[0]], axis: 0)
        #expect(closeness(dx, reference[0], atol: 1e-4, rtol: 1e-3) == nil, "dx for \(shape)")
        #expect(closeness(halves[0].gradients[1] + halves[1].gradients[1], reference[1], atol: 1e-4, rtol: 1e-3) == nil, "dweight for \(shape)")
        #expect(closeness(halves[0].gradients[2] + halves[1].gradients[2], reference[2], atol: 1e-4, rtol: 1e-3) == nil, "dbias for \(shape)")
    }

    /// `analytic` against central differences of `loss` at every fifth element of `x`.
    func expectCentralDifferences(_ x: Tensor, analytic: [Float], _ loss: (Tensor) -> Double) {
        for i in stride(from: 0, to: x.count, by: 5) {
            var plus = x, minus = x
            plus.withUnsafeMutableBufferPointer { $0[i] += 1e-2 }
            minus.withUnsafeMutableBufferPointer { $0[i] -= 1e-2 }
            let h = Double(plus.scalars[i]) - Double(minus.scalars[i])
            let numeric = (loss(plus) - loss(minus)) / h
            #expect(abs(Double(analytic[i]) - numeric) <= 2e-3 + 2e-2 * abs(numeric), "element \(i): analytic \(analytic[i]), numeric \(numeric)")
        }
    }

    /// The input gradient by central differences of the two parties' forward passes.
    @Test func inputGradientByFiniteDifferences() {
        let shape = [4, 3, 2, 3]
        let x = smooth(shape, seed: 80, scale: 2)
        let w = smooth([3], seed: 81), b = smooth([3], seed: 82)
        var rng = RandomGenerator(seed: 83)
        let p = Tensor.normal(shape, using: &rng)
        let analytic = Tensor.concat(twoParties(x, w, b, p).map { $0.gradients[0] }, axis: 0).scalars
        func loss(_ x: Tensor) -> Double {
            let y = Tensor.concat(twoParties(x, w, b, p, backward: false).map(\.output), axis: 0)
            return zip(y.scalars, p.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        expectCentralDifferences(x, analytic: analytic, loss)
    }

    /// Each half of `x` on its own thread: the synchronized variance, and the input gradient of
    /// Σ variance·q (the term every process's loss holds alike).
    func twoPartyVariances(_ x: Tensor, _ q: Tensor, backward: Bool = true) -> [(variance: Tensor, mean: Tensor, count: Int, dx: Tensor?)] {
        let group = TwoPartySum()
        let n = x.shape[0] / 2
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var halves = [(variance: Tensor, mean: Tensor, count: Int, dx: Tensor?)?](repeating: nil, count: 2)
        }
        let results = Results()
        let done = DispatchGroup()
        for part in 0..<2 {
            let xs = x.sliced(axis: 0, part == 0 ? 0..<n : n..<x.shape[0])
            done.enter()
            Thread {
                let leaf = xs.requiringGrad()
                let (variance, mean, count) = leaf.channelVariance(across: group)
                let dx = backward ? gradients(of: (variance * q).sum(), with: [leaf])[0] : nil
                results.lock.withLock { results.halves[part] = (variance.detached(), mean, count, dx) }
                done.leave()
            }.start()
        }
        done.wait()
        return results.lock.withLock { results.halves.map { $0! } }
    }

    /// The synchronized variance is the whole batch's, and each half's input gradient is that of
    /// both processes' losses (twice one process's, which the trainer's average of the parameter
    /// gradients halves).
    @Test(arguments: shapes) func varianceHalvesEqualTheWholeBatch(shape: [Int]) {
        let x = smooth(shape, seed: 74, scale: 3) + 4
        let q = smooth([shape[1]], seed: 75)
        let halves = twoPartyVariances(x, q)
        let axes = [0] + Array(2..<shape.count)
        let leaf = x.requiringGrad()
        let whole = leaf.variance(axes: axes)
        let reference = gradients(of: (whole * q).sum(), with: [leaf])[0]
        for h in halves {
            #expect(h.count == x.count / shape[1])
            #expect(closeness(h.variance, whole.detached(), atol: 1e-4, rtol: 1e-4) == nil)
            #expect(closeness(h.mean, x.mean(axes: axes), atol: 1e-5, rtol: 1e-5) == nil)
        }
        let dx = Tensor.concat(halves.map { $0.dx! }, axis: 0)
        #expect(closeness(dx, 2 * reference, atol: 1e-4, rtol: 1e-3) == nil, "dx for \(shape)")
    }

    /// The input gradient by central differences of both parties' Σ variance·q.
    @Test func varianceGradientByFiniteDifferences() {
        let shape = [4, 3, 2, 3]
        let x = smooth(shape, seed: 84, scale: 2)
        let q = smooth([3], seed: 85)
        let analytic = Tensor.concat(twoPartyVariances(x, q).map { $0.dx! }, axis: 0).scalars
        func loss(_ x: Tensor) -> Double {
            twoPartyVariances(x, q, backward: false).reduce(0.0) { total, h in
                total + zip(h.variance.scalars, q.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
        }
        expectCentralDifferences(x, analytic: analytic, loss)
    }

    /// Unreachable processes: each goes on with its own statistics (the run's gradient sum then
    /// reports the failure).
    @Test func unreachableProcessesFallBackToTheLocalBatch() {
        let x = smooth([4, 3, 3, 3], seed: 90, scale: 2)
        let synced = x.channelNormalized(eps: 1e-5, across: Unreachable())
        let local = x.channelNormalized(eps: 1e-5)
        #expect(closeness(synced.output, local.output, atol: 1e-5, rtol: 1e-5) == nil)
        #expect(synced.count == 4 * 9)
        let variance = x.channelVariance(across: Unreachable())
        #expect(closeness(variance.variance, x.variance(axes: [0, 2, 3]), atol: 1e-5, rtol: 1e-5) == nil)
    }
}
