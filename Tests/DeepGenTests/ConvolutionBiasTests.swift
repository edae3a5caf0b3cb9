import Testing
import DeepGenKernels
import DeepGen
import _DeepGenTestSupport

/// The convolutions add their bias into their own fresh output: the same numbers and gradients as
/// the broadcast add of `[1, C, 1, 1]` after a convolution without bias, first and second order.
@Suite struct ConvolutionBiasTests {
    @Test(arguments: [1, 2])
    func biasIsTheBroadcastAddBitForBit(threads: Int) {
        Parallel.withThreadCount(threads) {
            let x = smooth([3, 4, 9, 9], seed: 1).requiringGrad()
            let w = smooth([5, 4, 3, 3], seed: 2, scale: 0.3).requiringGrad()
            let wt = smooth([4, 5, 3, 3], seed: 4, scale: 0.3).requiringGrad()
            let b = smooth([5], seed: 3).requiringGrad()
            let cases: [(String, Tensor, Tensor)] = [
                ("conv2d", x.conv2d(weight: w, bias: b, stride: 2, padding: 1),
                 x.conv2d(weight: w, stride: 2, padding: 1) + b.reshaped([1, 5, 1, 1])),
                ("convTranspose2d", x.convTranspose2d(weight: wt, bias: b, stride: 2, padding: 1),
                 x.convTranspose2d(weight: wt, stride: 2, padding: 1) + b.reshaped([1, 5, 1, 1])),
            ]
            for (name, fused, separate) in cases {
                #expect(fused.scalars.map(\.bitPattern) == separate.scalars.map(\.bitPattern), "\(name)")
                let seed = smooth(fused.shape, seed: 9)
                let gf = gradients(of: (fused * seed).sum(), with: [x, w, wt, b])
                let gs = gradients(of: (separate * seed).sum(), with: [x, w, wt, b])
                for (a, c) in zip(gf, gs) { #expect(a.scalars.map(\.bitPattern) == c.scalars.map(\.bitPattern), "\(name)") }
            }
        }
    }

    @Test func finiteDifferencesThroughTheBias() {
        let x = smooth([2, 2, 5, 5], seed: 5), w = smooth([3, 2, 3, 3], seed: 6), b = smooth([3], seed: 7)
        expectGradient("conv2d with bias", { $0[0].conv2d(weight: $0[1], bias: $0[2], padding: 1).tanh() }, [x, w, b])
        // The gradient of a gradient, as a penalty takes it (the pattern of gradientOfConvGradient).
        expectGradient("conv2d with bias, grad of grad", { inputs in
            let y = inputs[0].conv2d(weight: inputs[1], bias: inputs[2], stride: 2, padding: 1).sigmoid().sum()
            return gradients(of: y, with: [inputs[0]], createGraph: true)[0].square().sum()
        }, [x, w, b])
    }

    /// With a rectifier the (leaky) ReLU runs in the bias's pass: the values and gradients of the
    /// separate activation, with and without a bias, also through a recorded backward pass.
    @Test(arguments: [Float(0), 0.2])
    func rectifierIsTheSeparateActivationBitForBit(slope: Float) {
        let x = smooth([2, 3, 6, 6], seed: 11).requiringGrad()
        let w = smooth([5, 3, 3, 3], seed: 12, scale: 0.4).requiringGrad()
        let wt = smooth([3, 5, 3, 3], seed: 13, scale: 0.4).requiringGrad()
        let b = smooth([5], seed: 14).requiringGrad()
        for bias in [b, nil] {
            let cases: [(String, Tensor, Tensor)] = [
                ("conv2d", x.conv2d(weight: w, bias: bias, padding: 1, rectifier: slope),
                 x.conv2d(weight: w, bias: bias, padding: 1).leakyRelu(slope)),
                ("convTranspose2d", x.convTranspose2d(weight: wt, bias: bias, stride: 2, padding: 1, rectifier: slope),
                 x.convTranspose2d(weight: wt, bias: bias, stride: 2, padding: 1).leakyRelu(slope)),
            ]
            for (name, fused, separate) in cases {
                #expect(fused.scalars.map(\.bitPattern) == separate.scalars.map(\.bitPattern), "\(name) bias \(bias != nil)")
                let seed = smooth(fused.shape, seed: 15)
                let params = [x, w, wt, b]
                let gf = gradients(of: (fused * seed).sum(), with: params)
                let gs = gradients(of: (separate * seed).sum(), with: params)
                for (u, v) in zip(gf, gs) { #expect(u.scalars.map(\.bitPattern) == v.scalars.map(\.bitPattern), "\(name)") }
                let rf = gradients(of: fused.square().sum(), with: [x], createGraph: true)[0]
                let rs = gradients(of: separate.square().sum(), with: [x], createGraph: true)[0]
                let hf = gradients(of: rf.square().sum(), with: [w, wt, b]), hs = gradients(of: rs.square().sum(), with: [w, wt, b])
                for (u, v) in zip(hf, hs) { #expect(u.scalars.map(\.bitPattern) == v.scalars.map(\.bitPattern), "\(name), second order") }
            }
        }
    }
}
