import DeepGen

/// Builds the model a configuration describes, with weights drawn from `seed`.
public func makeModel(_ config: ModelConfig) throws -> any GenerativeModel {
    var rng = RandomGenerator(seed: config.seed)
    switch config.model {
    case .gan, .dcgan, .wganGP, .conditionalDCGAN: return try GANModel(config: config, using: &rng)
    case .vae, .convVAE: return try VAEModel(config: config, using: &rng)
    case .cycleGAN: return try CycleGANModel(config: config, using: &rng)
    case .classifier: return try ClassifierModel(config: config, using: &rng)
    }
}
