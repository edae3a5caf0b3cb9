import Foundation
import Testing
import DeepGen
import DeepGenNN
import _DeepGenTestSupport

@Suite struct LossTests {
    @Test func binaryCrossEntropyWithLogitsIsStable() {
        let logits = Tensor([-200, -1, 0, 3, 200]), targets = Tensor([1, 0, 1, 1, 0])
        let l = Loss.binaryCrossEntropyWithLogits(logits, targets, reduction: .none)
        // −log σ(−200) = 200; −log(1 − σ(−1)) = softplus(−1); −log σ(0) = log 2; softplus(−3); 200.
        let expected = Tensor([200, Float(log1p(exp(-1.0))), Float(log(2.0)), Float(log1p(exp(-3.0))), 200])
        #expect(closeness(l, expected) == nil)
        #expect(l.scalars.allSatisfy { $0.isFinite })
        let g = gradients(of: Loss.binaryCrossEntropyWithLogits(logits.requiringGrad(), targets), with: [logits.requiringGrad()])
        #expect(g[0].scalars.allSatisfy { $0.isFinite })
    }

    @Test func binaryCrossEntropyClampsLogs() {
        let l = Loss.binaryCrossEntropy(Tensor([0, 1, 0.5]), Tensor([1, 0, 1]), reduction: .none)
        #expect(closeness(l, Tensor([100, 100, Float(log(2.0))])) == nil)
    }

    @Test func regressionAndHingeLosses() {
        let p = Tensor([1, 2, 3]), t = Tensor([2, 2, 5])
        #expect(Loss.meanSquaredError(p, t).scalar == Float(5) / 3)
        #expect(Loss.l1(p, t).scalar == 1)
        #expect(Loss.l1(p, t, reduction: .sum).scalar == 3)
        #expect(Loss.hingeDiscriminator(real: Tensor([2, 0.5]), fake: Tensor([-2, 0])).scalar == 0.25 + 0.5)
        #expect(Loss.hingeGenerator(fake: Tensor([1, 3])).scalar == -2)
    }

    @Test func crossEntropyOfUniformLogitsIsLogC() {
        let l = Loss.crossEntropy(Tensor(zeros: [3, 10]), labels: [0, 5, 9])
        #expect(Swift.abs(l.scalar - Float(log(10.0))) < 1e-6)
    }

    @Test func gaussianTermsMatchClosedForm() {
        // KL(N(μ, σ²)‖N(0,1)) = ½(σ² + μ² − 1 − log σ²).
        let mu = Tensor(shape: [1, 2], scalars: [0.5, -1]), logVar = Tensor(shape: [1, 2], scalars: [0, Float(log(4.0))])
        let kl = Loss.gaussianKL(mean: mu, logVariance: logVar)
        let expected = 0.5 * (1 + 0.25 - 1 - 0) + 0.5 * (4 + 1 - 1 - log(4.0))
        #expect(Swift.abs(Double(kl.scalar) - expected) < 1e-6)
        // log N(x | μ, σ²) = −½(log 2π + log σ² + (x − μ)²/σ²).
        let ll = Loss.gaussianLogLikelihood(Tensor(shape: [1, 1], scalars: [1]), mean: Tensor(shape: [1, 1], scalars: [0]),
                                            logVariance: Tensor(shape: [1, 1], scalars: [Float(log(4.0))]))
        #expect(Swift.abs(Double(ll.scalar) - (-0.5 * (log(2 * Double.pi) + log(4.0) + 0.25))) < 1e-6)
        let bll = Loss.bernoulliLogLikelihood(logits: Tensor(zeros: [2, 3]), Tensor(ones: [2, 3]))
        #expect(closeness(bll, Tensor([-3 * Float(log(2.0)), -3 * Float(log(2.0))])) == nil)
    }

    @Test func gradientPenaltyOfLinearCritic() {
        // D(x) = x·w has ∇ₓD = w for every x, so the penalty is (‖w‖ − 1)² exactly,
        // and its gradient in w is 2(‖w‖ − 1)·w/‖w‖.
        let w = Tensor(shape: [3, 1], scalars: [1, 2, 2]).requiringGrad()
        var rng = RandomGenerator(seed: 4)
        let real = Tensor.normal([5, 3], using: &rng), fake = Tensor.normal([5, 3], using: &rng)
        let gp = Loss.gradientPenalty(critic: { $0.matmul(w) }, real: real, fake: fake, using: &rng)
        #expect(Swift.abs(gp.scalar - 4) < 1e-5)
        let g = gradients(of: gp, with: [w])[0]
        #expect(closeness(g, Tensor(shape: [3, 1], scalars: [4.0 / 3, 8.0 / 3, 8.0 / 3])) == nil)
        let r1 = Loss.r1Penalty(critic: { $0.matmul(w) }, real: real)
        #expect(Swift.abs(r1.scalar - 9) < 1e-5)
    }

    @Test func gradientPenaltyUsesOneAlphaPerSample() {
        // With a critic that is quadratic in x, per-pixel α would change the result; check α's
        // shape through the interpolate the critic sees.
        var seen: [Int] = []
        var rng = RandomGenerator(seed: 5)
        let real = Tensor(ones: [4, 1, 2, 2]), fake = Tensor(zeros: [4, 1, 2, 2])
        _ = Loss.gradientPenalty(critic: { x in
            seen = x.shape
            // Every pixel of a sample must carry the same α.
            for n in 0..<4 { let v = x.sliced(axis: 0, n..<(n + 1)).scalars; #expect(Set(v).count == 1) }
            return x.square().sum(axes: [1, 2, 3])
        }, real: real, fake: fake, using: &rng)
        #expect(seen == [4, 1, 2, 2])
    }
}
