import Testing
import DeepGen
import _DeepGenTestSupport

/// Random inputs kept away from kinks (|x| ≥ 0.1) so finite differences are meaningful.
func smooth(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.normal(shape, using: &rng).map { v in (v >= 0 ? Swift.max(v, 0.1) : Swift.min(v, -0.1)) * scale }
}

func positive(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.uniform(shape, low: 0.5, high: 2, using: &rng)
}

func expectGradient(_ name: String, _ f: ([Tensor]) -> Tensor, _ inputs: [Tensor], epsilon: Float = 1e-3,
                    maxElements: Int = .max) {
    let r = gradientCheck(f, at: inputs, epsilon: epsilon, maxElements: maxElements)
    #expect(r.worstRatio <= 1, "\(name): \(r)")
}

/// `f`'s squared gradient norm `Σ|∂(½|f|²)/∂x|²` through a recorded backward pass
/// (`createGraph`), as a one-element function: finite differences of it check an op's second
/// derivatives (what a gradient penalty differentiates).
func gradientNormSquared(_ f: @escaping ([Tensor]) -> Tensor) -> ([Tensor]) -> Tensor {
    { xs in
        let y = f(xs)
        let g = gradients(of: (y * y).sum() * 0.5, with: xs, createGraph: true)
        return g.map { $0.square().sum() }.reduce(Tensor(0)) { $0 + $1 }.reshaped([1])
    }
}

@Suite struct ElementwiseGradients {
    @Test func arithmeticWithBroadcasting() {
        let a = smooth([2, 3, 4], seed: 1), b = smooth([3, 1], seed: 2), c = positive([4], seed: 3)
        expectGradient("add", { $0[0] + $0[1] }, [a, b])
        expectGradient("sub", { $0[0] - $0[1] }, [a, b])
        expectGradient("mul", { $0[0] * $0[1] }, [a, b])
        expectGradient("div", { $0[0] / $0[1] }, [a, c])
        expectGradient("neg", { -$0[0] }, [a])
        expectGradient("scalar ops", { 2 * $0[0] - 1 + $0[0] / 3 }, [a])
    }

    @Test func unaryFunctions() {
        let x = smooth([3, 5], seed: 4), p = positive([3, 5], seed: 5)
        expectGradient("exp", { $0[0].exp() }, [x])
        expectGradient("log", { $0[0].log() }, [p])
        expectGradient("sqrt", { $0[0].sqrt() }, [p])
        expectGradient("pow", { $0[0].pow(2.5) }, [p])
        expectGradient("pow negative", { $0[0].pow(-1.5) }, [p])
        expectGradient("abs", { $0[0].abs() }, [x])
        expectGradient("square", { $0[0].square() }, [x])
        expectGradient("clamp", { $0[0].clamped(min: -0.5, max: 0.7) }, [x.map { $0 == 0.5 || $0 == 0.7 ? 0.3 : $0 }])
        expectGradient("relu", { $0[0].relu() }, [x])
        expectGradient("leakyRelu", { $0[0].leakyRelu(0.2) }, [x])
        expectGradient("sigmoid", { $0[0].sigmoid() }, [x])
        expectGradient("tanh", { $0[0].tanh() }, [x])
        expectGradient("softplus", { $0[0].softplus() }, [x * 3])
        expectGradient("sin", { $0[0].sin() }, [x * 3])
        expectGradient("cos", { $0[0].cos() }, [x * 3])
        expectGradient("logSigmoid", { $0[0].logSigmoid() }, [x * 3])
    }

    @Test func maximumMinimumWhere() {
        let a = smooth([4, 3], seed: 6), b = smooth([4, 3], seed: 7) + 0.05
        expectGradient("maximum", { $0[0].maximum($0[1]) }, [a, b])
        expectGradient("minimum", { $0[0].minimum($0[1]) }, [a, b])
        let cond = a.isGreater(b)
        expectGradient("where", { Tensor.where(cond, $0[0] * 2, $0[1].square()) }, [a, b])
        expectGradient("where broadcast", { Tensor.where(cond, $0[0], $0[1]) }, [a, smooth([3], seed: 8)])
    }
}

