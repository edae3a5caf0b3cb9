import DeepGen

/// `energy:u1` … `energy:u4`: the 2-D energy functions of Rezende & Mohamed (2015), for flows
/// fitted by reverse KL (`planar`, `radial`); the samples are the base noise.
public enum EnergySource: DatasetSource {
    public static let names = ["energy"]
    public static let usage = "energy:u1|u2|u3|u4"
    public static let summary = "the 2-D energy functions U1–U4 of Rezende & Mohamed (2015) on [−4, 4]², fitted by reverse KL (planar, radial)"
    public static let sampleKind = SampleKind.energy

    public static func make(_ spec: DatasetSpec, options: DataOptions, request: DataRequest, split: DataSplit, seed: UInt64) throws -> any Dataset {
        let all = Energy2D.allCases.map(\.rawValue).joined(separator: ", ")
        guard let names = spec.classes, names.count == 1, let energy = Energy2D(rawValue: names[0].lowercased()) else {
            throw DataError.invalidArgument("energy needs one of \(all) after a colon, e.g. energy:u1; got '\(spec)'")
        }
        return EnergyDataset(energy, count: options.syntheticCount, seed: seed ^ (split == .train ? 0xE4E7 : 0x7E57_E4E7))
    }
}
