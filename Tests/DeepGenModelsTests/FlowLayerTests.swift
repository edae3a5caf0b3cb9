import Foundation
import Testing
import DeepGen
import DeepGenNN
@testable import DeepGenModels

/// Every flow layer is invertible to 1e-4 and its own log-determinant equals log |det J| of the
/// Jacobian autograd computes, on small inputs.
@Suite struct FlowLayerTests {
    /// A coupling whose conditioner's last layer is random (a new one is the identity).
    func coupling(features: Int, parity: Int, seed: UInt64) -> AffineCoupling {
        var rng = RandomGenerator(seed: seed)
        let c = AffineCoupling(features: features, hiddenSize: 16, hiddenLayers: 2, parity: parity, using: &rng)
        let last = c.conditioner.layers.last as! Linear
        last.weight.value = Tensor.normal(last.weight.shape, std: 0.5, using: &rng)
        last.bias?.value = Tensor.normal([2 * features], std: 0.5, using: &rng)
        c.scale.value = Tensor.normal([features], mean: 1, std: 0.3, using: &rng)
        return c
    }

    /// An ActNorm initialized from one batch, then moved off its initial values.
    func actNorm(channels: Int, initializedFrom x: Tensor, seed: UInt64) -> ActNorm {
        var rng = RandomGenerator(seed: seed)
        let a = ActNorm(channels: channels)
        _ = a.forward(x)
        a.bias.value = a.bias.value + Tensor.normal([channels], std: 0.2, using: &rng)
        a.logs.value = a.logs.value + Tensor.normal([channels], std: 0.2, using: &rng)
        return a
    }

    func linear(channels: Int, seed: UInt64) -> InvertibleLinear {
        var rng = RandomGenerator(seed: seed)
        let l = InvertibleLinear(channels: channels, using: &rng)
        l.lower.value = l.lower.value + Tensor.normal([channels, channels], std: 0.3, using: &rng)
        l.upper.value = l.upper.value + Tensor.normal([channels, channels], std: 0.3, using: &rng)
        l.logScale.value = l.logScale.value + Tensor.normal([channels], std: 0.3, using: &rng)
        return l
    }

    func channelCoupling(channels: Int, seed: UInt64) -> ChannelCoupling {
        var rng = RandomGenerator(seed: seed)
        let c = ChannelCoupling(channels: channels, hiddenChannels: 6, using: &rng)
        let last = (c.conditioner as! Sequential).layers.last as! Conv2d
        last.weight.value = Tensor.normal(last.weight.shape, std: 0.2, using: &rng)
        last.bias?.value = Tensor.normal(last.bias!.shape, std: 0.2, using: &rng)
        c.scale.value = Tensor.normal(c.scale.shape, mean: 1, std: 0.3, using: &rng)
        return c
    }

    /// A checkerboard coupling (or, with `channels`, a RealNVP channel coupling) whose residual
    /// conditioner's last layer is no longer zero, in evaluation mode (batch statistics would
    /// couple the examples of the Jacobian).
    func residualCoupling(_ make: (inout RandomGenerator) -> any FlowLayer, seed: UInt64) -> any FlowLayer {
        var rng = RandomGenerator(seed: seed)
        let layer = make(&rng)
        let conditioner = (layer as? CheckerboardCoupling)?.conditioner ?? (layer as! ChannelCoupling).conditioner as! ResNetConditioner
        conditioner.outConv.weight.value = Tensor.normal(conditioner.outConv.weight.shape, std: 0.2, using: &rng)
        conditioner.outConv.bias?.value = Tensor.normal(conditioner.outConv.bias!.shape, std: 0.2, using: &rng)
        for block in conditioner.blocks { block.norm1.runningVar!.value = Tensor(ones: block.norm1.runningVar!.shape) * 2 }
        layer.eval()
        return layer
    }

    /// Batch normalization as a flow layer, in evaluation mode with running statistics away from 0 and 1.
    func batchNormFlow(channels: Int, seed: UInt64) -> BatchNormFlow {
        var rng = RandomGenerator(seed: seed)
        let b = BatchNormFlow(channels: channels)
        b.logGamma.value = Tensor.normal([channels], std: 0.3, using: &rng)
        b.beta.value = Tensor.normal([channels], std: 0.3, using: &rng)
        b.runningMean.value = Tensor.normal([channels], using: &rng)
        b.runningVar.value = Tensor.uniform([channels], low: 0.3, high: 3, using: &rng)
        b.eval()
        return b
    }

