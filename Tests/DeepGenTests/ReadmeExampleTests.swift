import Testing
import DeepGen

/// The README's library snippet, verbatim, plus a check of what its comment promises.
@Suite struct ReadmeExampleTests {
    @Test func readmeSnippetComputesTheGradient() {
        var rng = RandomGenerator(seed: 0)
        let w = Tensor.normal([3, 2], using: &rng).requiringGrad()
        let x = Tensor.normal([4, 3], using: &rng)
        let loss = x.matmul(w).tanh().square().mean()
        let grads = gradients(of: loss, with: [w])   // [∂loss/∂w], shape [3, 2]

        #expect(grads.count == 1 && grads[0].shape == [3, 2])
        // d/dw mean(tanh(xw)²) = xᵀ · (2 tanh(xw) (1 − tanh²(xw))) / 8, computed by hand.
        let t = withoutGrad { x.matmul(w).tanh() }
        let upstream = withoutGrad { 2 * t * (1 - t.square()) / 8 }
        let expected = withoutGrad { x.matmul(upstream, transposeSelf: true) }
        for (a, b) in zip(grads[0].scalars, expected.scalars) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b))) }
    }
}
