/// The models DeepGen trains, by their command-line names.
public enum ModelKind: String, Codable, CaseIterable, Sendable {
    case gan
    case dcgan
    case wganGP = "wgan-gp"
    case conditionalDCGAN = "cdcgan"
    case vae
    case convVAE = "conv-vae"
    case cycleGAN = "cyclegan"
    /// Not generative: the CNN `deepgen eval` uses as its feature extractor.
    case classifier

    /// One line for `deepgen list`.
    public var summary: String {
        switch self {
        case .gan: return "classic MLP GAN (Goodfellow 2014): G 100→256→512→1024→image, D image→512→256→1; also 2-D mixtures"
        case .dcgan: return "DCGAN (Radford 2015): 28×28 transposed-conv G / conv D; the 4×4 Radford layout for 32×32 and 64×64"
        case .wganGP: return "WGAN-GP (Gulrajani 2017): critic without BatchNorm, gradient penalty λ=10, 5 critic steps per G step"
        case .conditionalDCGAN: return "conditional DCGAN: class label embedded into G and D; sample a chosen class"
        case .vae: return "MLP VAE (Kingma & Welling 2014): 784-400-20, Bernoulli or Gaussian pixels, β-VAE weight"
        case .convVAE: return "convolutional VAE for 28×28: two stride-2 convs, 20-d latent, transposed-conv decoder"
        case .cycleGAN: return "CycleGAN (Zhu 2017): ResNet generators, PatchGAN discriminators, LSGAN, cycle and identity losses"
        case .classifier: return "CNN classifier (2 conv blocks, 128 features): the feature extractor of `deepgen eval` for a dataset"
        }
    }

    /// Whether the model is a VAE (trained on [0, 1] pixels rather than [−1, 1]).
    public var isVAE: Bool { self == .vae || self == .convVAE }
}
