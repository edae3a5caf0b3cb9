import DeepGen
import Foundation

/// Which half of a dataset to load.
public enum DataSplit: String, Sendable, Codable, CaseIterable {
    case train
    case test
}

/// An MNIST-format image set (MNIST, Fashion-MNIST, KMNIST, EMNIST): gray images `[1, H, W]` with
/// integer labels, read from an IDX image file and an IDX label file, raw or gzip-compressed.
///
/// Labels keep the file's class indices even when ``classes`` selects a subset.
public struct IDXDataset: Dataset {
    /// The number of images in the files, `H`, `W`.
    public let height: Int, width: Int
    /// The selected class indices, or `nil` for all.
    public let classes: [Int]?
    /// How pixels are scaled.
    public var range: PixelRange
    private let pixels: [UInt8]
    private let labels: [UInt8]
    /// Indices into the files of the selected images.
    private let selection: [Int]

    /// Loads an image file and its label file.
    ///
    /// - Parameters:
    ///   - images: an IDX file of rank 3 (`N × H × W`).
    ///   - labels: an IDX file of rank 1 (`N`).
    ///   - classes: keep only images whose label is in this list (`nil` keeps all).
    ///   - range: the interval pixels are scaled to.
    /// - Throws: ``DataError`` for unreadable or malformed files, wrong ranks, differing counts, or
    ///   a class subset that selects nothing.
    public init(images: URL, labels: URL, classes: [Int]? = nil, range: PixelRange = .minusOneToOne) throws {
        let imageArray = try IDXArray.read(images)
        let labelArray = try IDXArray.read(labels)
        guard imageArray.dimensions.count == 3 else {
            throw DataError.unsupported(file: images.path, reason: "an image file must have rank 3 (N×H×W), this one has dimensions \(imageArray.dimensions)")
        }
        guard labelArray.dimensions.count == 1 else {
            throw DataError.unsupported(file: labels.path, reason: "a label file must have rank 1 (N), this one has dimensions \(labelArray.dimensions)")
        }
        guard imageArray.dimensions[0] == labelArray.dimensions[0] else {
            throw DataError.mismatch(file: images.path, reason: "\(imageArray.dimensions[0]) images but \(labelArray.dimensions[0]) labels in \(labels.path)")
        }
        try self.init(pixels: imageArray.bytes, labels: labelArray.bytes, height: imageArray.dimensions[1],
                      width: imageArray.dimensions[2], classes: classes, range: range, source: images.path)
    }

    /// Builds a dataset from bytes already in memory (`labels.count` images of `height × width`).
    public init(pixels: [UInt8], labels: [UInt8], height: Int, width: Int, classes: [Int]? = nil,
                range: PixelRange = .minusOneToOne, source: String = "<memory>") throws {
        guard pixels.count == labels.count * height * width else {
            throw DataError.mismatch(file: source, reason: "\(pixels.count) pixel bytes for \(labels.count) images of \(height)×\(width)")
        }
        self.pixels = pixels
        self.labels = labels
        self.height = height
        self.width = width
        self.classes = classes
        self.range = range
        if let classes {
            let wanted = Set(classes)
            selection = labels.indices.filter { wanted.contains(Int(labels[$0])) }
            guard !selection.isEmpty else {
                throw DataError.invalidArgument("no image in \(source) has a label in \(classes); labels present: \(Set(labels.map(Int.init)).sorted())")
            }
        } else {
            selection = Array(labels.indices)
        }
    }

    /// The images of `other`'s files whose label is in `classes` (ignoring `other`'s own subset).
    public init(subsetOf other: IDXDataset, classes: [Int]) throws {
        try self.init(pixels: other.pixels, labels: other.labels, height: other.height, width: other.width,
                      classes: classes, range: other.range, source: "the \(other.height)×\(other.width) IDX set")
    }

    public var count: Int { selection.count }
    public var sampleShape: [Int] { [1, height, width] }
    public var classLabels: [Int]? { Set(selection.map { Int(labels[$0]) }).sorted() }

    /// The label of sample `index`.
    public func label(at index: Int) -> Int { Int(labels[selection[index]]) }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
        checkIndex(index)
        let i = selection[index], n = height * width
        let range = self.range
        let values = pixels[i * n ..< (i + 1) * n].map { range.scale(Float($0) / 255) }
        return Sample(values: values, label: Int(labels[i]))
    }
}

extension IDXDataset {
    /// Loads the `split` of an MNIST-format folder (MNIST, Fashion-MNIST, KMNIST, EMNIST).
    ///
    /// The files are recognised by name: `train-images…`/`train-labels…` for the training split,
    /// `t10k-…` or `test-…` for the test split, raw or `.gz` (EMNIST's prefixed names such as
    /// `emnist-digits-train-images-idx3-ubyte.gz` match too).
    public init(directory: URL, split: DataSplit, classes: [Int]? = nil, range: PixelRange = .minusOneToOne) throws {
        let (images, labels) = try IDXDataset.locateFiles(in: directory, split: split)
        try self.init(images: images, labels: labels, classes: classes, range: range)
    }

    /// The image and label files of `split` in `directory`.
    public static func locateFiles(in directory: URL, split: DataSplit) throws -> (images: URL, labels: URL) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        } catch {
            throw DataError.io(file: directory.path, reason: "cannot list folder: \(error.localizedDescription)")
        }
        let prefixes = split == .train ? ["train"] : ["t10k", "test"]
        func find(_ kind: String) throws -> URL {
            let matches = names.filter { name in
                prefixes.contains { name.hasPrefix("\($0)-\(kind)") || name.contains("-\($0)-\(kind)") }
            }
            guard let first = matches.first else {
                throw DataError.notFound(what: "\(split.rawValue) \(kind) file (\(prefixes.map { "\($0)-\(kind)-idx*" }.joined(separator: " or ")))",
                                         searched: [directory.path])
            }
            // Prefer the uncompressed copy when both exist; it loads faster.
            let chosen = matches.first { !$0.hasSuffix(".gz") } ?? first
            let distinct = Set(matches.map { $0.hasSuffix(".gz") ? String($0.dropLast(3)) : $0 })
            guard distinct.count == 1 else {
                throw DataError.invalidArgument("\(directory.path) holds several \(split.rawValue) \(kind) files (\(matches.joined(separator: ", "))); pass the files explicitly")
            }
            return directory.appendingPathComponent(chosen)
        }
        return (try find("images"), try find("labels"))
    }
}