@Suite struct ReductionGradients {
    @Test func sumsAndMeans() {
        let x = smooth([2, 3, 4, 2], seed: 10)
        expectGradient("sum all", { $0[0].sum() }, [x])
        expectGradient("sum axes 0,2,3", { $0[0].sum(axes: [0, 2, 3], keepDims: true) }, [x])
        expectGradient("sum axis 1", { $0[0].sum(axis: 1) }, [x])
        expectGradient("mean axes 1,3", { $0[0].mean(axes: [1, 3]) }, [x])
        expectGradient("sum negative axis", { $0[0].sum(axis: -1) }, [x])
    }

    @Test func maxLogSumExpVariance() {
        let x = smooth([3, 4, 5], seed: 11)
        expectGradient("max axis 2", { $0[0].max(axis: 2) }, [x])
        expectGradient("max axes 0,1", { $0[0].max(axes: [0, 1], keepDims: true) }, [x])
        expectGradient("min axis 1", { $0[0].min(axes: [1]) }, [x])
        expectGradient("logSumExp", { $0[0].logSumExp(axis: 1) }, [x])
        expectGradient("variance", { $0[0].variance(axes: [0, 2], keepDims: true) }, [x])
        expectGradient("variance unbiased", { $0[0].variance(axes: [1], unbiased: true) }, [x])
        expectGradient("softmax", { $0[0].softmax(axis: 1) }, [x])
        expectGradient("logSoftmax", { $0[0].logSoftmax(axis: -1) }, [x])
    }
}

@Suite struct ShapeGradients {
    @Test func reshapePermuteExpand() {
        let x = smooth([2, 3, 4], seed: 20)
        expectGradient("reshape", { $0[0].reshaped([4, -1]) * $0[0].reshaped([4, 6]) }, [x])
        expectGradient("permute", { $0[0].permuted(2, 0, 1) * Tensor(shape: [4, 2, 3], scalars: (0..<24).map { Float($0) }) }, [x])
        expectGradient("transpose", { $0[0].transposed(0, 2) }, [x])
        expectGradient("expand", { $0[0].broadcast(to: [5, 2, 3, 4]) * smooth([5, 2, 3, 4], seed: 21) }, [x])
        expectGradient("squeeze/unsqueeze", { $0[0].unsqueezed(1).squeezed(1).unsqueezed(-1) }, [x])
        expectGradient("flatten", { $0[0].flattened() }, [x])
    }

    @Test func concatStackSlicePad() {
        let a = smooth([2, 3, 2], seed: 22), b = smooth([2, 1, 2], seed: 23)
        expectGradient("concat", { Tensor.concat([$0[0], $0[1]], axis: 1) }, [a, b])
        expectGradient("stack", { Tensor.stack([$0[0], $0[1] * 2], axis: 2) }, [a, a])
        expectGradient("slice", { $0[0].sliced(axis: 1, 1..<3) }, [a])
        expectGradient("pad", { $0[0].padded([(1, 0), (0, 2), (1, 1)]) }, [a])
        let img = smooth([1, 2, 4, 5], seed: 24)
        expectGradient("reflectionPad2d", { $0[0].reflectionPadded2d(left: 2, right: 1, top: 1, bottom: 3) }, [img])
        expectGradient("upsampleNearest", { $0[0].upsampledNearest(scale: [2, 3]) }, [img])
    }
}

@Suite struct LinearAlgebraGradients {
    @Test func matmulAllTransposes() {
        let a = smooth([3, 4], seed: 30), b = smooth([4, 5], seed: 31)
        expectGradient("matmul", { $0[0].matmul($0[1]) }, [a, b])
        expectGradient("matmul Aᵀ", { $0[0].matmul($0[1], transposeSelf: true) }, [a.transposed(), b])
        expectGradient("matmul Bᵀ", { $0[0].matmul($0[1], transposeOther: true) }, [a, b.transposed()])
        expectGradient("matmul AᵀBᵀ", { $0[0].matmul($0[1], transposeSelf: true, transposeOther: true) }, [a.transposed(), b.transposed()])
        let ba = smooth([2, 3, 4], seed: 32), bb = smooth([2, 4, 2], seed: 33)
        expectGradient("batched matmul", { $0[0].matmul($0[1]) }, [ba, bb])
    }

