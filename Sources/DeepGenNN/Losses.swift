import DeepGen

/// How a loss combines per-element values.
public enum Reduction: Sendable { case mean, sum, none }

/// Loss functions, each differentiable (also twice, for penalties) and numerically stable.
public enum Loss {
    static func reduce(_ t: Tensor, _ r: Reduction) -> Tensor {
        switch r {
        case .mean: return t.mean()
        case .sum: return t.sum()
        case .none: return t
        }
    }

    static func checkSameShape(_ a: Tensor, _ b: Tensor, _ op: String) {
        precondition(a.shape == b.shape, "[\(op)] prediction shape \(a.shape) differs from target shape \(b.shape)")
    }

    /// Binary cross-entropy on logits: `max(x, 0) − x·t + log(1 + e^−|x|)`, exact for any |x|.
    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, _ targets: Tensor, reduction: Reduction = .mean) -> Tensor {
        checkSameShape(logits, targets, "binaryCrossEntropyWithLogits")
        // The reductions take the fused per-sample sums (one pass each way, no per-element tensors).
        guard reduction != .none, logits.rank >= 1 else { return reduce(logits.softplus() - logits * targets, reduction) }
        let sums = logits.binaryCrossEntropyRowSums(targets: targets).sum()
        return reduction == .mean ? sums / Float(Swift.max(logits.count, 1)) : sums
    }

    /// Binary cross-entropy on probabilities; each log is clamped at −100 as PyTorch does, so a
    /// probability of exactly 0 or 1 gives a finite loss.
    public static func binaryCrossEntropy(_ probabilities: Tensor, _ targets: Tensor, reduction: Reduction = .mean) -> Tensor {
        checkSameShape(probabilities, targets, "binaryCrossEntropy")
        let logP = probabilities.log().maximum(-100), log1mP = (1 - probabilities).log().maximum(-100)
        return reduce(-(targets * logP + (1 - targets) * log1mP), reduction)
    }

    /// Mean squared error (the LSGAN loss).
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        checkSameShape(prediction, target, "meanSquaredError")
        return reduce((prediction - target).square(), reduction)
    }

    /// Mean absolute error (CycleGAN's cycle and identity losses).
    public static func l1(_ prediction: Tensor, _ target: Tensor, reduction: Reduction = .mean) -> Tensor {
        checkSameShape(prediction, target, "l1")
        return reduce((prediction - target).abs(), reduction)
    }

    /// Cross-entropy of `[N, C]` logits against integer class labels.
    public static func crossEntropy(_ logits: Tensor, labels: [Int], reduction: Reduction = .mean) -> Tensor {
        precondition(logits.rank == 2, "[crossEntropy] logits must be [N, C], got \(logits.shape)")
        return reduce(-logits.logSoftmax(axis: 1).gatheringClassScores(labels), reduction)
    }

    /// The hinge loss of a discriminator: `mean(relu(1 − D(real))) + mean(relu(1 + D(fake)))`.
    public static func hingeDiscriminator(real: Tensor, fake: Tensor) -> Tensor {
        (1 - real).relu().mean() + (1 + fake).relu().mean()
    }

    /// The hinge loss of a generator: `−mean(D(fake))`.
    public static func hingeGenerator(fake: Tensor) -> Tensor { -fake.mean() }

    /// KL(N(μ, σ²) ‖ N(0, 1)) summed over latent axes, per sample: `−½ Σ (1 + log σ² − μ² − σ²)`.
    /// Returns `[N]` (reduce it as the model needs).
    public static func gaussianKL(mean: Tensor, logVariance: Tensor) -> Tensor {
        checkSameShape(mean, logVariance, "gaussianKL")
        let perElement = 1 + logVariance - mean.square() - logVariance.exp()
        return -0.5 * perElement.flattened(from: 1).sum(axis: 1)
    }

    /// log p(x | logits) of Bernoulli pixels, summed per sample: `[N]`.
    public static func bernoulliLogLikelihood(logits: Tensor, _ x: Tensor) -> Tensor {
        checkSameShape(logits, x, "bernoulliLogLikelihood")
        return -logits.binaryCrossEntropyRowSums(targets: x)
    }

    /// log N(x | μ, exp(logVariance)) summed per sample: `[N]`.
    public static func gaussianLogLikelihood(_ x: Tensor, mean: Tensor, logVariance: Tensor) -> Tensor {
        checkSameShape(x, mean, "gaussianLogLikelihood")
        let log2pi: Float = 1.8378770664093453
        let perElement = -0.5 * (log2pi + logVariance + (x - mean).square() / logVariance.exp())
        return perElement.flattened(from: 1).sum(axis: 1)
    }

    /// The WGAN-GP penalty (Gulrajani et al. 2017): `mean((‖∇ₓ̂ D(x̂)‖₂ − 1)²)` at
    /// `x̂ = α·real + (1 − α)·fake` with one α ~ U(0, 1) per sample (not per pixel). The result is
    /// differentiable with respect to the critic's parameters; multiply by λ (10) yourself.
    public static func gradientPenalty(
        critic: (Tensor) -> Tensor, real: Tensor, fake: Tensor, using rng: inout RandomGenerator
    ) -> Tensor {
        checkSameShape(real, fake, "gradientPenalty")
        var alphaShape = [Int](repeating: 1, count: real.rank); alphaShape[0] = real.shape[0]
        let alpha = Tensor.uniform(perSample: alphaShape, using: &rng)
        return gradientPenalty(critic: critic, real: real, fake: fake, alpha: alpha)
    }

    /// The WGAN-GP penalty with given interpolation weights `alpha` (shape `[N, 1, …]`).
    public static func gradientPenalty(critic: (Tensor) -> Tensor, real: Tensor, fake: Tensor, alpha: Tensor) -> Tensor {
        let xHat = (alpha * real.detached() + (1 - alpha) * fake.detached()).requiringGrad()
        let grad = gradients(of: critic(xHat).sum(), with: [xHat], createGraph: true)[0]
        let norms = (grad.flattened(from: 1).square().sum(axis: 1) + 1e-12).sqrt()
        return (norms - 1).square().mean()
    }

    /// The R1 penalty (Mescheder et al. 2018): `mean(‖∇ₓ D(real)‖²)`; multiply by γ/2 yourself.
    public static func r1Penalty(critic: (Tensor) -> Tensor, real: Tensor) -> Tensor {
        let x = real.detached().requiringGrad()
        let grad = gradients(of: critic(x).sum(), with: [x], createGraph: true)[0]
        return grad.flattened(from: 1).square().sum(axis: 1).mean()
    }
}