    /// A planar flow with weights large enough to bend; `contracting` makes wᵀu very negative,
    /// where û's correction keeps it invertible.
    func planar(features: Int, seed: UInt64, contracting: Bool = false) -> PlanarFlow {
        var rng = RandomGenerator(seed: seed)
        let p = PlanarFlow(features: features, using: &rng)
        p.w.value = Tensor.normal([features], std: 1, using: &rng)
        p.u.value = contracting ? -3 * p.w.value : Tensor.normal([features], std: 1, using: &rng)
        p.b.value = Tensor([0.3])
        return p
    }

    func radial(features: Int, seed: UInt64, contracting: Bool = false) -> RadialFlow {
        var rng = RandomGenerator(seed: seed)
        let r = RadialFlow(features: features, using: &rng)
        r.alphaRaw.value = Tensor([0.5])
        r.betaRaw.value = Tensor([contracting ? -4 : 1.5])
        return r
    }

    /// Each layer under test with an input of its shape.
    func cases() -> [(String, any FlowLayer, Tensor)] {
        var rng = RandomGenerator(seed: 11)
        let vectors = Tensor.normal([5, 4], using: &rng) * 2 + 0.5
        let images = Tensor.normal([3, 2, 3, 2], using: &rng) * 1.5 - 0.3
        return [
            ("coupling, even", coupling(features: 4, parity: 0, seed: 1), vectors),
            ("coupling, odd", coupling(features: 4, parity: 1, seed: 2), vectors),
            ("coupling, 2-D", coupling(features: 2, parity: 1, seed: 3), vectors.sliced(axis: 1, 0..<2)),
            ("actnorm, vectors", actNorm(channels: 4, initializedFrom: vectors, seed: 4), vectors),
            ("actnorm, images", actNorm(channels: 2, initializedFrom: images, seed: 5), images),
            ("invertible linear, vectors", linear(channels: 4, seed: 6), vectors),
            ("invertible linear, images", linear(channels: 2, seed: 7), images),
            ("squeeze", Squeeze(), Tensor.normal([2, 2, 4, 6], using: &rng)),
            ("planar, 2-D", planar(features: 2, seed: 12), vectors.sliced(axis: 1, 0..<2)),
            ("planar, 4-D", planar(features: 4, seed: 13), vectors),
            ("planar, contracting", planar(features: 2, seed: 14, contracting: true), vectors.sliced(axis: 1, 0..<2)),
            ("radial, 2-D", radial(features: 2, seed: 15), vectors.sliced(axis: 1, 0..<2)),
            ("radial, 4-D", radial(features: 4, seed: 16), vectors),
            ("radial, contracting", radial(features: 2, seed: 17, contracting: true), vectors.sliced(axis: 1, 0..<2)),
            ("channel coupling, 4 channels", channelCoupling(channels: 4, seed: 8), Tensor.normal([3, 4, 3, 2], using: &rng)),
            ("channel coupling, 3 channels", channelCoupling(channels: 3, seed: 9), Tensor.normal([2, 3, 2, 2], using: &rng)),
            ("checkerboard coupling, even", residualCoupling({ CheckerboardCoupling(shape: [2, 3, 2], parity: 0, hiddenChannels: 4, blocks: 1, using: &$0) }, seed: 18), images),
            ("checkerboard coupling, odd, 2 blocks", residualCoupling({ CheckerboardCoupling(shape: [2, 3, 2], parity: 1, hiddenChannels: 4, blocks: 2, using: &$0) }, seed: 19), images),
            ("channel coupling, flipped, residual conditioner", residualCoupling({ rng in
                ChannelCoupling(channels: 4, flipped: true, conditioner: ResNetConditioner(inputs: 2, hidden: 4, outputs: 4, blocks: 1, using: &rng))
            }, seed: 20), Tensor.normal([3, 4, 3, 2], using: &rng)),
            ("channel coupling, 3 channels, flipped", residualCoupling({ rng in
                ChannelCoupling(channels: 3, flipped: true, conditioner: ResNetConditioner(inputs: 2, hidden: 4, outputs: 2, blocks: 0, using: &rng))
            }, seed: 21), Tensor.normal([2, 3, 2, 2], using: &rng)),
            ("batch normalization, vectors", batchNormFlow(channels: 4, seed: 22), vectors),
            ("batch normalization, images", batchNormFlow(channels: 2, seed: 23), images),
        ]
    }

