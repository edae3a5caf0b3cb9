import DeepGen
import DeepGenMetrics
import Foundation

extension VariationalAutoencoder {
    /// Per-image log importance weights log p(x|z) + log p(z) − log q(z|x) for `samples` draws
    /// z ~ q(z|x), reduced to the mean (the ELBO) and the log-mean-exp (the IWAE bound of Burda
    /// et al. 2016).
    ///
    /// Rows are processed in chunks of at most `chunkRows` decoded images, so k = 5000 runs one image
    /// per chunk without holding all weights in memory.
    public func importanceWeightedLogLikelihood(_ images: Tensor, samples k: Int, using rng: inout RandomGenerator,
                                                chunkRows: Int = 4096) throws -> (bound: [Double], estimate: [Double]) {
        guard k >= 1 else { throw MetricError.notEnoughSamples("the importance-weighted estimate needs at least 1 sample, got \(k)") }
        guard images.rank >= 2 else { throw MetricError.shapeMismatch("images must be [N, …], got \(images.shape)") }
        let n = images.shape[0]
        let pixels = images.count / max(n, 1)
        let imageShape = Array(images.shape.dropFirst())
        let logTwoPi = Float(log(2 * Double.pi))
        var elbo = [Double](repeating: 0, count: n), iwae = [Double](repeating: 0, count: n)
        try withoutGrad {
            let q = encode(images)
            let means = q.mean.scalars, logVars = q.logVariance.scalars
            let latent = latentSize
            let x = images.scalars
            for image in 0..<n {
                var weights: [Double] = []
                weights.reserveCapacity(k)
                var done = 0
                while done < k {
                    let rows = min(k - done, max(chunkRows, 1))
                    let eps = Tensor.normal([rows, latent], using: &rng).scalars
                    var z = [Float](repeating: 0, count: rows * latent)
                    var logPrior = [Float](repeating: 0, count: rows), logPosterior = [Float](repeating: 0, count: rows)
                    for r in 0..<rows {
                        var lp: Float = 0, lq: Float = 0
                        for j in 0..<latent {
                            let mu = means[image * latent + j], lv = logVars[image * latent + j]
                            let e = eps[r * latent + j]
                            let zj = mu + Foundation.exp(0.5 * lv) * e
                            z[r * latent + j] = zj
                            lp += -0.5 * (zj * zj + logTwoPi)
                            lq += -0.5 * (e * e + logTwoPi + lv)
                        }
                        logPrior[r] = lp; logPosterior[r] = lq
                    }
                    var repeated = [Float](repeating: 0, count: rows * pixels)
                    x.withUnsafeBufferPointer { src in
                        repeated.withUnsafeMutableBufferPointer { dst in
                            for r in 0..<rows { (dst.baseAddress! + r * pixels).update(from: src.baseAddress! + image * pixels, count: pixels) }
                        }
                    }
                    var zK = Tensor(shape: [rows, latent], scalars: z)
                    if let flow = q.flow {
                        // log q_K(z_K) = log q_0(z_0) − Σ log |det J|; the prior is at z_K.
                        let (moved, logDet) = flow.repeating(image: image, rows: rows).transform(zK)
                        zK = moved
                        let zs = moved.scalars, ld = logDet.scalars
                        for r in 0..<rows {
                            var lp: Float = 0
                            for j in 0..<latent { lp += -0.5 * (zs[r * latent + j] * zs[r * latent + j] + logTwoPi) }
                            logPrior[r] = lp
                            logPosterior[r] -= ld[r]
                        }
                    }
                    let raw = decodeRaw(zK)
                    let nll = reconstructionNLL(Tensor(shape: [rows] + imageShape, scalars: repeated), raw: raw).scalars
                    for r in 0..<rows { weights.append(Double(-nll[r] + logPrior[r] - logPosterior[r])) }
                    done += rows
                }
                guard weights.allSatisfy(\.isFinite) else {
                    throw MetricError.nonFinite("image \(image) has a non-finite importance weight")
                }
                elbo[image] = weights.reduce(0, +) / Double(k)
                iwae[image] = logMeanExp(weights)
            }
        }
        return (elbo, iwae)
    }
}
