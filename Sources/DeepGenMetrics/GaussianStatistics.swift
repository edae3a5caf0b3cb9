import DeepGen

/// The mean and covariance of a set of feature vectors, in double precision: what FID compares.
public struct GaussianStatistics: Equatable, Sendable {
    public let mean: [Double]
    /// Row-major `d × d`, unbiased (divided by N − 1, as numpy's `np.cov`).
    public let covariance: [Double]
    public let dimension: Int
    public let count: Int

    public init(mean: [Double], covariance: [Double], count: Int) {
        precondition(covariance.count == mean.count * mean.count, "[GaussianStatistics] covariance is not \(mean.count)×\(mean.count)")
        self.mean = mean
        self.covariance = covariance
        dimension = mean.count
        self.count = count
    }

    /// The statistics of the rows of `features` (`[N, d]`, N ≥ 2).
    public init(features: Tensor) throws {
        guard features.rank == 2 else { throw MetricError.shapeMismatch("features must be [N, d], got \(features.shape)") }
        let (n, d) = (features.shape[0], features.shape[1])
        guard n >= 2 else { throw MetricError.notEnoughSamples("a covariance needs at least 2 samples, got \(n)") }
        let x = features.scalars
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(x[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var cov = [Double](repeating: 0, count: d * d)
        var row = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d { row[j] = Double(x[i * d + j]) - mean[j] }
            for j in 0..<d {
                let rj = row[j]
                for k in j..<d { cov[j * d + k] += rj * row[k] }
            }
        }
        for j in 0..<d { for k in j..<d { cov[j * d + k] /= Double(n - 1); cov[k * d + j] = cov[j * d + k] } }
        self.init(mean: mean, covariance: cov, count: n)
    }
}

/// The Fréchet distance between two Gaussians (FID when they are fitted to classifier features,
/// Heusel et al. 2017): ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½).
///
/// tr (Σ₁Σ₂)^½ is computed as Σᵢ √λᵢ of the symmetric positive semi-definite Σ₁^½ Σ₂ Σ₁^½, which has
/// the eigenvalues of Σ₁Σ₂; both square roots come from symmetric eigendecompositions, so unlike
/// `scipy.linalg.sqrtm` of the non-symmetric product there are no complex parts to discard and no
/// blow-up on singular covariances (round-off negatives are clamped to 0).
public func frechetDistance(_ a: GaussianStatistics, _ b: GaussianStatistics) throws -> Double {
    guard a.dimension == b.dimension else {
        throw MetricError.shapeMismatch("feature dimensions differ: \(a.dimension) and \(b.dimension)")
    }
    let d = a.dimension
    var meanTerm = 0.0
    for i in 0..<d { let t = a.mean[i] - b.mean[i]; meanTerm += t * t }
    let rootA = SymmetricEigen(a.covariance, n: d).map { max($0, 0).squareRoot() }
    let inner = multiply(multiply(rootA, b.covariance, d), rootA, d)
    let traceRoot = SymmetricEigen(inner, n: d).values.reduce(0) { $0 + max($1, 0).squareRoot() }
    var traces = 0.0
    for i in 0..<d { traces += a.covariance[i * d + i] + b.covariance[i * d + i] }
    let result = meanTerm + traces - 2 * traceRoot
    guard result.isFinite else { throw MetricError.nonFinite("the Fréchet distance is not finite (non-finite features?)") }
    return result
}

/// Row-major `n × n` product.
func multiply(_ x: [Double], _ y: [Double], _ n: Int) -> [Double] {
    var out = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        for k in 0..<n {
            let xik = x[i * n + k]
            if xik == 0 { continue }
            for j in 0..<n { out[i * n + j] += xik * y[k * n + j] }
        }
    }
    return out
}
