import DeepGen

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
