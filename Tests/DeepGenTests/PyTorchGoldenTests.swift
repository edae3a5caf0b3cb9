import Foundation
import Testing
import DeepGen
import _DeepGenTestSupport

// Golden values from PyTorch (Scripts/make_fixtures.py, computed in float64 from float32 inputs).

func fixture(_ name: String) -> [FixtureCase] {
    do { return try loadFixture(name, bundle: .module) } catch {
        Issue.record("cannot load fixture \(name): \(error)")
        return []
    }
}

func size2(_ c: FixtureCase, _ key: String, _ fallback: Int) -> Size2 {
    let p = c.pair(key, default: (fallback, fallback))
    return Size2(p.0, p.1)
}

/// Runs `f` on the case's inputs and checks its output and the input gradients for
/// `loss = Σ output · grad_output` against the fixture.
func expectMatches(
    _ c: FixtureCase, inputs names: [String], gradients gradNames: [String], output: String = "y",
    atol: Float = 1e-5, rtol: Float = 1e-4, _ f: ([Tensor]) -> Tensor
) {
    let inputs = names.map { c.tensor($0).requiringGrad() }
    let y = f(inputs)
    if let problem = closeness(y, c.tensor(output), atol: atol, rtol: rtol) { Issue.record("\(c.name) \(output): \(problem)") }
    let grads = gradients(of: (y * c.tensor("grad_output")).sum(), with: inputs)
    for (g, name) in zip(grads, gradNames) {
        if let problem = closeness(g, c.tensor(name), atol: atol, rtol: rtol) { Issue.record("\(c.name) \(name): \(problem)") }
    }
}

@Suite struct PyTorchGoldenTests {
    /// Winograd's transforms round to a few millionths of the sums' scale (these sums of 400
    /// products of unit normals reach ±60), not of each result: elements that cancel to near zero
    /// are off by ~1e-4 absolute. The other cases keep the default 1e-5.
    static func convolutionAbsoluteTolerance(_ c: FixtureCase) -> Float {
        c.name.hasPrefix("winograd") || c.name.hasPrefix("s2_phases") ? 3e-4 : 1e-5
    }

    @Test func conv2dForwardAndGradients() {
        let cases = fixture("conv2d")
        #expect(cases.count == 11)
        for c in cases {
            let hasBias = c.tensors["b"] != nil
            expectMatches(c, inputs: hasBias ? ["x", "w", "b"] : ["x", "w"],
                          gradients: hasBias ? ["grad_x", "grad_w", "grad_b"] : ["grad_x", "grad_w"],
                          atol: Self.convolutionAbsoluteTolerance(c)) { t in
                t[0].conv2d(weight: t[1], bias: hasBias ? t[2] : nil, stride: size2(c, "stride", 1),
                            padding: size2(c, "padding", 0), dilation: size2(c, "dilation", 1))
            }
        }
    }

    @Test func convTranspose2dForwardAndGradients() {
        let cases = fixture("conv_transpose2d")
        #expect(cases.count == 10)
        for c in cases {
            let hasBias = c.tensors["b"] != nil
            expectMatches(c, inputs: hasBias ? ["x", "w", "b"] : ["x", "w"],
                          gradients: hasBias ? ["grad_x", "grad_w", "grad_b"] : ["grad_x", "grad_w"],
                          atol: Self.convolutionAbsoluteTolerance(c)) { t in
                t[0].convTranspose2d(weight: t[1], bias: hasBias ? t[2] : nil, stride: size2(c, "stride", 1),
                                     padding: size2(c, "padding", 0), outputPadding: size2(c, "output_padding", 0),
                                     dilation: size2(c, "dilation", 1))
            }
        }
    }

    @Test func logSoftmaxAndCrossEntropy() {
        let cases = fixture("cross_entropy")
        #expect(cases.count == 3)
        for c in cases {
            let labels = c.tensor("labels").scalars.map { Int($0) }
            expectMatches(c, inputs: ["logits"], gradients: ["grad_log_softmax_input"], output: "log_softmax") { $0[0].logSoftmax(axis: 1) }
            let logits = c.tensor("logits").requiringGrad()
            if let p = closeness(logits.softmax(axis: 1), c.tensor("softmax")) { Issue.record("\(c.name) softmax: \(p)") }
            // Cross-entropy: mean of −log_softmax at the label.
            let loss = -logits.logSoftmax(axis: 1).gatheringClassScores(labels).mean()
            if let p = closeness(loss, c.tensor("loss")) { Issue.record("\(c.name) loss: \(p)") }
            if let p = closeness(gradients(of: loss, with: [logits])[0], c.tensor("grad_logits")) { Issue.record("\(c.name) grad: \(p)") }
        }
    }

