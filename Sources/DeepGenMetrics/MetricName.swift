/// The metrics `deepgen eval` computes, by their command-line names.
public enum MetricName: String, CaseIterable, Codable, Sendable {
    /// Fréchet distance of classifier features against the test set.
    case fid
    /// Kernel distance (unbiased MMD², cubic kernel) of the same features.
    case kid
    /// k-NN precision, recall, density and coverage of the same features.
    case pr
    /// Classifier score (the Inception Score with the domain classifier) and class histogram.
    case score
    /// 2-D mode coverage (VEEGAN/PacGAN protocol).
    case modes
    /// Test-set log-likelihood: a bound (VAE: negative ELBO) and an estimate (VAE: importance weighted).
    case nll
    /// Translation between two domains: target-class share, cycle L1, FID of translations.
    case translation
    /// A classifier's test accuracy.
    case accuracy
    /// KL(q‖p) of a model fitted to an unnormalized target density (planar and radial flows).
    case kl

    /// Whether the metric compares features of the domain classifier.
    public var needsExtractor: Bool { [.fid, .kid, .pr, .score].contains(self) }
}
