import DeepGen
import DeepGenNN
import Foundation
import Testing
import _DeepGenTestSupport

/// The minibatch standard deviation: against a loop over the formula, PyTorch's autograd
/// (Scripts/make_minibatch_stddev_fixtures.py), finite differences, and its group rule.
struct MinibatchStandardDeviationTests {
    /// The statistic of each sample's group, computed one number at a time in Double.
    static func naiveStatistics(_ x: Tensor, group g: Int) -> [Float] {
        let n = x.shape[0], f = x.count / n, v = x.scalars
        return (0..<n).map { i in
            let first = i / g * g
            var total = 0.0
            for j in 0..<f {
                let values = (first..<first + g).map { Double(v[$0 * f + j]) }
                let mean = values.reduce(0, +) / Double(g)
                let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(g)
                total += (variance + 1e-8).squareRoot()
            }
            return Float(total / Double(f))
        }
    }

    @Test(arguments: [[8, 5], [8, 3, 2, 3], [12, 2, 3, 3]])
    func appendsEachGroupsAverageDeviation(_ shape: [Int]) {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.normal(shape, using: &rng)
        let y = MinibatchStandardDeviation(groupSize: 4)(x)
        var expectedShape = shape
        expectedShape[1] += 1
        #expect(y.shape == expectedShape)
        let statistics = Self.naiveStatistics(x, group: 4)
        let n = shape[0], perSample = y.count / n, perInput = x.count / n
        let out = y.scalars, input = x.scalars
        for i in 0..<n {
            // The input passes through unchanged; the new channel repeats the group's statistic.
            #expect(Array(out[i * perSample..<i * perSample + perInput]) == Array(input[i * perInput..<(i + 1) * perInput]))
            for value in out[i * perSample + perInput..<(i + 1) * perSample] {
                #expect(abs(value - statistics[i]) <= 1e-5 * max(1, abs(statistics[i])), "sample \(i): \(value) vs \(statistics[i])")
            }
        }
    }

    @Test(arguments: ["flat", "image", "uneven", "single"])
    func matchesPyTorch(_ name: String) throws {
        let url = try #require(Bundle.module.url(forResource: "minibatch_stddev", withExtension: "safetensors", subdirectory: "Fixtures"))
        let file = try SafetensorsFile(contentsOf: url).tensors
        let x = try #require(file[name + ".x"]).requiringGrad()
        let g = try #require(file[name + ".g"])
        let y = MinibatchStandardDeviation(groupSize: 4)(x)
        #expect(closeness(y.detached(), try #require(file[name + ".out"]), atol: 1e-5, rtol: 1e-4) == nil, "\(name) output")
        let grad = gradients(of: (y * g).sum(), with: [x])[0]
        #expect(closeness(grad, try #require(file[name + ".grad"]), atol: 1e-4, rtol: 1e-3) == nil, "\(name) gradient")
    }

    @Test func gradientsMatchFiniteDifferences() {
        var rng = RandomGenerator(seed: 5)
        let layer = MinibatchStandardDeviation(groupSize: 4)
        for shape in [[8, 3], [4, 2, 2, 3], [6, 2, 2, 2]] {
            let x = Tensor.normal(shape, using: &rng)
            let result = gradientCheck({ layer($0[0]) }, at: [x])
            #expect(result.worstRatio <= 1, "\(shape): \(result)")
        }
    }

    /// Gradient penalties differentiate the discriminator's input gradient again (R1, WGAN-GP).
    @Test func secondDerivativesMatchFiniteDifferences() {
        var rng = RandomGenerator(seed: 6)
        let layer = MinibatchStandardDeviation(groupSize: 2)
        let x = Tensor.normal([4, 3], using: &rng)
        let result = gradientCheck({ inputs in
            let input = inputs[0]
            let inner = gradients(of: layer(input).square().sum(), with: [input], createGraph: true)[0]
            return inner.square().sum()
        }, at: [x])
        #expect(result.worstRatio <= 1, "\(result)")
    }

    @Test func groupsAreRunsOfTheLargestDivisorNotAboveTheGroupSize() {
        let layer = MinibatchStandardDeviation(groupSize: 4)
        #expect([64, 6, 5, 3, 1, 9].map(layer.groupSize(forBatch:)) == [4, 3, 1, 3, 1, 3])
        // A batch split in whole groups: each half computes what the whole batch computes.
        var rng = RandomGenerator(seed: 9)
        let x = Tensor.normal([8, 2, 3, 3], using: &rng)
        let whole = layer(x).scalars
        let halves = layer(x.sliced(axis: 0, 0..<4)).scalars + layer(x.sliced(axis: 0, 4..<8)).scalars
        #expect(whole == halves)
    }
}
