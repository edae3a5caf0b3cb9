import DeepGen

/// The 2-D mixtures (`ring8`, `grid25`, `spiral`, `swiss-roll`), drawn from the seed.
public enum MixtureSource: DatasetSource {
    public static let names = ["ring8", "grid25", "spiral", "swiss-roll", "swissroll", "two-moons"]
    public static let usage = "ring8, grid25, spiral, swiss-roll, two-moons"
    public static let summary = "2-D mixtures: 8 Gaussians on the unit circle (σ 0.01, the VEEGAN/PacGAN protocol), 25 at {−4,−2,0,2,4}² (σ 0.05), a spiral, a swiss roll, two moons"
    public static let sampleKind = SampleKind.points

    static let mixtures: [String: Mixture2D] = ["ring8": .ring8, "grid25": .grid25, "spiral": .spiral, "swiss-roll": .swissRoll, "swissroll": .swissRoll, "two-moons": .twoMoons]

    public static func make(_ spec: DatasetSpec, options: DataOptions, request: DataRequest, split: DataSplit, seed: UInt64) throws -> any Dataset {
        guard let mixture = mixtures[spec.name] else { throw DataError.invalidArgument("unknown mixture '\(spec.name)'") }
        return Mixture2DDataset(mixture, count: options.syntheticCount, seed: seed ^ (split == .train ? 0x2D : 0x7E57))
    }
}
