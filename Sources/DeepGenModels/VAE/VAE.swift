import DeepGen
import DeepGenNN

/// What a VAE's decoder models each pixel as.
public enum VAELikelihood: String, Codable, Sendable {
    /// Bernoulli pixels in [0, 1]: the reconstruction term is binary cross-entropy (on logits).
    case bernoulli
    /// Gaussian pixels with unit variance: the reconstruction term is ½·squared error + ½·log 2π.
    case gaussian
}

/// The encoder's output: the posterior q(z|x) = N(mean, exp(logVariance)).
public struct Posterior {
    public var mean: Tensor
    public var logVariance: Tensor
    /// Planar flows on top of the Gaussian (`vae --flow planar`), or none.
    public var flow: PosteriorFlow? = nil

    /// The posterior mean, through the flows when there are any.
    public var center: Tensor { flow?.transform(mean).z ?? mean }

    /// z = μ + σ·ε with ε ~ N(0, 1): the reparameterization trick, differentiable in μ and σ.
    public func sample(using rng: inout RandomGenerator) -> Tensor {
        mean + (0.5 * logVariance).exp() * Tensor.normal(perSample: mean.shape, using: &rng)
    }
}

/// A model with an encoder q(z|x) and a decoder p(x|z) that returns pixel logits (Bernoulli) or means (Gaussian).
public protocol VariationalAutoencoder: Module {
    var latentSize: Int { get }
    var likelihood: VAELikelihood { get }
    func encode(_ x: Tensor) -> Posterior
    /// Decoder output before the pixel nonlinearity: logits for Bernoulli, means for Gaussian.
    func decodeRaw(_ z: Tensor) -> Tensor
}

/// The per-image terms of a VAE's negative ELBO.
public struct ELBOTerms {
    /// −log p(x|z) per image, summed over pixels (nats), for one z sample.
    public var reconstruction: Tensor
    /// KL(q(z|x) ‖ N(0, I)) per image (nats).
    public var kl: Tensor
    /// Mean over the batch of reconstruction + β·KL: the training loss, in nats per image.
    public var loss: Tensor
}

extension VariationalAutoencoder {
    /// Pixel values in the data range: sigmoid of the logits for Bernoulli, means for Gaussian.
    public func decode(_ z: Tensor) -> Tensor {
        let raw = decodeRaw(z)
        return likelihood == .bernoulli ? raw.sigmoid() : raw
    }

    /// −log p(x | decoder output) per image, summed over pixels.
    public func reconstructionNLL(_ x: Tensor, raw: Tensor) -> Tensor {
        switch likelihood {
        case .bernoulli: return -Loss.bernoulliLogLikelihood(logits: raw, x)
        case .gaussian: return -Loss.gaussianLogLikelihood(x, mean: raw, logVariance: Tensor(zeros: raw.shape))
        }
    }

    /// The negative ELBO with a β weight on the KL term (β = 1 is the VAE, β > 1 a β-VAE).
    /// The loss is summed over pixels and averaged over images, so it reads in nats per image.
    /// With posterior flows the KL term is the one-sample estimate
    /// `log q_0(z_0) − Σ log |det J| − log p(z_K)` (it has no closed form).
    public func elbo(_ x: Tensor, beta: Float = 1, using rng: inout RandomGenerator) -> ELBOTerms {
        let q = encode(x)
        let z0 = q.sample(using: &rng)
        guard let flow = q.flow else {
            let rec = reconstructionNLL(x, raw: decodeRaw(z0))
            let kl = Loss.gaussianKL(mean: q.mean, logVariance: q.logVariance)
            return ELBOTerms(reconstruction: rec, kl: kl, loss: (rec + beta * kl).mean())
        }
        let (z, logDet) = flow.transform(z0)
        let rec = reconstructionNLL(x, raw: decodeRaw(z))
        let eps = (z0 - q.mean) * (-0.5 * q.logVariance).exp()
        let logQ0 = (-0.5 * (eps * eps + q.logVariance)).sum(axis: 1)  // the 2π terms cancel with the prior's
        let logPrior = (-0.5 * z * z).sum(axis: 1)
        let kl = logQ0 - logDet - logPrior
        return ELBOTerms(reconstruction: rec, kl: kl, loss: (rec + beta * kl).mean())
    }

