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

    @Test func noGradScopeAndDetach() {
        let x = Tensor([1, 2, 3]).requiringGrad()
        let y = withoutGrad { x * 2 }
        #expect(!y.requiresGrad)
        #expect(!(x * 2).detached().requiresGrad)
        #expect((x * 2).requiresGrad)
        #expect(!(Tensor([1]) * 2).requiresGrad, "graph recorded only when an input requires gradients")
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
