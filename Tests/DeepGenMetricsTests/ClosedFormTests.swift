import Foundation
import Testing
import DeepGen
@testable import DeepGenMetrics

/// Metrics on inputs whose answers are known exactly.
@Suite struct ClosedFormTests {
    @Test func eigendecompositionReconstructsTheMatrix() {
        var rng = RandomGenerator(seed: 3)
        let n = 24
        let r = Tensor.normal([n, n], using: &rng).scalars.map(Double.init)
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { a[i * n + j] = r[i * n + j] + r[j * n + i] } }
        let e = SymmetricEigen(a, n: n)
        #expect(e.values == e.values.sorted())
        let back = e.map { $0 }
        let err = zip(back, a).map { abs($0 - $1) }.max()!
        #expect(err < 1e-10, "reconstruction error \(err)")
        // Vᵀ V = I.
        for i in 0..<n {
            for j in 0..<n {
                let dot = (0..<n).reduce(0.0) { $0 + e.vectors[$1 * n + i] * e.vectors[$1 * n + j] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-10)
            }
        }
    }

    @Test func frechetDistanceOfDiagonalGaussians() throws {
        // Commuting covariances: ‖Δμ‖² + Σ (√aᵢ − √bᵢ)².
        let a = GaussianStatistics(mean: [1, 2, 3], covariance: [4, 0, 0, 0, 9, 0, 0, 0, 1e-8], count: 10)
        let b = GaussianStatistics(mean: [0, 2, 5], covariance: [1, 0, 0, 0, 9, 0, 0, 0, 16], count: 10)
        let expected = 1.0 + 0 + 4 + (2.0 - 1) * (2.0 - 1) + 0 + (1e-4 - 4) * (1e-4 - 4)
        #expect(abs(try frechetDistance(a, b) - expected) < 1e-9)
    }

    @Test func frechetDistanceOfNonCommutingCovariances() throws {
        // For 2×2 PSD A, B: tr √(AB) = √(tr AB + 2 √(det A det B)), AB's eigenvalues being real and ≥ 0.
        let a: [Double] = [2, 0.8, 0.8, 1], b: [Double] = [0.5, -0.3, -0.3, 3]
        let ab = multiply(a, b, 2)
        let detA = a[0] * a[3] - a[1] * a[2], detB = b[0] * b[3] - b[1] * b[2]
        let traceRoot = (ab[0] + ab[3] + 2 * (detA * detB).squareRoot()).squareRoot()
        let expected = 1.0 + (2 + 1 + 0.5 + 3) - 2 * traceRoot
        let fid = try frechetDistance(GaussianStatistics(mean: [1, 0], covariance: a, count: 2),
                                      GaussianStatistics(mean: [0, 0], covariance: b, count: 2))
        #expect(abs(fid - expected) < 1e-10, "\(fid) vs \(expected)")
        // A singular covariance (rank 1) is fine: no NaN from the square root.
        let singular = try frechetDistance(GaussianStatistics(mean: [0, 0], covariance: [1, 1, 1, 1], count: 2),
                                           GaussianStatistics(mean: [0, 0], covariance: [1, 1, 1, 1], count: 2))
        #expect(abs(singular) < 1e-9)
    }

    @Test func fidIsZeroForASetWithItselfAndGrowsWithNoise() throws {
        var rng = RandomGenerator(seed: 11)
        let x = Tensor.normal([2000, 8], using: &rng) * Tensor(shape: [8], scalars: [1, 2, 3, 0.5, 1, 1, 4, 0.1])
        let base = try GaussianStatistics(features: x)
        #expect(abs(try frechetDistance(base, base)) < 1e-9)
        var previous = 0.0
        for noise: Float in [0.1, 0.3, 1, 3] {
            let noisy = x + noise * Tensor.normal(x.shape, using: &rng)
            let fid = try frechetDistance(base, GaussianStatistics(features: noisy))
            #expect(fid > previous, "FID with noise \(noise): \(fid), not above \(previous)")
            previous = fid
        }
    }

    @Test func kidIsUnbiasedOnEqualDistributions() throws {
        // Averaged over many independent small pairs from one distribution, the unbiased MMD² is
        // zero within its standard error; the biased estimate (diagonal kept) is clearly positive.
        var rng = RandomGenerator(seed: 5)
        var values: [Double] = [], biased: [Double] = []
        let m = 16
        for _ in 0..<300 {
            let x = Tensor.normal([m, 4], using: &rng), y = Tensor.normal([m, 4], using: &rng)
            let u = try unbiasedMMD2(x, y)
            values.append(u)
            let kxx = polynomialKernel(x, x).sum().scalar, kyy = polynomialKernel(y, y).sum().scalar, kxy = polynomialKernel(x, y).sum().scalar
            biased.append(Double(kxx + kyy - 2 * kxy) / Double(m * m))
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        let standardError = sd / Double(values.count).squareRoot()
        #expect(abs(mean) < 3 * standardError, "mean unbiased MMD² \(mean), standard error \(standardError)")
        let biasedMean = biased.reduce(0, +) / Double(biased.count)
        #expect(biasedMean > 10 * standardError, "biased estimate \(biasedMean) should sit well above 0")
        // A shifted distribution gives a clearly positive KID.
        let x = Tensor.normal([400, 4], using: &rng), y = Tensor.normal([400, 4], using: &rng) + 0.5
        let kid = try kernelInceptionDistance(x, y, subsets: 20, subsetSize: 200, seed: 1)
        #expect(kid.mean > 5 * kid.standardDeviation)
    }

    @Test func precisionRecallSeparateFidelityFromCoverage() throws {
        var rng = RandomGenerator(seed: 9)
        let real = Tensor.normal([600, 4], using: &rng)
        // Half the real distribution (x₀ > 0 only): samples are faithful, coverage is partial.
        let half = Tensor.normal([600, 4], using: &rng).abs() * Tensor(shape: [4], scalars: [1, 0, 0, 0]) +
            Tensor.normal([600, 4], using: &rng) * Tensor(shape: [4], scalars: [0, 1, 1, 1])
        let m = try ManifoldMetrics(real: real, fake: half, k: 3)
        #expect(m.precision > 0.85, "precision \(m.precision)")
        #expect(m.recall < 0.75, "recall \(m.recall)")
        // Identical sets: everything inside.
        let same = try ManifoldMetrics(real: real, fake: real, k: 3)
        #expect(same.precision == 1 && same.recall == 1 && same.coverage == 1)
        #expect(throws: MetricError.self) { try ManifoldMetrics(real: real.sliced(axis: 0, 0..<3), fake: real, k: 3) }
    }

    @Test func classifierScoreExtremes() throws {
        // Confident and uniform over K classes: score K. All one class: score 1.
        let k = 5
        let spread = Tensor(shape: [100, k], scalars: (0..<100).flatMap { i in (0..<k).map { $0 == i % k ? Float(1) : 0 } })
        let s = try ClassifierScore(probabilities: spread, splits: 1)
        #expect(abs(s.mean - Double(k)) < 1e-6)
        #expect(s.classHistogram.allSatisfy { abs($0 - 0.2) < 1e-9 })
        let collapsed = Tensor(shape: [100, k], scalars: (0..<100).flatMap { _ in [Float(1), 0, 0, 0, 0] })
        #expect(abs(try ClassifierScore(probabilities: collapsed, splits: 2).mean - 1) < 1e-9)
    }

    @Test func modeCoverageOnHandMadeSamples() throws {
        let ring = (0..<8).map { k in (x: Float(cos(2 * Double.pi * Double(k) / 8)), y: Float(sin(2 * Double.pi * Double(k) / 8))) }
        let sigma: Float = 0.01
        // Two points on mode 0, one on mode 1 (2.9σ away), one on mode 2, one 3.1σ from mode 3, one far away.
        let points: [Float] = [
            ring[0].x, ring[0].y, ring[0].x + 0.01, ring[0].y,
            ring[1].x + 2.9 * sigma, ring[1].y,
            ring[2].x, ring[2].y,
            ring[3].x + 3.1 * sigma, ring[3].y,
            5, 5,
        ]
        let m = try ModeCoverage(points: Tensor(shape: [6, 2], scalars: points), means: ring, sigma: sigma)
        #expect(m.modesCovered == 3)
        #expect(m.counts == [2, 1, 1, 0, 0, 0, 0, 0])
        #expect(abs(m.highQualityFraction - 4.0 / 6) < 1e-12)
        // p = (½, ¼, ¼) against 1/8: ½ ln 4 + ½ ln 2.
        #expect(abs(m.klFromUniform - (0.5 * log(4.0) + 0.5 * log(2.0))) < 1e-12)
        // Every mode hit equally: all covered, KL 0.
        let even = try ModeCoverage(points: Tensor(shape: [8, 2], scalars: ring.flatMap { [$0.x, $0.y] }), means: ring, sigma: sigma)
        #expect(even.modesCovered == 8 && even.klFromUniform.magnitude < 1e-12 && even.highQualityFraction == 1)
        #expect(throws: MetricError.self) { try ModeCoverage(points: Tensor(zeros: [4, 3]), means: ring, sigma: sigma) }
    }
}
