import Foundation

/// A VAE's log-likelihood bounds on a set of images, in nats per image.
public struct LikelihoodEstimate: Codable, Equatable, Sendable {
    /// −ELBO averaged over the `samples` posterior draws per image (an upper bound on −log p(x)).
    public var negativeELBO: Double
    /// −log p̂(x) with the importance-weighted estimate of Burda et al. (2016) from `samples`
    /// draws: −log (1/k Σ p(x, zᵢ)/q(zᵢ|x)); tighter than −ELBO and approaching −log p(x) as k grows.
    public var negativeLogLikelihood: Double
    public var samples: Int
    public var imageCount: Int

    public init(negativeELBO: Double, negativeLogLikelihood: Double, samples: Int, imageCount: Int) {
        self.negativeELBO = negativeELBO
        self.negativeLogLikelihood = negativeLogLikelihood
        self.samples = samples
        self.imageCount = imageCount
    }
}

/// log((1/k) Σ exp(wᵢ)) of log weights, computed stably (the importance-weighted bound of Burda
/// et al. from k log importance weights).
public func logMeanExp(_ weights: [Double]) -> Double {
    guard let top = weights.max(), top.isFinite else { return weights.max() ?? -.infinity }
    return top + log(weights.reduce(0) { $0 + exp($1 - top) } / Double(weights.count))
}
