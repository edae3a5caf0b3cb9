import Foundation
import Testing
@testable import DeepGenKernels

/// The vectorized Adam pass (each of its loop variants: Adam, AdamW, L2 decay, β₁ ≤ 0.5, AMSGrad)
/// against PyTorch's order of operations written out element by element: equal bit for bit over
/// many binades, zeros, NaN and squares that overflow, at early and late steps.
@Suite struct AdamUpdateTests {
    struct Case: CustomStringConvertible {
        var decoupled = false, decay: Float = 1, l2: Float = 0, w1: Float = 0.1, amsgrad = false
        var description: String { "decoupled \(decoupled) decay \(decay) l2 \(l2) w1 \(w1) amsgrad \(amsgrad)" }
    }

    /// Values over many binades with both signs, zeros, and squares that overflow.
    static func values(_ count: Int, seed: UInt64, low: Int, high: Int) -> [Float] {
        var state = seed
        return (0..<count).map { i in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let bits = state >> 20
            if i % 97 == 0 { return 0 }
            if i % 101 == 0 { return Float(sign: .plus, exponent: 70, significand: 1.5) }  // g² = ∞
            let exponent = low + Int(bits % UInt64(high - low + 1))
            let significand = 1 + Float((bits >> 8) & 0x7F_FFFF) / Float(1 << 23)
            return Float(sign: (bits >> 40) & 1 == 0 ? .plus : .minus, exponent: exponent, significand: significand)
        }
    }

    static func reference(_ c: Case, p: inout [Float], g: [Float], m: inout [Float], v: inout [Float], vmax: inout [Float],
                          beta2: Float, correction2Sqrt: Float, epsilon: Float, negStep: Float) {
        for i in p.indices {
            var gi = g[i], pi = p[i]
            if c.decoupled { pi *= c.decay } else if c.l2 != 0 { gi = gi.addingProduct(c.l2, pi) }
            let mi = abs(c.w1) < 0.5 ? m[i] + c.w1 * (gi - m[i]) : gi - (gi - m[i]) * (1 - c.w1)
            let vi = v[i] * beta2 + (1 - beta2) * gi * gi
            var second = vi
            if c.amsgrad { second = vmax[i] < vi ? vi : vmax[i]; vmax[i] = second }
            m[i] = mi
            v[i] = vi
            let denominator = second.squareRoot() / correction2Sqrt + epsilon
            p[i] = pi + negStep * mi / denominator
        }
    }

    static let cases = [Case(), Case(decoupled: true, decay: 0.999), Case(l2: 0.01), Case(w1: 0.9), Case(amsgrad: true)]

    @Test(arguments: cases, [Float(0.999), 0.99, 0.9])
    func matchesPyTorchsOrderBitForBit(_ c: Case, beta2: Float) {
        let n = 20_000
        let g = Self.values(n, seed: 1, low: -40, high: 10), m0 = Self.values(n, seed: 2, low: -40, high: 5)
        let v0 = Self.values(n, seed: 3, low: -126, high: 20).map { $0.magnitude }
        let p0 = Self.values(n, seed: 4, low: -20, high: 3)
        for t in [1, 2, 3, 7, 50, 400, 5000, 30000] {
            let correction2Sqrt = (1 - Float(pow(Double(beta2), Double(t)))).squareRoot(), epsilon: Float = 1e-8
            let negStep = Float(-1e-3 / (1 - pow(0.9, Double(t))))
            var p = p0, m = m0, v = v0, vmax = v0.map { $0 * 0.5 }
            var pr = p0, mr = m0, vr = v0, vmaxr = vmax
            let scalars = AdamUpdate.Scalars(
                decoupled: c.decoupled, decay: c.decay, l2: c.l2, w1: c.w1, beta2: beta2, oneMinusBeta2: 1 - beta2,
                biasCorrection2Sqrt: correction2Sqrt, epsilon: epsilon, negStepSize: negStep)
            p.withUnsafeMutableBufferPointer { p in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        vmax.withUnsafeMutableBufferPointer { vmax in
                            _ = AdamUpdate.run(parameter: p.baseAddress!, gradient: g, expAvg: m.baseAddress!, expAvgSq: v.baseAddress!,
                                               maxExpAvgSq: c.amsgrad ? vmax.baseAddress! : nil, count: n, scalars)
                        }
                    }
                }
            }
            Self.reference(c, p: &pr, g: g, m: &mr, v: &vr, vmax: &vmaxr, beta2: beta2, correction2Sqrt: correction2Sqrt,
                           epsilon: epsilon, negStep: negStep)
            func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }
            let differing = p.indices.filter { !same(p[$0], pr[$0]) || !same(m[$0], mr[$0]) || !same(v[$0], vr[$0]) }
            #expect(differing.count == 0, "step \(t): \(differing.count) elements differ, first \(differing.first.map { "p \(p[$0]) vs \(pr[$0]), v \(v0[$0])" } ?? "")")
        }
    }

    /// Extreme bias corrections (1, 2⁻¹², 2⁻⁷⁰) and an infinite second moment leave the parameter
    /// as PyTorch's formula does, and the non-finite gradient and parameter are both reported.
    @Test func edgeScalarsAndInfiniteMoments() {
        for correction2Sqrt: Float in [1, 0x1p-12, 0x1p-70] {
            var p: [Float] = [1, 2, -3, 4], m: [Float] = [0, 0, 0, 0], v: [Float] = [.infinity, 0, 1e-40, 3]
            var pr = p, mr = m, vr = v, vmaxr = v
            let g: [Float] = [1e-3, 0, 1e-20, .nan]
            let scalars = AdamUpdate.Scalars(decoupled: false, decay: 1, l2: 0, w1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001,
                                             biasCorrection2Sqrt: correction2Sqrt, epsilon: 1e-8, negStepSize: -1e-3)
            let seen = AdamUpdate.run(parameter: &p, gradient: g, expAvg: &m, expAvgSq: &v, maxExpAvgSq: nil, count: 4, scalars)
            Self.reference(Case(), p: &pr, g: g, m: &mr, v: &vr, vmax: &vmaxr, beta2: 0.999, correction2Sqrt: correction2Sqrt,
                           epsilon: 1e-8, negStep: -1e-3)
            #expect(p[0] == pr[0] && p[1] == pr[1] && p[2] == pr[2] && p[3].isNaN, "c \(correction2Sqrt): \(p) vs \(pr)")
            #expect(seen == [.gradient, .parameter])
        }
    }
}
