import DeepGen
import Foundation

/// Two unpaired image domains for CycleGAN-style translation.
///
/// Each sample stacks one image of domain A and one of domain B: its values have shape
/// `[2, C, H, W]` (split a batch with ``Batch/domains()``), its `label` is A's label and its
/// `secondLabel` B's. Index `i` takes A's image `i % countA` and, as CycleGAN's unaligned dataset
/// does, a B image drawn at random (from the loader's generator), so the pairing changes every epoch.
public struct UnpairedDataset: TwoDomainDataset {
    /// Domain A and domain B; their samples must have the same shape.
    public let domainA: any Dataset
    public let domainB: any Dataset

    /// Pairs two datasets.
    ///
    /// - Throws: ``DataError/mismatch(file:reason:)`` when the two domains' sample shapes differ.
    public init(domainA: any Dataset, domainB: any Dataset) throws {
        guard domainA.sampleShape == domainB.sampleShape else {
            throw DataError.mismatch(file: "<unpaired domains>", reason: "domain A samples have shape \(domainA.sampleShape), domain B \(domainB.sampleShape)")
        }
        guard domainA.count > 0, domainB.count > 0 else {
            throw DataError.invalidArgument("both domains need at least one sample (A has \(domainA.count), B \(domainB.count))")
        }
        self.domainA = domainA
        self.domainB = domainB
    }

    /// Loads the CycleGAN folder convention: `root/trainA`, `root/trainB` (or `testA`, `testB`).
    public init(root: URL, split: DataSplit, transform: ImageTransform) throws {
        let a = try ImageFolderDataset(directory: root.appendingPathComponent("\(split.rawValue)A"), transform: transform, label: 0)
        let b = try ImageFolderDataset(directory: root.appendingPathComponent("\(split.rawValue)B"), transform: transform, label: 1)
        try self.init(domainA: a, domainB: b)
    }

    /// Two class subsets of one IDX dataset as the domains, e.g. Fashion-MNIST sneakers ↔ ankle boots.
    public init(idx: IDXDataset, classA: Int, classB: Int) throws {
        try self.init(domainA: IDXDataset(subsetOf: idx, classes: [classA]), domainB: IDXDataset(subsetOf: idx, classes: [classB]))
    }

    /// One epoch visits every image of the larger domain.
    public var count: Int { max(domainA.count, domainB.count) }
    public var sampleShape: [Int] { [2] + domainA.sampleShape }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
        checkIndex(index)
        let a = try domainA.sample(at: index % domainA.count, using: &rng)
        let b = try domainB.sample(at: rng.nextInt(below: domainB.count), using: &rng)
        return Sample(values: a.values + b.values, label: a.label, secondLabel: b.label)
    }
}