    @Test func poolingForwardAndGradients() {
        let cases = fixture("pooling")
        #expect(cases.count == 4)
        for c in cases {
            guard case .string(let op)? = c.params["op"] else { Issue.record("no op in \(c.name)"); continue }
            expectMatches(c, inputs: ["x"], gradients: ["grad_x"]) { t in
                op == "max"
                    ? t[0].maxPool2d(kernel: size2(c, "kernel", 1), stride: size2(c, "stride", 1), padding: size2(c, "padding", 0))
                    : t[0].avgPool2d(kernel: size2(c, "kernel", 1), stride: size2(c, "stride", 1), padding: size2(c, "padding", 0))
            }
        }
    }

    @Test func miscellaneousOps() {
        let cases = fixture("misc_ops")
        #expect(cases.count == 9)
        for c in cases {
            let f: ([Tensor]) -> Tensor
            switch c.name {
            case "softplus": f = { $0[0].softplus() }
            case "sin": f = { $0[0].sin() }
            case "cos": f = { $0[0].cos() }
            case "log_sigmoid": f = { $0[0].logSigmoid() }
            case "logsumexp_axis1": f = { $0[0].logSumExp(axis: 1) }
            case "variance_axes02": f = { $0[0].variance(axes: [0, 2], keepDims: true) }
            case "upsample_nearest2": f = { $0[0].upsampledNearest(scale: 2) }
            case "reflect_pad": f = { $0[0].reflectionPadded2d(left: 2, right: 1, top: 1, bottom: 2) }
            case "instance_norm_like": f = { x in
                let centered = x[0] - x[0].mean(axes: [2, 3], keepDims: true)
                return centered / (centered.square().mean(axes: [2, 3], keepDims: true) + 1e-5).sqrt()
            }
            default: Issue.record("unknown case \(c.name)"); continue
            }
            expectMatches(c, inputs: ["x"], gradients: ["grad_x"], f)
        }
    }

    /// The WGAN-GP penalty's gradient with respect to the critic's parameters: a second-order
    /// gradient through linear, tanh and leaky-ReLU layers, and through a convolution.
    @Test func gradientPenaltySecondOrder() {
        let cases = fixture("gradient_penalty")
        #expect(cases.count == 2)
        for c in cases {
            let paramNames = c.tensors.keys.filter { !$0.hasPrefix("grad") && ($0.hasSuffix(".weight") || $0.hasSuffix(".bias")) }.sorted()
            let params = paramNames.map { c.tensor($0).requiringGrad() }
            let p = Dictionary(uniqueKeysWithValues: zip(paramNames, params))
            let critic: (Tensor) -> Tensor
            if c.name == "mlp" {
                critic = { x in
                    let h1 = x.matmul(p["l1.weight"]!, transposeOther: true) + p["l1.bias"]!
                    let h2 = (h1.tanh().matmul(p["l2.weight"]!, transposeOther: true) + p["l2.bias"]!).leakyRelu(0.2)
                    return h2.matmul(p["l3.weight"]!, transposeOther: true) + p["l3.bias"]!
                }
            } else {
                critic = { x in
                    let h = x.conv2d(weight: p["conv.weight"]!, bias: p["conv.bias"]!, stride: 2, padding: 1).leakyRelu(0.2)
                    return h.flattened().matmul(p["fc.weight"]!, transposeOther: true) + p["fc.bias"]!
                }
            }
            let alpha = c.tensor("alpha"), real = c.tensor("real"), fake = c.tensor("fake")
            let xHat = (alpha * real + (1 - alpha) * fake).requiringGrad()
            let d = critic(xHat)
            if let q = closeness(d, c.tensor("d")) { Issue.record("\(c.name) d: \(q)") }
            let gx = gradients(of: d.sum(), with: [xHat], createGraph: true)[0]
            if let q = closeness(gx, c.tensor("grad_x_hat")) { Issue.record("\(c.name) grad_x_hat: \(q)") }
            let norms = gx.flattened().square().sum(axis: 1).sqrt()
            let gp = (norms - 1).square().mean()
            if let q = closeness(gp, c.tensor("gp")) { Issue.record("\(c.name) gp: \(q)") }
            let grads = gradients(of: gp, with: params + [xHat])
            for (name, g) in zip(paramNames, grads) {
                if let q = closeness(g, c.tensor("grad." + name), atol: 1e-5, rtol: 1e-4) { Issue.record("\(c.name) grad.\(name): \(q)") }
            }
            if let q = closeness(grads.last!, c.tensor("grad_gp_x_hat"), atol: 1e-5, rtol: 1e-4) { Issue.record("\(c.name) grad_gp_x_hat: \(q)") }
        }
    }
}
