import DeepGen
import Foundation

/// Mode coverage of 2-D samples from a Gaussian mixture, the protocol of VEEGAN (Srivastava et
/// al. 2017) and PacGAN (Lin et al. 2018): a sample is high quality when it lies within 3σ of
/// its nearest mode's mean; a mode is covered when at least one high-quality sample is nearest
/// to it. The KL divergence of the high-quality samples' mode histogram from uniform says how
/// evenly the covered modes are hit (0 is perfectly even).
public struct ModeCoverage: Codable, Equatable, Sendable {
    public var modesCovered: Int
    public var modeCount: Int
    /// Share of samples within 3σ of their nearest mean, in [0, 1].
    public var highQualityFraction: Double
    /// KL(histogram ‖ uniform) in nats; infinite when no sample is high quality.
    public var klFromUniform: Double
    /// High-quality samples nearest to each mode.
    public var counts: [Int]
    public var sampleCount: Int

    /// - Parameters: `points` `[N, 2]`; the mixture's `means` and per-mode standard deviation `sigma`.
    public init(points: Tensor, means: [(x: Float, y: Float)], sigma: Float) throws {
        guard points.rank == 2, points.shape[1] == 2 else {
            throw MetricError.shapeMismatch("mode coverage needs [N, 2] points, got \(points.shape)")
        }
        guard !means.isEmpty else { throw MetricError.unsupported("mode coverage needs a mixture with discrete modes (ring8, grid25)") }
        guard points.shape[0] > 0 else { throw MetricError.notEnoughSamples("mode coverage needs samples") }
        let p = points.scalars.map(Double.init)
        var counts = [Int](repeating: 0, count: means.count)
        var good = 0
        let radius = 3 * Double(sigma)
        for i in 0..<points.shape[0] {
            let (x, y) = (p[2 * i], p[2 * i + 1])
            guard x.isFinite, y.isFinite else { throw MetricError.nonFinite("sample \(i) is not finite (\(x), \(y))") }
            var nearest = 0, best = Double.infinity
            for (j, m) in means.enumerated() {
                let d = ((x - Double(m.x)) * (x - Double(m.x)) + (y - Double(m.y)) * (y - Double(m.y))).squareRoot()
                if d < best { best = d; nearest = j }
            }
            if best <= radius { good += 1; counts[nearest] += 1 }
        }
        modesCovered = counts.filter { $0 > 0 }.count
        modeCount = means.count
        highQualityFraction = Double(good) / Double(points.shape[0])
        if good == 0 {
            klFromUniform = .infinity
        } else {
            let q = 1 / Double(means.count)
            klFromUniform = counts.reduce(0) { sum, c in
                let pi = Double(c) / Double(good)
                return pi > 0 ? sum + pi * log(pi / q) : sum
            }
        }
        self.counts = counts
        sampleCount = points.shape[0]
    }
}
