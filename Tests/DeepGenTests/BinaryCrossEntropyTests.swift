import Testing
import DeepGen
import _DeepGenTestSupport

/// The fused per-sample binary cross-entropy with logits: PyTorch's values
/// (`binary_cross_entropy.json` from Scripts/make_fixtures.py), finite differences, second
/// derivatives through its recorded backward pass, and the fused kernel against the composite
/// formula on a batch large enough for the vector body and several threads.
@Suite struct BinaryCrossEntropyTests {
    @Test func matchesPyTorch() {
        let cases = fixture("binary_cross_entropy")
        #expect(cases.count == 2)
        for c in cases {
            expectMatches(c, inputs: ["x", "t"], gradients: ["grad_x", "grad_t"]) { $0[0].binaryCrossEntropyRowSums(targets: $0[1]) }
        }
    }

    @Test func finiteDifferences() {
        let x = smooth([3, 21], seed: 41, scale: 2), t = positive([3, 21], seed: 42) / 2
        expectGradient("bce row sums", { $0[0].binaryCrossEntropyRowSums(targets: $0[1]) }, [x, t])
        let gradientNormSquared: ([Tensor]) -> Tensor = { xs in
            let y = xs[0].binaryCrossEntropyRowSums(targets: xs[1])
            let g = gradients(of: (y * y).sum() * 0.5, with: xs, createGraph: true)
            return g.map { $0.square().sum() }.reduce(Tensor(0)) { $0 + $1 }.reshaped([1])
        }
        expectGradient("bce row sums″", gradientNormSquared, [smooth([2, 5], seed: 43), positive([2, 5], seed: 44) / 2])
    }

    @Test func fusedMatchesComposite() {
        var rng = RandomGenerator(seed: 5)
        let x = (Tensor.normal([64, 1, 28, 28], using: &rng) * 8), t = Tensor.uniform([64, 1, 28, 28], low: 0, high: 1, using: &rng)
        let g = Tensor.normal([64], using: &rng)
        let a = x.requiringGrad(), b = x.requiringGrad()
        let fused = a.binaryCrossEntropyRowSums(targets: t)
        let composite = (b.softplus() - b * t).flattened(from: 1).sum(axis: 1)
        #expect(closeness(fused, composite, atol: 1e-3, rtol: 1e-5) == nil)
        let ga = gradients(of: (fused * g).sum(), with: [a])[0], gb = gradients(of: (composite * g).sum(), with: [b])[0]
        #expect(closeness(ga, gb, atol: 1e-6, rtol: 1e-5) == nil)
    }

    @Test func extremeLogits() {
        let x = Tensor(shape: [1, 4], scalars: [1000, -1000, 0, .nan]), t = Tensor(shape: [1, 4], scalars: [1, 0, 1, 0])
        let first3 = x.sliced(axis: 1, 0..<3).binaryCrossEntropyRowSums(targets: t.sliced(axis: 1, 0..<3)).scalar
        #expect(abs(first3 - 0.6931472) < 1e-6)  // only the logit 0 costs log 2
        #expect(x.binaryCrossEntropyRowSums(targets: t).scalar.isNaN)
    }
}
