import DeepGen
import DeepGenData
import DeepGenModels
import Foundation

/// Where and how to find the data a run names.
public struct DataOptions: Codable, Equatable, Sendable {
    /// `shapes`, `fashion-mnist[:classes]`, `mnist:3,5` (with `directory`), `ring8`, `grid25`,
    /// `spiral`, `swiss-roll`, `folder:PATH` or `unpaired:PATH`.
    public var spec: String
    /// The folder of IDX files for MNIST-format sets other than Fashion-MNIST, or of Fashion-MNIST
    /// when it is not where Debian's package puts it.
    public var directory: String?
    /// Side length images from folders are resized and cropped to.
    public var imageSize: Int
    /// Samples drawn for the procedural and 2-D datasets.
    public var syntheticCount: Int

    public init(spec: String, directory: String? = nil, imageSize: Int = 64, syntheticCount: Int = 60_000) {
        self.spec = spec
        self.directory = directory
        self.imageSize = imageSize
        self.syntheticCount = syntheticCount
    }
}

/// Builds datasets from their command-line names.
public enum DatasetCatalog {
    /// `deepgen list` lines: name and one-line description.
    public static let entries: [(String, String)] = [
        ("shapes[:classes]", "procedural 28×28 squares, circles, triangles, crosses (random size, position, rotation); no files needed"),
        ("fashion-mnist[:classes]", "Fashion-MNIST, found where Debian's dataset-fashion-mnist installs it; classes by name, e.g. fashion-mnist:sneaker"),
        ("mnist|kmnist|emnist|idx[:classes]", "any MNIST-format IDX set in --data-dir (classes by index)"),
        ("ring8", "8 Gaussians on the unit circle, σ 0.01 (VEEGAN/PacGAN protocol)"),
        ("grid25", "25 Gaussians at {−4,−2,0,2,4}², σ 0.05"),
        ("spiral", "2-D spiral"),
        ("swiss-roll", "2-D swiss roll"),
        ("folder:PATH", "PNG/JPEG images in a folder, resized to --image-size"),
        ("unpaired:PATH", "CycleGAN layout PATH/trainA, trainB (testA, testB for the test split)"),
    ]

    /// The 2-D mixtures by dataset name.
    static let mixtures: [String: Mixture2D] = ["ring8": .ring8, "grid25": .grid25, "spiral": .spiral, "swiss-roll": .swissRoll, "swissroll": .swissRoll]

