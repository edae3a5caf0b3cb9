import DeepGen
import Foundation

/// Fashion-MNIST (found where Debian installs it) and any MNIST-format IDX set in `--data-dir`,
/// with optional classes; two classes become two domains when asked.
public enum IDXSource: DatasetSource {
    public static let names = ["fashion-mnist", "fashionmnist", "mnist", "kmnist", "emnist", "idx"]
    public static let usage = "fashion-mnist[:classes]"
    public static let summary = "Fashion-MNIST, found where Debian's dataset-fashion-mnist installs it; classes by name, e.g. fashion-mnist:sneaker; "
        + "mnist, kmnist, emnist or idx[:classes]: any MNIST-format IDX set in --data-dir (classes by index)"
    public static let sampleKind = SampleKind.image

    public static func make(_ spec: DatasetSpec, options: DataOptions, request: DataRequest, split: DataSplit, seed: UInt64) throws -> any Dataset {
        let directory = options.directory.map { URL(fileURLWithPath: $0) }
        guard request.domains == 2 else { return try spec.loadIDX(split: split, directory: directory, range: request.range) }
        let (a, b) = try twoDomainClasses(spec, options: options)
        let full = try DatasetSpec(parsing: spec.name).loadIDX(split: split, directory: directory, range: request.range)
        let isFashion = spec.name.hasPrefix("fashion")
        func index(_ s: String) throws -> Int {
            if isFashion { return try FashionMNIST.classIndex(named: s) }
            guard let i = Int(s) else { throw DataError.invalidArgument("class '\(s)' of \(spec.name) must be an index") }
            return i
        }
        return try UnpairedDataset(idx: full, classA: index(a), classB: index(b))
    }
}
