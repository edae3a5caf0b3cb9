import Foundation

/// Fashion-MNIST: where it is found and what its classes are called.
public enum FashionMNIST {
    /// The ten class names in label order.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// Folders searched in order: `$DEEPGEN_FASHION_MNIST`, then where Debian's
    /// `dataset-fashion-mnist` package installs the files.
    public static var searchPaths: [URL] {
        var paths = [URL]()
        if let env = ProcessInfo.processInfo.environment["DEEPGEN_FASHION_MNIST"], !env.isEmpty {
            paths.append(URL(fileURLWithPath: env))
        }
        paths.append(URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist"))
        return paths
    }

    /// The first search path that holds the training and test files.
    public static func locate() throws -> URL {
        for path in searchPaths {
            if (try? IDXDataset.locateFiles(in: path, split: .train)) != nil,
               (try? IDXDataset.locateFiles(in: path, split: .test)) != nil {
                return path
            }
        }
        throw DataError.notFound(what: "Fashion-MNIST (install it with `apt-get install dataset-fashion-mnist`, or pass a folder)",
                                 searched: searchPaths.map(\.path))
    }

    /// The class index of a name, ignoring case, spaces, hyphens, underscores and slashes:
    /// `sneaker`, `Ankle boot`, `ankle-boot`, `t-shirt`, `tshirt` and `top` are all recognised;
    /// a decimal index `0...9` is accepted too.
    public static func classIndex(named name: String) throws -> Int {
        let key = normalize(name)
        if let i = Int(key), classNames.indices.contains(i) { return i }
        for (i, className) in classNames.enumerated() {
            let full = normalize(className)
            let parts = className.lowercased().split(separator: "/").map { normalize(String($0)) }
            if key == full || parts.contains(key) { return i }
        }
        if key == "tshirt" { return 0 }
        throw DataError.invalidArgument("unknown Fashion-MNIST class '\(name)'; the classes are \(classNames.joined(separator: ", "))")
    }

    /// Loads a split of Fashion-MNIST.
    ///
    /// - Parameters:
    ///   - split: training (60,000 images) or test (10,000 images).
    ///   - directory: a folder holding the IDX files; `nil` searches ``searchPaths``.
    ///   - classes: class names or indices to keep (`nil` keeps all ten).
    ///   - range: the interval pixels are scaled to.
    public static func load(split: DataSplit, directory: URL? = nil, classes: [String]? = nil,
                            range: PixelRange = .minusOneToOne) throws -> IDXDataset {
        let folder = try directory ?? locate()
        let indices = try classes.map { try $0.map(classIndex(named:)) }
        return try IDXDataset(directory: folder, split: split, classes: indices, range: range)
    }

    private static func normalize(_ s: String) -> String {
        String(s.lowercased().filter { $0.isLetter || $0.isNumber })
    }
}

/// A dataset named on a command line: `fashion-mnist`, `fashion-mnist:sneaker`,
/// `fashion-mnist:sneaker,ankle-boot`, `mnist:3,5` (with a folder), or `shapes`.
public struct DatasetSpec: Sendable, Equatable, CustomStringConvertible {
    /// The dataset name before the colon, lowercased.
    public var name: String
    /// The class names or indices after the colon, if any.
    public var classes: [String]?

    /// Parses `name[:class,class,...]`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        name = parts[0].lowercased().trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw DataError.invalidArgument("empty dataset name in '\(text)'") }
        if parts.count == 2 {
            let list = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !list.isEmpty else { throw DataError.invalidArgument("no classes after ':' in '\(text)'") }
            classes = list
        }
    }

    public var description: String { classes.map { "\(name):\($0.joined(separator: ","))" } ?? name }

    /// Loads an IDX dataset this spec names: `fashion-mnist` (found automatically or in `directory`)
    /// or any other MNIST-format name with `directory` given; other names throw.
    public func loadIDX(split: DataSplit, directory: URL? = nil, range: PixelRange = .minusOneToOne) throws -> IDXDataset {
        if name == "fashion-mnist" || name == "fashionmnist" {
            return try FashionMNIST.load(split: split, directory: directory, classes: classes, range: range)
        }
        guard let directory else {
            throw DataError.invalidArgument("dataset '\(name)' needs a folder holding its IDX files (only fashion-mnist is found automatically)")
        }
        let indices = try classes.map { list in
            try list.map { item -> Int in
                guard let i = Int(item), i >= 0 else {
                    throw DataError.invalidArgument("class '\(item)' of \(name) must be an index (names are known only for fashion-mnist)")
                }
                return i
            }
        }
        return try IDXDataset(directory: directory, split: split, classes: indices, range: range)
    }
}
