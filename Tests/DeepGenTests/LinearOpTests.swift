import Testing
import DeepGenKernels
import DeepGen
import _DeepGenTestSupport

/// `Tensor.linear` (a Linear layer and its activation as one op): PyTorch's values (`linear.json`
/// from Scripts/make_fixtures.py), finite-difference first and second derivatives, and the same
/// bits as the separate ops it replaces, forward and backward, on every GEMM path.
@Suite(.serialized) struct LinearOpTests {
    static let activations: [LinearActivation] = [.identity, .relu, .leakyRelu(0.2), .sigmoid, .tanh, .gelu]

    /// The separate ops: product, bias, activation.
    static func composite(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ activation: LinearActivation) -> Tensor {
        let p = x.matmul(w, transposeOther: true)
        let y = b.map { p + $0 } ?? p
        switch activation {
        case .identity: return y
        case .relu: return y.relu()
        case .leakyRelu(let slope): return y.leakyRelu(slope)
        case .sigmoid: return y.sigmoid()
        case .tanh: return y.tanh()
        case .gelu: return y.gelu()
        }
    }

    static func activation(named name: String) -> LinearActivation? {
        switch name {
        case "identity": return .identity
        case "relu": return .relu
        case "leaky_relu": return .leakyRelu(0.2)
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        case "gelu": return .gelu
        default: return nil
        }
    }

    @Test func matchPyTorch() {
        let cases = fixture("linear")
        #expect(cases.count == 8)
        for c in cases {
            guard case .string(let name)? = c.params["activation"], let activation = Self.activation(named: name) else {
                Issue.record("\(c.name) has no known activation"); continue
            }
            let names = ["x", "w", "b"].filter { c.tensors[$0] != nil }
            expectMatches(c, inputs: names, gradients: names.map { "grad_" + $0 }) { t in
                t[0].linear(weight: t[1], bias: names.count > 2 ? t[2] : nil, activation: activation)
            }
        }
    }

    @Test func finiteDifferenceGradients() {
        let x = smooth([3, 5], seed: 41), w = smooth([4, 5], seed: 42), b = smooth([4], seed: 43)
        for a in Self.activations {
            expectGradient("linear \(a)", { $0[0].linear(weight: $0[1], bias: $0[2], activation: a) }, [x, w, b])
            expectGradient("linear \(a) without bias", { $0[0].linear(weight: $0[1], bias: nil, activation: a) }, [x, w])
        }
    }

    /// The backward pass recorded under `createGraph` (the R1 penalty's) is differentiable. Its
    /// second derivatives are the separate ops' bit for bit where the activation's derivative is
    /// a constant mask (identity, ReLU, leaky ReLU: the GANs' discriminators); through sigmoid,
    /// tanh and GELU the product is recomputed for the derivative, so the two paths to it add up
    /// in another order (equal to rounding).
    @Test func secondDerivatives() {
        let x = smooth([2, 3], seed: 44), w = smooth([3, 3], seed: 45), b = smooth([3], seed: 46)
        for a in Self.activations {
            let fused = gradientNormSquared { $0[0].linear(weight: $0[1], bias: $0[2], activation: a) }
            let separate = gradientNormSquared { Self.composite($0[0], $0[1], $0[2], a) }
            expectGradient("linear \(a)″", fused, [x, w, b])
            let lf = [x, w, b].map { $0.requiringGrad() }, ls = [x, w, b].map { $0.requiringGrad() }
            let gf = gradients(of: fused(lf).sum(), with: lf), gs = gradients(of: separate(ls).sum(), with: ls)
            for (f, s) in zip(gf, gs) {
                switch a {
                case .identity, .relu, .leakyRelu: #expect(f.scalars.map(\.bitPattern) == s.scalars.map(\.bitPattern), "\(a)″")
                default: #expect(closeness(f, s, atol: 1e-6, rtol: 1e-5) == nil, "\(a)″")
                }
            }
        }
    }

    /// Outputs and all three gradients equal the separate ops' bit for bit: thin products, the
    /// blocked GEMM with one and with three K slices, row and column splits, 1 and 2 threads.
    @Test(arguments: [1, 2]) func sameBitsAsTheSeparateOps(_ threads: Int) {
        let shapes = [(5, 7, 6), (70, 33, 9), (48, 600, 70), (130, 40, 300), (40, 90, 300)]  // (M, K, N)
        Parallel.withThreadCount(threads) {
            for (si, (m, k, n)) in shapes.enumerated() {
                var rng = RandomGenerator(seed: UInt64(100 + si))
                let x = Tensor.normal([m, k], using: &rng), w = Tensor.normal([n, k], using: &rng) * 0.2
                let b = Tensor.normal([n], using: &rng), g = Tensor.normal([m, n], using: &rng)
                for a in Self.activations {
                    for withBias in [true, false] {
                        let lf = [x, w, b].map { $0.requiringGrad() }, ls = [x, w, b].map { $0.requiringGrad() }
                        let yf = lf[0].linear(weight: lf[1], bias: withBias ? lf[2] : nil, activation: a)
                        let ys = Self.composite(ls[0], ls[1], withBias ? ls[2] : nil, a)
                        let what = "\(m)×\(k)×\(n) \(a) bias \(withBias) threads \(threads)"
                        #expect(yf.scalars.map(\.bitPattern) == ys.scalars.map(\.bitPattern), "\(what): output")
                        let count = withBias ? 3 : 2
                        let gf = gradients(of: (yf * g).sum(), with: Array(lf.prefix(count)))
                        let gs = gradients(of: (ys * g).sum(), with: Array(ls.prefix(count)))
                        for (i, (f, s)) in zip(gf, gs).enumerated() {
                            #expect(f.scalars.map(\.bitPattern) == s.scalars.map(\.bitPattern), "\(what): gradient \(i)")
                        }
                    }
                }
            }
        }
    }

    @Test func inputWithoutGradient() {
        // The first layer's input needs no gradient: only the weight's and the bias's are computed.
        let x = smooth([3, 4], seed: 47), w = smooth([2, 4], seed: 48).requiringGrad(), b = smooth([2], seed: 49).requiringGrad()
        let y = x.linear(weight: w, bias: b, activation: .tanh)
        let g = gradients(of: y.sum(), with: [w, b])
        let s = gradients(of: Self.composite(x, w, b, .tanh).sum(), with: [w, b])
        for (f, c) in zip(g, s) { #expect(f.scalars == c.scalars) }
    }
}