    @Test func convolutions() {
        let x = smooth([2, 2, 5, 6], seed: 34), w = smooth([3, 2, 3, 3], seed: 35), b = smooth([3], seed: 36)
        expectGradient("conv2d s1", { $0[0].conv2d(weight: $0[1], bias: $0[2]) }, [x, w, b])
        expectGradient("conv2d s2 p1", { $0[0].conv2d(weight: $0[1], bias: $0[2], stride: 2, padding: 1) }, [x, w, b])
        expectGradient("conv2d rect dilated", {
            $0[0].conv2d(weight: $0[1], stride: [1, 2], padding: [2, 1], dilation: [2, 1])
        }, [x, w])
        // More than 4 output channels: the im2col + GEMM path (up to 4 take the direct kernels).
        let wide = smooth([6, 2, 3, 3], seed: 38)
        expectGradient("conv2d s2 p1, 6 outputs", { $0[0].conv2d(weight: $0[1], stride: 2, padding: 1) }, [x, wide])
        let wt = smooth([2, 3, 3, 3], seed: 37)
        expectGradient("convTranspose2d s2 p1 op1", {
            $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1)
        }, [x, wt, b])
        // ≥ 16 channels: Winograd (stride 1) and stride 2 as stride 1 over pixel phases. Winograd
        // rounds differently from one input to the next (~1e-6 of the sums), which a 1e-3 step
        // would amplify; these are linear in each input, so a large step is exact.
        let xw = smooth([1, 16, 5, 6], seed: 50, scale: 0.5), ww = smooth([16, 16, 3, 3], seed: 51, scale: 0.2)
        expectGradient("conv2d Winograd 3×3", { $0[0].conv2d(weight: $0[1], padding: 1) }, [xw, ww], epsilon: 0.05, maxElements: 97)
        let w5 = smooth([16, 16, 5, 5], seed: 52, scale: 0.1)
        expectGradient("convTranspose2d Winograd 5×5", { $0[0].convTranspose2d(weight: $0[1], padding: 2) }, [xw, w5], epsilon: 0.05, maxElements: 97)
        let xp = smooth([1, 4, 6, 8], seed: 53, scale: 0.5), wp = smooth([16, 4, 5, 5], seed: 54, scale: 0.2)
        expectGradient("conv2d s2 over phases", { $0[0].conv2d(weight: $0[1], stride: 2, padding: 2) }, [xp, wp], epsilon: 0.05, maxElements: 97)
        let xq = smooth([1, 16, 3, 4], seed: 55, scale: 0.5), wq = smooth([16, 4, 4, 4], seed: 56, scale: 0.2)
        expectGradient("convTranspose2d s2 over phases", { $0[0].convTranspose2d(weight: $0[1], stride: 2, padding: 1) }, [xq, wq], epsilon: 0.05, maxElements: 97)
    }

    /// Layers whose column matrix exceeds one chunk build it a few images at a time: the batch's
    /// gradients must equal the sum (weights) and the concatenation (inputs) of per-image ones.
    @Test func chunkedColumnsMatchPerImageGradients() {
        let x = smooth([3, 48, 30, 30], seed: 44, scale: 0.5), w = smooth([6, 48, 5, 5], seed: 45, scale: 0.1)
        let g = smooth([3, 6, 30, 30], seed: 46)
        let (xb, wb) = (x.requiringGrad(), w.requiringGrad())
        let batch = gradients(of: (xb.conv2d(weight: wb, padding: 2) * g).sum(), with: [xb, wb])
        var weightSum = Tensor(zeros: w.shape)
        for i in 0..<3 {
            let xi = x.sliced(axis: 0, i..<(i + 1)), gi = g.sliced(axis: 0, i..<(i + 1))
            let (xl, wl) = (xi.requiringGrad(), w.requiringGrad())
            let single = gradients(of: (xl.conv2d(weight: wl, padding: 2) * gi).sum(), with: [xl, wl])
            #expect(closeness(batch[0].sliced(axis: 0, i..<(i + 1)), single[0], atol: 1e-4, rtol: 1e-4) == nil, "input gradient of image \(i)")
            weightSum = weightSum + single[1]
        }
        #expect(closeness(batch[1], weightSum, atol: 1e-3, rtol: 1e-4) == nil, "weight gradient")
    }

    /// An empty batch: zero weight gradients on both the direct (≤ 4 outputs) and the GEMM path.
    @Test func emptyBatchHasZeroWeightGradient() {
        for outputs in [2, 6] {
            let w = smooth([outputs, 2, 3, 3], seed: 47).requiringGrad()
            let x = Tensor(zeros: [0, 2, 5, 5])
            let y = x.conv2d(weight: w, padding: 1)
            #expect(y.shape == [0, outputs, 5, 5])
            let g = gradients(of: y.sum(), with: [w])[0]
            #expect(g.scalars.allSatisfy { $0 == 0 }, "\(outputs) outputs")
        }
    }

    @Test func pooling() {
        let x = smooth([2, 2, 6, 5], seed: 38)
        expectGradient("maxPool2d", { $0[0].maxPool2d(kernel: 2) }, [x])
        expectGradient("maxPool2d k3 s2 p1", { $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1) }, [x])
        expectGradient("avgPool2d", { $0[0].avgPool2d(kernel: 3, stride: 1, padding: 1) }, [x])
    }

    @Test func classScoresAndDropout() {
        let x = smooth([4, 5], seed: 39)
        expectGradient("gather class scores", { $0[0].gatheringClassScores([0, 4, 2, 2]) }, [x])
        var rng = RandomGenerator(seed: 1)
        let mask = Tensor.dropoutMask([4, 5], p: 0.3, using: &rng)
        expectGradient("dropout", { $0[0] * mask }, [x])
    }
}

