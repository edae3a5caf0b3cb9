import Testing
import DeepGen
import DeepGenKernels
import _DeepGenTestSupport

/// The fused per-channel normalization against the composite formula it replaces, its gradients
/// by finite differences, and its second derivatives (a recorded backward pass).
@Suite struct ChannelNormalizationTests {
    /// `(x − mean) / √(var + eps) · w + b` over all axes but 1, written with broadcast ops.
    func composite(_ x: Tensor, _ w: Tensor?, _ b: Tensor?, eps: Float) -> Tensor {
        var statShape = [Int](repeating: 1, count: x.rank); statShape[1] = x.shape[1]
        let axes = [0] + Array(2..<x.rank)
        let mean = x.mean(axes: axes, keepDims: true)
        let centered = x - mean
        var y = centered / (centered.square().mean(axes: axes, keepDims: true) + eps).sqrt()
        if let w { y = y * w.reshaped(statShape) }
        if let b { y = y + b.reshaped(statShape) }
        return y
    }

    /// Shapes with inner sizes 1 (BatchNorm1d), 3, 16 and 37 (vector body plus tail), and many channels.
    static let shapes: [[Int]] = [[5, 7], [4, 3, 3], [3, 2, 4, 4], [2, 3, 37, 1], [2, 40, 3, 3]]

    @Test(arguments: shapes) func matchesCompositeFormula(shape: [Int]) {
        let x = smooth(shape, seed: 60, scale: 3) + 5  // an offset mean tests the two-pass variance
        let c = shape[1]
        let w = smooth([c], seed: 61), b = smooth([c], seed: 62)
        let (y, mean, variance) = x.channelNormalized(weight: w, bias: b, eps: 1e-5)
        #expect(closeness(y, composite(x, w, b, eps: 1e-5), atol: 1e-4, rtol: 1e-4) == nil)
        let axes = [0] + Array(2..<x.rank)
        #expect(closeness(mean, x.mean(axes: axes), atol: 1e-4, rtol: 1e-5) == nil)
        #expect(closeness(variance, (x - x.mean(axes: axes, keepDims: true)).square().mean(axes: axes), atol: 1e-4, rtol: 1e-4) == nil)
        // Gradients of a random projection agree with the composite formula's.
        var rng = RandomGenerator(seed: 63)
        let p = Tensor.normal(shape, using: &rng)
        let leaves = [x, w, b].map { $0.requiringGrad() }
        let fused = gradients(of: (leaves[0].channelNormalized(weight: leaves[1], bias: leaves[2], eps: 1e-5).output * p).sum(), with: leaves)
        let reference = gradients(of: (composite(leaves[0], leaves[1], leaves[2], eps: 1e-5) * p).sum(), with: leaves)
        for (name, (f, r)) in zip(["x", "weight", "bias"], zip(fused, reference)) {
            #expect(closeness(f, r, atol: 1e-4, rtol: 1e-3) == nil, "gradient of \(name) for \(shape)")
        }
    }

    @Test func finiteDifferenceGradients() {
        let x = smooth([3, 2, 3, 3], seed: 64), w = smooth([2], seed: 65), b = smooth([2], seed: 66)
        // ε = 1e-2: normalization is smooth and large; a small ε measures Float rounding.
        let affine = gradientCheck({ $0[0].channelNormalized(weight: $0[1], bias: $0[2], eps: 1e-5).output },
                                   at: [x, w, b], epsilon: 1e-2, atol: 2e-3, rtol: 2e-2)
        #expect(affine.worstRatio <= 1, "affine: \(affine)")
        let plain = gradientCheck({ $0[0].channelNormalized(eps: 1e-5).output },
                                  at: [smooth([6, 4], seed: 67)], epsilon: 1e-2, atol: 2e-3, rtol: 2e-2)
        #expect(plain.worstRatio <= 1, "rank 2, no affine: \(plain)")
    }

    /// d/dw of ‖∂(sigmoid(norm(x)·w)·v)/∂x‖²: needs the recorded (differentiable) backward.
    @Test func gradientOfGradient() {
        let x = smooth([3, 2, 2, 2], seed: 68), w = smooth([2], seed: 69)
        let r = gradientCheck({ inputs in
            let xs = inputs[0], ws = inputs[1]
            let y = xs.channelNormalized(weight: ws, eps: 1e-5).output.sigmoid().sum()
            return gradients(of: y, with: [xs], createGraph: true)[0].square().sum()
        }, at: [x, w], epsilon: 1e-2, atol: 2e-3, rtol: 2e-2)
        #expect(r.worstRatio <= 1, "\(r)")
    }

    @Test func resultDoesNotDependOnThreadCount() {
        let x = smooth([8, 24, 9, 9], seed: 70)
        let one = Parallel.withThreadCount(1) { x.channelNormalized(eps: 1e-5).output }
        let two = Parallel.withThreadCount(2) { x.channelNormalized(eps: 1e-5).output }
        #expect(two.scalars == one.scalars)
    }
}
