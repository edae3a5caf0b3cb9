import Testing
import DeepGen
import _DeepGenTestSupport

@Suite struct AutogradTests {
    @Test func deepChainHasNoRecursionLimit() {
        // 200,000 recorded ops: topological sort and deallocation must both be iterative.
        let x = Tensor([0.5, -0.25]).requiringGrad()
        var y = x
        for _ in 0..<200_000 { y = y * 1.0 }
        let g = gradients(of: y.sum(), with: [x])[0]
        #expect(g.scalars == [1, 1])
    }

    /// Gradient shares are summed into the first share's buffer only when nothing else holds it:
    /// a seed the caller passed in (add's backward hands it on unchanged to both uses of `x`)
    /// keeps its values, and the sums are the plain additions.
    @Test func summingSharesNeverWritesIntoACallersTensor() {
        let x = Tensor([1, 2, 3]).requiringGrad()
        let seed = Tensor([0.5, -1, 2])
        let g = gradients(of: x + x, with: [x], seed: seed)[0]
        #expect(g.scalars == [1, -2, 4] && seed.scalars == [0.5, -1, 2])
        // A residual chain: every block adds a share to the stream's gradient.
        var h = x
        for k in 1...4 { h = h + (h * Float(k)).tanh() }
        let gx = gradients(of: h.sum(), with: [x])[0]
        let eps: Float = 1e-3
        for i in 0..<3 {
            func f(_ d: Float) -> Float {
                var v = Tensor([1, 2, 3]).scalars
                v[i] += d
                var t = Tensor(v)
                for k in 1...4 { t = t + (t * Float(k)).tanh() }
                return t.sum().scalar
            }
            #expect(abs(gx.scalars[i] - (f(eps) - f(-eps)) / (2 * eps)) < 2e-2)
        }
    }

    @Test func noGradScopeAndDetach() {
        let x = Tensor([1, 2, 3]).requiringGrad()
        let y = withoutGrad { x * 2 }
        #expect(!y.requiresGrad)
        #expect(!(x * 2).detached().requiresGrad)
        #expect((x * 2).requiresGrad)
        #expect(!(Tensor([1]) * 2).requiresGrad, "graph recorded only when an input requires gradients")
    }

    /// `whenFinal` reports each input's gradient once, as soon as every op using it has passed its
    /// share back: a three-layer chain's last weight while the first layer is still ahead, a
    /// weight used twice only after both uses, and unreached inputs at the end, all equal to the
    /// returned gradients.
    @Test func finishedGradientsAreReportedDuringThePass() {
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.normal([4, 3], using: &rng)
        let w1 = Tensor.normal([3, 3], using: &rng).requiringGrad(), w2 = Tensor.normal([3, 3], using: &rng).requiringGrad()
        let w3 = Tensor.normal([3, 2], using: &rng).requiringGrad(), unused = Tensor([1, 2]).requiringGrad()
        // w2 is used twice, the second time after w3's layer: it completes only once both uses are through.
        let h1 = x.matmul(w1).tanh(), h2 = h1.matmul(w2).tanh()
        let loss = (h2.matmul(w2).tanh().matmul(w3)).square().sum()
        var events: [Int] = []
        var reported: [Int: Tensor] = [:]
        let inputs = [w1, w2, w3, unused]
        let g = gradients(of: loss, with: inputs, releasingGraph: true) { i, grad in
            events.append(i)
            reported[i] = grad
        }
        #expect(events == [2, 1, 0, 3], "order of completion \(events)")
        for i in inputs.indices { #expect(reported[i]?.scalars == g[i].scalars, "input \(i)") }
        #expect(g[3].scalars == [0, 0])

        // An interior value among the inputs, reported once its users are through, and the
        // leaves behind it after: each once, with the returned gradient.
        let a = Tensor([1, 2]).requiringGrad(), b = Tensor([3, 4]).requiringGrad()
        let hidden = a * b
        let out = (hidden.square() + b).sum()
        var seen: [Int] = []
        let h = gradients(of: out, with: [hidden, a, b]) { i, _ in seen.append(i) }
        #expect(seen.count == 3 && seen.first == 0 && Set(seen) == [0, 1, 2], "\(seen)")
        #expect(h[0].scalars == [6, 16] && h[1].scalars == [18, 64] && h[2].scalars == [7, 33])
    }

    @Test func gradientsAccumulateOverReuseAndIgnoreUnrelatedInputs() {
        let x = Tensor([2, 3]).requiringGrad(), z = Tensor([1, 1]).requiringGrad()
        // y = x² + 3x  → dy/dx = 2x + 3
        let y = (x * x + 3 * x).sum()
        let g = gradients(of: y, with: [x, z])
        #expect(g[0].scalars == [7, 9])
        #expect(g[1].scalars == [0, 0])
    }

    @Test func gradientWithRespectToIntermediateValue() {
        let x = Tensor([1, -2]).requiringGrad()
        let h = x * 3
        let y = (h * h).sum()
        let g = gradients(of: y, with: [h, x])
        #expect(g[0].scalars == [6, -12])   // 2h
        #expect(g[1].scalars == [18, -36])  // 2h · 3
    }

    @Test func secondDerivativeOfCubic() {
        // f = Σ x³; f' = 3x²; d/dx Σ f' = 6x.
        let x = Tensor([1, 2, -1]).requiringGrad()
        let first = gradients(of: x.pow(3).sum(), with: [x], createGraph: true)[0]
        #expect(first.requiresGrad)
        #expect(first.scalars == [3, 12, 3])
        let second = gradients(of: first.sum(), with: [x])[0]
        #expect(second.scalars == [6, 12, -6])
    }

    @Test func gradientsWithoutCreateGraphAreDetached() {
        let x = Tensor([1, 2]).requiringGrad()
        let g = gradients(of: x.exp().sum(), with: [x])[0]
        #expect(!g.requiresGrad)
    }
}
