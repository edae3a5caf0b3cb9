import DeepGen
import Foundation

/// The Inception Score computed with the domain classifier (Salimans et al. 2016, with a
/// classifier of the data's own classes instead of Inception): exp E_x KL(p(y|x) ‖ p(y)), high
/// when samples are confidently classified and spread over the classes; at most the class count.
/// Also the class histogram of the samples (share of samples whose most probable class is each).
public struct ClassifierScore: Codable, Equatable, Sendable {
    /// Mean over `splits` equal splits of the samples, as the Inception Score is reported.
    public var mean: Double
    public var standardDeviation: Double
    public var splits: Int
    /// Share of samples per class (argmax of p(y|x)), summing to 1.
    public var classHistogram: [Double]

    /// - Parameter probabilities: `[N, K]` class probabilities, rows summing to 1.
    public init(probabilities: Tensor, splits: Int = 10) throws {
        guard probabilities.rank == 2 else { throw MetricError.shapeMismatch("probabilities must be [N, K], got \(probabilities.shape)") }
        let (n, k) = (probabilities.shape[0], probabilities.shape[1])
        let splits = max(1, min(splits, n))
        guard n >= 1 else { throw MetricError.notEnoughSamples("the classifier score needs samples") }
        let p = probabilities.scalars.map(Double.init)
        var scores: [Double] = []
        for s in 0..<splits {
            let rows = (s * n / splits)..<((s + 1) * n / splits)
            var marginal = [Double](repeating: 0, count: k)
            for i in rows { for j in 0..<k { marginal[j] += p[i * k + j] } }
            for j in 0..<k { marginal[j] /= Double(rows.count) }
            var kl = 0.0
            for i in rows {
                for j in 0..<k where p[i * k + j] > 0 { kl += p[i * k + j] * (log(p[i * k + j]) - log(marginal[j])) }
            }
            scores.append(exp(kl / Double(rows.count)))
        }
        let average = scores.reduce(0, +) / Double(splits)
        mean = average
        standardDeviation = (scores.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(splits)).squareRoot()
        self.splits = splits
        var histogram = [Double](repeating: 0, count: k)
        for c in probabilities.argmaxRows() { histogram[c] += 1 / Double(n) }
        classHistogram = histogram
    }
}
