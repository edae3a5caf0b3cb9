import DeepGen
import Testing
import _DeepGenTestSupport

/// WaveNet's ops: PyTorch's values (`audio_ops.json` from Scripts/make_fixtures.py), finite
/// differences, second derivatives through the recorded backward passes, the fused kernels
/// against their composite formulas, and causality.
@Suite struct AudioOpTests {
    func int(_ c: FixtureCase, _ key: String) -> Int {
        switch c.params[key] {
        case .number(let v)?: return Int(v)
        default: fatalError("\(c.name) has no \(key)")
        }
    }

    @Test func matchPyTorch() {
        let cases = fixture("audio_ops")
        #expect(cases.count == 7)
        for c in cases {
            guard case .string(let op)? = c.params["op"] else { Issue.record("\(c.name) has no op"); continue }
            switch op {
            case "conv1d":
                let (d, left, right) = (int(c, "dilation"), int(c, "left"), int(c, "right"))
                let names = ["x", "w", "b"].filter { c.tensors[$0] != nil }
                let causal = right == 0 && left == (c.tensors["w"]!.shape[2] - 1) * d
                for padding in causal ? [Conv1DPadding.causal, .explicit(left: left, right: 0)] : [.explicit(left: left, right: right)] {
                    expectMatches(c, inputs: names, gradients: names.map { "grad_" + $0 }) { t in
                        t[0].conv1d(t[1], bias: names.count > 2 ? t[2] : nil, dilation: d, padding: padding)
                    }
                }
                expectMatches(c, inputs: names, gradients: names.map { "grad_" + $0 }) { t in
                    Tensor.conv1dComposite(t[0], t[1], bias: names.count > 2 ? t[2] : nil, dilation: d, padding: .explicit(left: left, right: right))
                }
            case "gated_activation":
                expectMatches(c, inputs: ["x"], gradients: ["grad_x"]) { $0[0].gatedActivation(axis: 1) }
            default:
                Issue.record("unknown op \(op) in \(c.name)")
            }
        }
    }

    @Test func finiteDifferenceGradients() {
        let x = smooth([2, 3, 7], seed: 41), w = smooth([4, 3, 2], seed: 42), b = smooth([4], seed: 43)
        expectGradient("conv1d causal dilated", { $0[0].conv1d($0[1], bias: $0[2], dilation: 3) }, [x, w, b])
        expectGradient("conv1d kernel 3, padded", { $0[0].conv1d($0[1], dilation: 2, padding: .explicit(left: 1, right: 3)) },
                       [x, smooth([2, 3, 3], seed: 44)])
        expectGradient("conv1d pointwise", { $0[0].conv1d($0[1], bias: $0[2]) }, [x, smooth([4, 3, 1], seed: 45), b])
        expectGradient("gated activation", { $0[0].gatedActivation() }, [smooth([2, 6, 5], seed: 46, scale: 2)])
        expectGradient("gated activation, last axis", { $0[0].gatedActivation(axis: -1) }, [smooth([3, 10], seed: 47, scale: 2)])
    }

    @Test func secondDerivatives() {
        expectGradient("conv1d″", gradientNormSquared { $0[0].conv1d($0[1], bias: $0[2], dilation: 2) },
                       [smooth([1, 2, 5], seed: 51), smooth([3, 2, 2], seed: 52), smooth([3], seed: 53)])
        expectGradient("gated activation″", gradientNormSquared { $0[0].gatedActivation() }, [smooth([1, 4, 3], seed: 54)])
    }

    /// On sizes that take the GEMM's blocked path and several threads: the fused convolution
    /// against the composite, every gradient, and causality (output `t` has no gradient with
    /// respect to inputs after `t`).
    @Test func fusedConv1dMatchesCompositeAndIsCausal() {
        var rng = RandomGenerator(seed: 5)
        let x = Tensor.normal([3, 32, 300], using: &rng), w = Tensor.normal([64, 32, 2], using: &rng) * 0.2
        let b = Tensor.normal([64], using: &rng), g = Tensor.normal([3, 64, 300], using: &rng)
        for d in [1, 16, 128, 512] {
            let fused = [x, w, b].map { $0.requiringGrad() }, naive = [x, w, b].map { $0.requiringGrad() }
            let a = fused[0].conv1d(fused[1], bias: fused[2], dilation: d)
            let c = Tensor.conv1dComposite(naive[0], naive[1], bias: naive[2], dilation: d)
            #expect(closeness(a, c, atol: 1e-4, rtol: 1e-4) == nil, "dilation \(d)")
            for (p, q) in zip(gradients(of: (a * g).sum(), with: fused), gradients(of: (c * g).sum(), with: naive)) {
                #expect(closeness(p, q, atol: 1e-3, rtol: 1e-4) == nil, "dilation \(d)")
            }
            let leaf = x.requiringGrad()
            let early = leaf.conv1d(w, bias: b, dilation: d).sliced(axis: 2, 0..<100)
            let gx = gradients(of: early.sum(), with: [leaf])[0]
            #expect(gx.sliced(axis: 2, 100..<300).scalars.allSatisfy { $0 == 0 }, "dilation \(d)")
            #expect(gx.sliced(axis: 2, 0..<100).scalars.contains { $0 != 0 })
        }
        let gated = Tensor.normal([2, 64, 301], using: &rng).requiringGrad()
        let composite = gated.sliced(axis: 1, 0..<32).tanh() * gated.sliced(axis: 1, 32..<64).sigmoid()
        let gg = Tensor.normal([2, 32, 301], using: &rng)
        #expect(closeness(gated.gatedActivation(), composite, atol: 1e-6, rtol: 1e-5) == nil)
        let fusedGrad = gradients(of: (gated.gatedActivation() * gg).sum(), with: [gated])[0]
        let naiveGrad = gradients(of: (composite * gg).sum(), with: [gated])[0]
        #expect(closeness(fusedGrad, naiveGrad, atol: 1e-6, rtol: 1e-5) == nil)
    }
}
