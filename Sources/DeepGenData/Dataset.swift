import DeepGen

/// One example: its values (an image in CHW order, or a point) and its label.
public struct Sample: Sendable, Equatable {
    /// The values, laid out as the dataset's ``Dataset/sampleShape``.
    public var values: [Float]
    /// The class index (or mixture component), 0 where a dataset has no classes.
    public var label: Int
    /// The label of the second image of an unpaired pair (see ``UnpairedDataset``), else `nil`.
    public var secondLabel: Int?

    public init(values: [Float], label: Int, secondLabel: Int? = nil) {
        self.values = values
        self.label = label
        self.secondLabel = secondLabel
    }
}

/// A finite, indexable collection of samples that ``DataLoader`` batches.
///
/// Datasets with random augmentation (flips, crops) draw from the generator they are handed, so
/// the loader decides the randomness and a seed reproduces a run.
public protocol Dataset: Sendable {
    /// The number of samples.
    var count: Int { get }
    /// The shape of one sample's values, e.g. `[1, 28, 28]` or `[2]`.
    var sampleShape: [Int] { get }
    /// The sample at `index` (in `0..<count`), drawing any augmentation from `rng`.
    func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample
    /// The class labels that occur, ascending, for a dataset whose labels are classes (a
    /// conditional model trains on these); `nil` where labels mean nothing (folders, 2-D mixtures).
    var classLabels: [Int]? { get }
}

extension Dataset {
    public var classLabels: [Int]? { nil }

    /// The sample at `index` with augmentation drawn from a generator seeded by the index.
    public func sample(at index: Int) throws -> Sample {
        var rng = RandomGenerator(seed: SeedMixer.mix(0, UInt64(index)))
        return try sample(at: index, using: &rng)
    }

    /// The root-mean-square of every value of every sample (without augmentation): the scale a
    /// GAN on 2-D points divides coordinates by (√8 for grid25, √½ for ring8, up to σ).
    public func rootMeanSquare() throws -> Float {
        var sum = 0.0, n = 0
        for i in 0..<count {
            for v in try sample(at: i).values { sum += Double(v) * Double(v); n += 1 }
        }
        return Float((sum / Double(max(n, 1))).squareRoot())
    }

    func checkIndex(_ index: Int) {
        precondition(index >= 0 && index < count, "[Dataset.sample] index \(index) out of range 0..<\(count)")
    }
}

/// Two unpaired domains: each sample stacks one sample of domain A and one of domain B (values
/// of shape `[2] + domain shape`, `label` A's and `secondLabel` B's); ``Batch/domains()`` splits a
/// batch of them. Models that translate between domains ask for this.
public protocol TwoDomainDataset: Dataset {
    var domainA: any Dataset { get }
    var domainB: any Dataset { get }
}

/// Points drawn from a mixture with discrete modes, which mode coverage measures against.
public protocol ModalDataset: Dataset {
    /// The modes' centres and their common standard deviation; `nil` when the data has no
    /// discrete modes (a spiral).
    var modes: (centers: [(x: Float, y: Float)], standardDeviation: Float)? { get }
}

/// Derives independent seeds from a base seed and counters (SplitMix64 finaliser), so epoch `e`'s
/// order or sample `i`'s augmentation can be computed directly without replaying earlier draws.
public enum SeedMixer {
    /// A well-mixed 64-bit value from `seed` and the `parts`.
    public static func mix(_ seed: UInt64, _ parts: UInt64...) -> UInt64 {
        var h = finalize(seed ^ 0x6A09_E667_F3BC_C909)
        for p in parts { h = finalize(h &+ 0x9E37_79B9_7F4A_7C15 ^ finalize(p)) }
        return h
    }

    static func finalize(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
