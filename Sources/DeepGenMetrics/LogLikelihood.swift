import Foundation

/// A model's negative log-likelihood on a set of examples, in nats per example: a bound and an
/// estimate (a VAE), or the exact value twice (`exact`).
public struct LikelihoodEstimate: Codable, Equatable, Sendable {
    /// −ELBO averaged over the `samples` posterior draws per image (an upper bound on −log p(x)).
    public var negativeELBO: Double
    /// −log p̂(x) with the importance-weighted estimate of Burda et al. (2016) from `samples`
    /// draws: −log (1/k Σ p(x, zᵢ)/q(zᵢ|x)); tighter than −ELBO and approaching −log p(x) as k grows.
    public var negativeLogLikelihood: Double
    public var samples: Int
    public var imageCount: Int
    /// Whether the value is exact (then `negativeELBO` equals it); `nil` in reports from before
    /// it was recorded, which were all VAE bounds.
    public var exact: Bool?

    public init(negativeELBO: Double, negativeLogLikelihood: Double, samples: Int, imageCount: Int, exact: Bool = false) {
        self.negativeELBO = negativeELBO
        self.negativeLogLikelihood = negativeLogLikelihood
        self.samples = samples
        self.imageCount = imageCount
        self.exact = exact
    }
}

/// log((1/k) Σ exp(wᵢ)) of log weights, computed stably (the importance-weighted bound of Burda
/// et al. from k log importance weights).
public func logMeanExp(_ weights: [Double]) -> Double {
    guard let top = weights.max(), top.isFinite else { return weights.max() ?? -.infinity }
    return top + log(weights.reduce(0) { $0 + exp($1 - top) } / Double(weights.count))
}
