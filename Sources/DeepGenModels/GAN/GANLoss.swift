import DeepGen
import DeepGenNN

/// The adversarial objectives, on discriminator logits (or critic scores).
public enum GANObjective: String, Codable, Sendable, CaseIterable {
    /// Generator maximizes log D(G(z)) (Goodfellow et al.'s practical choice).
    case nonSaturating = "non-saturating"
    /// Generator minimizes log(1 − D(G(z))), the original minimax game; saturates early in training.
    case minimax
    /// Least squares (Mao et al.), as CycleGAN uses.
    case leastSquares = "lsgan"
    /// Wasserstein critic scores (use with a gradient penalty).
    case wasserstein

    /// The discriminator's loss on real and fake scores.
    public func discriminatorLoss(real: Tensor, fake: Tensor) -> Tensor {
        switch self {
        case .nonSaturating, .minimax:
            return Loss.binaryCrossEntropyWithLogits(real, Tensor(ones: real.shape))
                + Loss.binaryCrossEntropyWithLogits(fake, Tensor(zeros: fake.shape))
        case .leastSquares:
            return 0.5 * (Loss.meanSquaredError(real, Tensor(ones: real.shape)) + Loss.meanSquaredError(fake, Tensor(zeros: fake.shape)))
        case .wasserstein:
            return fake.mean() - real.mean()
        }
    }

    /// The generator's loss on the discriminator's scores of generated samples.
    public func generatorLoss(fake: Tensor) -> Tensor {
        switch self {
        case .nonSaturating: return Loss.binaryCrossEntropyWithLogits(fake, Tensor(ones: fake.shape))
        case .minimax: return -Loss.binaryCrossEntropyWithLogits(fake, Tensor(zeros: fake.shape))
        case .leastSquares: return Loss.meanSquaredError(fake, Tensor(ones: fake.shape))
        case .wasserstein: return -fake.mean()
        }
    }
}