    /// Reconstructs `x` through the posterior mean (through the flows when there are any).
    public func reconstruct(_ x: Tensor) -> Tensor { decode(encode(x).center) }

    /// Images decoded from z ~ N(0, I).
    public func sample(count: Int, using rng: inout RandomGenerator) -> Tensor {
        decode(Tensor.normal([count, latentSize], using: &rng))
    }

    /// Decodes `steps` points on the straight line between the posterior means of `a` and `b`
    /// (each a single image `[1, C, H, W]`).
    public func interpolate(from a: Tensor, to b: Tensor, steps: Int) -> Tensor {
        precondition(steps >= 2, "[interpolate] needs at least 2 steps, got \(steps)")
        let za = encode(a).center, zb = encode(b).center
        let ts = Tensor(shape: [steps, 1], scalars: (0..<steps).map { Float($0) / Float(steps - 1) })
        return decode((1 - ts) * za + ts * zb)
    }
}

/// The MLP VAE of Kingma & Welling as in PyTorch's examples: 784 → 400 → (μ, log σ²) of size 20,
/// 20 → 400 → 784, ReLU hidden layers. Layer names `fc1`, `fc21`, `fc22`, `fc3`, `fc4` match
/// `pytorch/examples/vae`.
public final class MLPVAE: Module, VariationalAutoencoder {
    public let fc1: Linear, fc21: Linear, fc22: Linear, fc3: Linear, fc4: Linear
    /// With `flowLength` > 0: the head giving each image's planar flows (u, w, b of every flow).
    public let fcFlow: Linear?
    public let latentSize: Int
    public let likelihood: VAELikelihood
    public let imageShape: [Int]
    public let flowLength: Int

    public init(imageShape: [Int] = [1, 28, 28], hidden: Int = 400, latentSize: Int = 20, likelihood: VAELikelihood = .bernoulli,
                flowLength: Int = 0, using rng: inout RandomGenerator) {
        let n = imageShape.reduce(1, *)
        fc1 = Linear(n, hidden, using: &rng)
        fc21 = Linear(hidden, latentSize, using: &rng)
        fc22 = Linear(hidden, latentSize, using: &rng)
        fc3 = Linear(latentSize, hidden, using: &rng)
        fc4 = Linear(hidden, n, using: &rng)
        // Drawn after the original layers, so a VAE without flows keeps its initial weights.
        fcFlow = flowLength > 0 ? Linear(hidden, flowLength * (2 * latentSize + 1), using: &rng) : nil
        self.latentSize = latentSize
        self.likelihood = likelihood
        self.imageShape = imageShape
        self.flowLength = flowLength
    }

    public func encode(_ x: Tensor) -> Posterior {
        let h = fc1.forward(x.flattened(from: 1), activation: .relu)
        var q = Posterior(mean: fc21(h), logVariance: fc22(h))
        if let fcFlow {
            let out = fcFlow(h), (n, k, d) = (x.shape[0], flowLength, latentSize)
            q.flow = PosteriorFlow(u: out.sliced(axis: 1, 0..<(k * d)).reshaped([n, k, d]),
                                   w: out.sliced(axis: 1, (k * d)..<(2 * k * d)).reshaped([n, k, d]),
                                   b: out.sliced(axis: 1, (2 * k * d)..<(2 * k * d + k)))
        }
        return q
    }

    public func decodeRaw(_ z: Tensor) -> Tensor {
        fc4(fc3.forward(z, activation: .relu)).reshaped([z.shape[0]] + imageShape)
    }
}

extension Tensor {
    /// Pixels drawn as Bernoulli(x) for x in [0, 1], axis 0 the batch: binarized images (dynamic binarization
    /// with a fresh generator each time, a fixed binarization with a fixed seed).
    public func bernoulliSample(using rng: inout RandomGenerator) -> Tensor {
        Tensor.uniform(perSample: shape, using: &rng).isLess(self)
    }
}
