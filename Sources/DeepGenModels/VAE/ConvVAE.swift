import DeepGen
import DeepGenNN

/// A convolutional VAE for 28×28 images. Encoder: Conv 4×4 s2 (28→14), Conv 4×4 s2 (14→7),
/// Dense to μ and log σ². Decoder: Dense to 7×7, transposed Conv 4×4 s2 (7→14) and (14→28), so
/// the output really is 28×28 (checked in the tests).
public final class ConvVAE: Module, VariationalAutoencoder {
    public let encoder: Sequential
    public let fcMu: Linear, fcLogvar: Linear
    public let decoderInput: Linear
    public let decoder: Sequential
    public let latentSize: Int
    public let likelihood: VAELikelihood
    let width: Int

    public init(channels: Int = 1, width: Int = 32, latentSize: Int = 20, likelihood: VAELikelihood = .bernoulli,
                using rng: inout RandomGenerator) {
        self.width = width
        self.latentSize = latentSize
        self.likelihood = likelihood
        encoder = Sequential([
            Conv2d(channels, width, kernelSize: 4, stride: 2, padding: 1, using: &rng), ReLU(),
            Conv2d(width, 2 * width, kernelSize: 4, stride: 2, padding: 1, using: &rng), ReLU(),
            Flatten(),
        ])
        fcMu = Linear(2 * width * 7 * 7, latentSize, using: &rng)
        fcLogvar = Linear(2 * width * 7 * 7, latentSize, using: &rng)
        decoderInput = Linear(latentSize, 2 * width * 7 * 7, using: &rng)
        decoder = Sequential([
            Unflatten([2 * width, 7, 7]), ReLU(),
            ConvTranspose2d(2 * width, width, kernelSize: 4, stride: 2, padding: 1, using: &rng), ReLU(),
            ConvTranspose2d(width, channels, kernelSize: 4, stride: 2, padding: 1, using: &rng),
        ])
    }

    public func encode(_ x: Tensor) -> Posterior {
        precondition(x.rank == 4 && x.shape[2] == 28 && x.shape[3] == 28, "[ConvVAE] needs [N, C, 28, 28] images, got \(x.shape)")
        let h = encoder(x)
        return Posterior(mean: fcMu(h), logVariance: fcLogvar(h))
    }

    public func decodeRaw(_ z: Tensor) -> Tensor { decoder(decoderInput(z)) }
}
