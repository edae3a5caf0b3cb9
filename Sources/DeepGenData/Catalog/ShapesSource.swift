import DeepGen

/// `shapes[:classes]`: the procedural 28×28 shapes, a class subset, or (two domains) two shapes.
public enum ShapesSource: DatasetSource {
    public static let names = ["shapes"]
    public static let usage = "shapes[:classes]"
    public static let summary = "procedural 28×28 squares, circles, triangles, crosses (random size, position, rotation); no files needed"
    public static let sampleKind = SampleKind.image

    public static func make(_ spec: DatasetSpec, options: DataOptions, request: DataRequest, split: DataSplit, seed: UInt64) throws -> any Dataset {
        // The test split is a disjoint draw: another seed.
        let base = try ShapesDataset(count: options.syntheticCount, size: 28, channels: 1,
                                     seed: seed ^ (split == .train ? 0x5A9E : 0x7E57_5A9E), range: request.range)
        let label = { (i: Int) in base.factors(at: i).shape.rawValue }
        if request.domains == 2 {
            let (a, b) = try twoDomainClasses(spec, options: options)
            return try UnpairedDataset(domainA: SubsetDataset(base, label: label, classes: [classIndex(a)]),
                                       domainB: SubsetDataset(base, label: label, classes: [classIndex(b)]))
        }
        guard let classes = spec.classes else { return base }
        return try SubsetDataset(base, label: label, classes: Set(classes.map(classIndex)))
    }

    /// A shape by name (`circle`) or index.
    static func classIndex(_ name: String) throws -> Int {
        let all = ShapesDataset.Shape.allCases.map { "\($0)" }
        if let i = Int(name), all.indices.contains(i) { return i }
        guard let i = all.firstIndex(of: name.lowercased()) else {
            throw DataError.invalidArgument("unknown shape '\(name)'; shapes are \(all.joined(separator: ", "))")
        }
        return i
    }
}

/// The two classes a spec names as domains A and B (`shapes:square,circle`).
func twoDomainClasses(_ spec: DatasetSpec, options: DataOptions) throws -> (String, String) {
    guard let classes = spec.classes, classes.count == 2 else {
        throw DataError.invalidArgument("two domains need two classes, e.g. \(spec.name):A,B; got \(options.spec)")
    }
    return (classes[0], classes[1])
}