    @Test func inverseUndoesForward() {
        for (name, layer, x) in cases() {
            let (y, _) = withoutGrad { layer.forward(x) }
            let back = withoutGrad { layer.inverse(y) }
            let error = (back - x).abs().max().scalar
            #expect(error <= 1e-4, "\(name): |f⁻¹(f(x)) − x| = \(error)")
            if y.shape == x.shape { #expect((y - x).abs().max().scalar > 1e-2, "\(name): the layer under test is the identity") }
        }
    }

    /// log |det J| of each example from autograd: row i of J is the gradient of output value i
    /// (examples are independent, so one pass serves all of them).
    func autogradLogDeterminants(_ f: (Tensor) -> Tensor, at x: Tensor) -> [Double] {
        let n = x.shape[0], d = x.count / n
        let input = x.requiringGrad()
        let y = f(input).reshaped([n, d])
        var jacobians = [[Double]](repeating: [Double](repeating: 0, count: d * d), count: n)
        for i in 0..<d {
            let g = gradients(of: y.sliced(axis: 1, i..<(i + 1)).sum(), with: [input])[0].scalars
            for e in 0..<n { for j in 0..<d { jacobians[e][i * d + j] = Double(g[e * d + j]) } }
        }
        return jacobians.map { logAbsDeterminant($0, size: d) }
    }

    /// log |det m| by Gaussian elimination with partial pivoting, in double precision.
    func logAbsDeterminant(_ m: [Double], size n: Int) -> Double {
        var a = m, total = 0.0
        for k in 0..<n {
            let p = (k..<n).max { abs(a[$0 * n + k]) < abs(a[$1 * n + k]) }!
            if p != k { for j in 0..<n { a.swapAt(k * n + j, p * n + j) } }
            total += log(abs(a[k * n + k]))
            for i in (k + 1)..<n {
                let f = a[i * n + k] / a[k * n + k]
                for j in k..<n { a[i * n + j] -= f * a[k * n + j] }
            }
        }
        return total
    }

    @Test func logDeterminantMatchesTheAutogradJacobian() {
        for (name, layer, x) in cases() {
            let own = withoutGrad { layer.forward(x).logDet }.scalars
            let reference = autogradLogDeterminants({ layer.forward($0).y }, at: x)
            #expect(own.count == x.shape[0], "\(name): one log-determinant per example")
            for (a, b) in zip(own, reference) {
                #expect(abs(Double(a) - b) <= 1e-4 * max(1, abs(b)), "\(name): layer says \(a), the Jacobian \(b)")
            }
        }
    }

    @Test func aWholeFlowInvertsAndItsLogDeterminantIsTheJacobians() {
        var rng = RandomGenerator(seed: 21)
        let model = RealNVPPoints(features: 2, couplings: 4, hiddenSize: 16, hiddenLayers: 2, normalization: .actnorm, using: &rng)
        let x = Tensor.normal([6, 2], using: &rng)
        _ = model.flow.forward(x)  // data-dependent initialization of the ActNorms
        for layer in model.flow.layers {
            if let c = layer as? AffineCoupling {
                let last = c.conditioner.layers.last as! Linear
                last.weight.value = Tensor.normal(last.weight.shape, std: 0.3, using: &rng)
            }
        }
        let (z, logDet) = withoutGrad { model.flow.forward(x) }
        #expect((withoutGrad { model.flow.inverse(z) } - x).abs().max().scalar <= 1e-4)
        let reference = autogradLogDeterminants({ model.flow.forward($0).z }, at: x)
        for (a, b) in zip(logDet.scalars, reference) { #expect(abs(Double(a) - b) <= 1e-4 * max(1, abs(b)), "flow \(a) vs Jacobian \(b)") }
        // log p(x) is the base density of z plus the log-determinant.
        let logp = withoutGrad { model.logProbability(x) }.scalars
        let zs = z.scalars
        for e in 0..<6 {
            let base = -0.5 * Double(zs[2 * e] * zs[2 * e] + zs[2 * e + 1] * zs[2 * e + 1]) - log(2 * Double.pi)
            #expect(abs(Double(logp[e]) - (base + Double(logDet.scalars[e]))) <= 1e-4)
        }
    }

    /// RealNVP for images (checkerboard and channel couplings, squeeze, factoring out) with each
    /// normalization layer: inverse, log-determinant against the Jacobian, latent shapes; in
    /// evaluation mode, after training-mode passes moved the statistics.
    @Test(arguments: FlowNormalization.allCases)
    func realNVPImagesInvertsAndItsLogDeterminantIsTheJacobians(_ normalization: FlowNormalization) {
        var rng = RandomGenerator(seed: 37)
        let flow = MultiScaleFlow.realNVP(shape: [1, 4, 4], scales: 2, hiddenChannels: 4, blocks: 1, normalization: normalization, using: &rng)
        #expect(flow.levels.map { $0.layers.count } == (normalization == .none ? [7, 4] : [13, 8]))
        let x = Tensor.normal([3, 1, 4, 4], using: &rng) * 1.3 + 0.2
        for _ in 0..<3 { _ = flow.logProbability(Tensor.normal([8, 1, 4, 4], using: &rng) + 0.3) }
        for level in flow.levels {
            for layer in level.layers {
                let conditioner = (layer as? CheckerboardCoupling)?.conditioner ?? ((layer as? ChannelCoupling)?.conditioner as? ResNetConditioner)
                guard let conditioner else { continue }
                conditioner.outConv.weight.value = Tensor.normal(conditioner.outConv.weight.shape, std: 0.2, using: &rng)
            }
        }
        flow.eval()
        expectInvertsWithTheJacobiansLogDeterminant(flow, at: x, latentShapes: [[2, 2, 2], [2, 2, 2]], "realnvp")
    }

    /// A multi-scale flow's latents have `latentShapes` (per example), decode back to `x` to 1e-4,
    /// and its log-determinant is log|det J| of the autograd Jacobian of the concatenated latents.
    func expectInvertsWithTheJacobiansLogDeterminant(_ flow: MultiScaleFlow, at x: Tensor, latentShapes: [[Int]], _ what: String) {
        #expect(flow.latentShapes == latentShapes)
        let (latents, logDet) = withoutGrad { flow.encode(x) }
        #expect(latents.map(\.shape) == latentShapes.map { [x.shape[0]] + $0 })
        #expect((withoutGrad { flow.decode(latents) } - x).abs().max().scalar <= 1e-4)
        let reference = autogradLogDeterminants({ x in
            Tensor.concat(flow.encode(x).latents.map { $0.flattened(from: 1) }, axis: 1)
        }, at: x)
        for (a, b) in zip(logDet.scalars, reference) { #expect(abs(Double(a) - b) <= 1e-4 * max(1, abs(b)), "\(what) \(a) vs Jacobian \(b)") }
    }

    @Test func glowInvertsAndItsLogDeterminantIsTheJacobians() {
        var rng = RandomGenerator(seed: 31)
        let glow = MultiScaleFlow.glow(shape: [1, 4, 4], levels: 2, steps: 2, hiddenChannels: 6, actNorm: true, using: &rng)
        let x = Tensor.normal([3, 1, 4, 4], using: &rng)
        _ = glow.logProbability(x)  // data-dependent initialization of the ActNorms
        for level in glow.levels {
            for case let c as ChannelCoupling in level.layers {
                let last = (c.conditioner as! Sequential).layers.last as! Conv2d
                last.weight.value = Tensor.normal(last.weight.shape, std: 0.2, using: &rng)
            }
        }
        expectInvertsWithTheJacobiansLogDeterminant(glow, at: x, latentShapes: [[2, 2, 2], [8, 1, 1]], "glow")
        // Samples at temperature t are the decoded base noise scaled by t.
        var r1 = RandomGenerator(seed: 2), r2 = RandomGenerator(seed: 2)
        let s = withoutGrad { glow.sample(count: 2, temperature: 0.5, using: &r1) }
        let noise = glow.latentShapes.map { Tensor.normal([2] + $0, using: &r2) * 0.5 }
        #expect((s - withoutGrad { glow.decode(noise) }).abs().max().scalar == 0)
    }

    @Test func logitDequantizationRoundTripsPixelsAndItsLogDeterminantIsTheJacobians() {
        let d = LogitDequantization(alpha: 0.05)
        var rng = RandomGenerator(seed: 4)
        let y = Tensor.uniform([3, 1, 2, 3], low: 0.01, high: 0.99, using: &rng)
        let own = withoutGrad { d.logit(y).logDet }.scalars
        let reference = autogradLogDeterminants({ d.logit($0).v }, at: y)
        for (a, b) in zip(own, reference) { #expect(abs(Double(a) - b) <= 1e-4 * max(1, abs(b)), "logit \(a) vs Jacobian \(b)") }
        // Pixels k/255 come back within half a level: (k + u)/256 is within 1/255 of k/255.
        let pixels = Tensor(shape: [1, 1, 2, 4], scalars: [0, 1, 17, 128, 200, 254, 255, 3].map { Float($0) / 255 })
        let back = d.inverse(d.forward(pixels, using: &rng).v)
        #expect((back - pixels).abs().max().scalar <= 1.0 / 255)
    }

    @Test func aNewCouplingIsTheIdentityAndANewInvertibleLinearARotation() {
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.normal([4, 6], using: &rng)
        let (y, logDet) = AffineCoupling(features: 6, hiddenSize: 8, hiddenLayers: 1, parity: 0, using: &rng).forward(x)
        #expect(y.scalars == x.scalars && logDet.scalars.allSatisfy { $0 == 0 })
        for c in [1, 2, 3, 8] {
            let w = InvertibleLinear(channels: c, using: &rng).weight()
            let gram = w.matmul(w, transposeOther: true).scalars
            for i in 0..<c { for j in 0..<c { #expect(abs(gram[i * c + j] - (i == j ? 1 : 0)) <= 1e-5, "W·Wᵀ ≠ I for \(c) channels") } }
        }
    }

    @Test func actNormInitializesFromTheFirstTrainingBatchOnly() {
        var rng = RandomGenerator(seed: 9)
        let x = Tensor.normal([64, 3], mean: 2, std: 3, using: &rng)
        let a = ActNorm(channels: 3)
        a.eval()
        #expect(withoutGrad { a.forward(x).y }.scalars == x.scalars, "evaluation mode does not initialize")
        a.train()
        let y = withoutGrad { a.forward(x).y }
        #expect(y.mean(axis: 0).abs().max().scalar < 1e-4)
        #expect((y.variance(axes: [0]) - 1).abs().max().scalar < 1e-3)
        #expect(a.initialized.value.scalar == 1)
        let before = a.stateDict().mapValues { $0.scalars }
        _ = a.forward(x * 5)
        #expect(a.stateDict().mapValues { $0.scalars } == before, "a second batch does not initialize again")
    }

    @Test func aNonFiniteLayerIsNamed() {
        var rng = RandomGenerator(seed: 3)
        let flow = RealNVPPoints(features: 2, couplings: 3, hiddenSize: 8, hiddenLayers: 1, normalization: .actnorm, using: &rng).flow
        let x = Tensor.normal([8, 2], using: &rng)
        #expect(flow.firstNonFiniteLayer(x) == nil)
        (flow.layers[5] as! AffineCoupling).scale.value = Tensor(shape: [2], scalars: [.nan, 1])
        let last = (flow.layers[5] as! AffineCoupling).conditioner.layers.last as! Linear
        last.weight.value = Tensor.normal(last.weight.shape, using: &rng)
        #expect(flow.firstNonFiniteLayer(x) == "layers.5 (affine coupling)")

        // In Glow the path names the level: the second level's first coupling (after its
        // squeeze, ActNorm and 1×1 convolution).
        let glow = MultiScaleFlow.glow(shape: [1, 4, 4], levels: 2, steps: 1, hiddenChannels: 4, actNorm: true, using: &rng)
        let images = Tensor.normal([2, 1, 4, 4], using: &rng)
        #expect(glow.firstNonFiniteLayer(images) == nil)
        let c = glow.levels[1].layers[3] as! ChannelCoupling
        c.scale.value = Tensor(shape: [4], scalars: [.infinity, 1, 1, 1])
        let conv = (c.conditioner as! Sequential).layers.last as! Conv2d
        conv.bias?.value = Tensor(ones: conv.bias!.shape)
        #expect(glow.firstNonFiniteLayer(images) == "levels.1.layers.3 (affine coupling (channels))")
    }
}