    /// The dataset `options` names, scaled for `model` ([0, 1] for VAEs, [−1, 1] otherwise); for
    /// CycleGAN, two domains (`shapes:square,circle`, `fashion-mnist:sneaker,ankle-boot`, `unpaired:PATH`).
    public static func make(_ options: DataOptions, for model: ModelKind, split: DataSplit = .train, seed: UInt64) throws -> any Dataset {
        let spec = try DatasetSpec(parsing: options.spec)
        let range: PixelRange = model.isVAE ? .zeroToOne : .minusOneToOne
        let directory = options.directory.map { URL(fileURLWithPath: $0) }
        let wantsDomains = model == .cycleGAN

        func twoClasses(_ classes: [String]?) throws -> (String, String) {
            guard let classes, classes.count == 2 else {
                throw DataError.invalidArgument("cyclegan needs two classes as its domains, e.g. \(spec.name):A,B; got \(options.spec)")
            }
            return (classes[0], classes[1])
        }

        switch spec.name {
        case "shapes":
            // The test split is a disjoint draw: another seed.
            let base = try ShapesDataset(count: options.syntheticCount, size: 28, channels: 1,
                                         seed: seed ^ (split == .train ? 0x5A9E : 0x7E57_5A9E), range: range)
            let classIndex = { (name: String) throws -> Int in
                let all = ShapesDataset.Shape.allCases.map { "\($0)" }
                if let i = Int(name), all.indices.contains(i) { return i }
                guard let i = all.firstIndex(of: name.lowercased()) else {
                    throw DataError.invalidArgument("unknown shape '\(name)'; shapes are \(all.joined(separator: ", "))")
                }
                return i
            }
            let label = { (i: Int) in base.factors(at: i).shape.rawValue }
            if wantsDomains {
                let (a, b) = try twoClasses(spec.classes)
                return try UnpairedDataset(domainA: SubsetDataset(base, label: label, classes: [classIndex(a)]),
                                           domainB: SubsetDataset(base, label: label, classes: [classIndex(b)]))
            }
            guard let classes = spec.classes else { return base }
            return try SubsetDataset(base, label: label, classes: Set(classes.map(classIndex)))
        case "fashion-mnist", "fashionmnist", "mnist", "kmnist", "emnist", "idx":
            if wantsDomains {
                let (a, b) = try twoClasses(spec.classes)
                let full = try DatasetSpec(parsing: spec.name).loadIDX(split: split, directory: directory, range: range)
                let isFashion = spec.name.hasPrefix("fashion")
                func index(_ s: String) throws -> Int {
                    if isFashion { return try FashionMNIST.classIndex(named: s) }
                    guard let i = Int(s) else { throw DataError.invalidArgument("class '\(s)' of \(spec.name) must be an index") }
                    return i
                }
                return try UnpairedDataset(idx: full, classA: index(a), classB: index(b))
            }
            return try spec.loadIDX(split: split, directory: directory, range: range)
        case "folder":
            guard let path = spec.classes?.joined(separator: ",") else { throw DataError.invalidArgument("folder needs a path: folder:PATH") }
            let transform = try ImageTransform(loadSize: options.imageSize, randomFlip: split == .train, channels: 3, range: range)
            return try ImageFolderDataset(directory: URL(fileURLWithPath: path), transform: transform)
        case "unpaired":
            guard let path = spec.classes?.joined(separator: ",") else { throw DataError.invalidArgument("unpaired needs a path: unpaired:PATH") }
            // CycleGAN's pipeline: resize to 286/256 of the size, random crop, random flip.
            let train = split == .train
            let transform = try ImageTransform(loadSize: train ? options.imageSize * 286 / 256 : options.imageSize, cropSize: options.imageSize,
                                           randomCrop: train, randomFlip: train, channels: 3, range: range)
            return try UnpairedDataset(root: URL(fileURLWithPath: path), split: split, transform: transform)
        default:
            if let mixture = mixtures[spec.name] {
                return Mixture2DDataset(mixture, count: options.syntheticCount, seed: seed ^ (split == .train ? 0x2D : 0x7E57))
            }
            throw DataError.invalidArgument("unknown dataset '\(spec.name)'; `deepgen list` shows the datasets")
        }
    }

    /// The mixture `spec` names when it has discrete modes (ring8, grid25), for mode coverage.
    public static func modalMixture(_ spec: String) -> Mixture2D? {
        guard let name = try? DatasetSpec(parsing: spec).name, let m = mixtures[name], !m.centers.isEmpty else { return nil }
        return m
    }

    /// The per-sample shape the model sees (one domain's shape for unpaired data).
    public static func modelSampleShape(of dataset: any Dataset) -> [Int] {
        dataset is UnpairedDataset ? Array(dataset.sampleShape.dropFirst()) : dataset.sampleShape
    }
}

/// The samples of a dataset whose label is in `classes`.
public struct SubsetDataset: Dataset {
    public let base: any Dataset
    public let indices: [Int]
    public let classLabels: [Int]?

    public init(_ base: any Dataset, label: (Int) throws -> Int, classes: Set<Int>) throws {
        self.base = base
        indices = try (0..<base.count).filter { try classes.contains(label($0)) }
        guard !indices.isEmpty else { throw DataError.invalidArgument("no samples of classes \(classes.sorted())") }
        classLabels = classes.sorted()
    }

    public var count: Int { indices.count }
    public var sampleShape: [Int] { base.sampleShape }
    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
        precondition(index >= 0 && index < count, "[SubsetDataset] index \(index) out of range 0..<\(count)")
        return try base.sample(at: indices[index], using: &rng)
    }
}
