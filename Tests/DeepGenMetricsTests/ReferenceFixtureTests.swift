import Foundation
import Testing
import DeepGen
import DeepGenData
@testable import DeepGenMetrics

/// DeepGenMetrics against numpy/scipy's formulas on the same features
/// (Scripts/make_metric_fixtures.py → Fixtures/).
@Suite struct ReferenceFixtureTests {
    static func features(_ name: String) throws -> Tensor {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Fixtures"))
        return try NPYArray.read(url).tensor
    }

    static func reference() throws -> [String: Any] {
        let url = try #require(Bundle.module.url(forResource: "metrics_reference", withExtension: "json", subdirectory: "Fixtures"))
        return try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func relativeError(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-12) }

    @Test func frechetDistanceMatchesScipySqrtm() throws {
        let a = try Self.features("features_a"), b = try Self.features("features_b")
        let expected = try #require(Self.reference()["fid"] as? Double)
        let fid = try frechetDistance(GaussianStatistics(features: a), GaussianStatistics(features: b))
        #expect(Self.relativeError(fid, expected) <= 1e-3, "FID \(fid), scipy \(expected)")
        // A set against itself: zero up to round-off (relative to the covariance's trace).
        let stats = try GaussianStatistics(features: a)
        let trace = (0..<stats.dimension).reduce(0.0) { $0 + stats.covariance[$1 * stats.dimension + $1] }
        let own = try frechetDistance(stats, stats)
        #expect(abs(own) <= 1e-9 * trace, "FID of a set with itself \(own)")
    }

    @Test func unbiasedMMDMatchesNumpy() throws {
        let a = try Self.features("features_a").sliced(axis: 0, 0..<500), b = try Self.features("features_b")
        let expected = try #require(Self.reference()["mmd2_unbiased"] as? Double)
        let mmd = try unbiasedMMD2(a, b)
        #expect(Self.relativeError(mmd, expected) <= 1e-3, "MMD² \(mmd), numpy \(expected)")
        // One subset of the full size is a permutation of the sets: the same value.
        let kid = try kernelInceptionDistance(a, b, subsets: 1, subsetSize: 500)
        #expect(Self.relativeError(kid.mean, expected) <= 1e-3)
        #expect(kid.standardDeviation == 0)
    }

    @Test func precisionRecallDensityCoverageMatchPrdc() throws {
        let a = try Self.features("features_a"), b = try Self.features("features_b")
        let expected = try #require(Self.reference()["prdc_k3"] as? [String: Double])
        let m = try ManifoldMetrics(real: a, fake: b, k: 3)
        // float32 distances may flip a comparison on a ball's edge: allow one sample's worth.
        #expect(abs(m.precision - expected["precision"]!) <= 1.0 / 500 + 1e-12, "precision \(m.precision) vs \(expected["precision"]!)")
        #expect(abs(m.recall - expected["recall"]!) <= 1.0 / 600 + 1e-12, "recall \(m.recall) vs \(expected["recall"]!)")
        #expect(abs(m.density - expected["density"]!) <= 1.0 / 1500 + 1e-12, "density \(m.density) vs \(expected["density"]!)")
        #expect(abs(m.coverage - expected["coverage"]!) <= 1.0 / 600 + 1e-12, "coverage \(m.coverage) vs \(expected["coverage"]!)")
    }

    @Test func classifierScoreMatchesInceptionScoreFormula() throws {
        let p = try Self.features("probabilities")
        let expected = try #require(Self.reference()["inception_score_10"] as? [Double])
        let score = try ClassifierScore(probabilities: p, splits: 10)
        #expect(Self.relativeError(score.mean, expected[0]) <= 1e-3, "score \(score.mean) vs \(expected[0])")
        #expect(Self.relativeError(score.standardDeviation, expected[1]) <= 1e-2)
        #expect(abs(score.classHistogram.reduce(0, +) - 1) < 1e-9)
    }
}