@Suite struct SecondOrderGradients {
    /// The gradient of a gradient: d/dw of ‖∂(tanh(x·w)·v)/∂x‖², checked numerically.
    @Test func gradientOfGradient() {
        let x = smooth([3, 4], seed: 40), w = smooth([4, 2], seed: 41)
        expectGradient("grad of grad", { inputs in
            let xs = inputs[0], ws = inputs[1]
            let y = xs.matmul(ws).tanh().sum()
            let gx = gradients(of: y, with: [xs], createGraph: true)[0]
            return gx.square().sum()
        }, [x, w])
    }

    /// Through the stride-2 pixel-phase rewrite and the Winograd kernels (a gradient penalty's path).
    @Test func gradientOfPhaseConvGradient() {
        let x = smooth([1, 4, 6, 6], seed: 57, scale: 0.5), w = smooth([16, 4, 5, 5], seed: 58, scale: 0.1)
        expectGradient("phase conv grad of grad", { inputs in
            let xs = inputs[0], ws = inputs[1]
            let y = xs.conv2d(weight: ws, stride: 2, padding: 2).sigmoid().sum()
            let gx = gradients(of: y, with: [xs], createGraph: true)[0]
            return gx.square().sum()
        }, [x, w], maxElements: 97)
    }

    @Test func gradientOfConvGradient() {
        let x = smooth([2, 1, 5, 5], seed: 42), w = smooth([2, 1, 3, 3], seed: 43)
        expectGradient("conv grad of grad", { inputs in
            let xs = inputs[0], ws = inputs[1]
            let y = xs.conv2d(weight: ws, stride: 2, padding: 1).sigmoid().sum()
            let gx = gradients(of: y, with: [xs], createGraph: true)[0]
            return gx.square().sum()
        }, [x, w])
    }
}
