import DeepGen
import Foundation

/// A dataset `--data` can name: how to build its splits and what it yields. A new dataset is one
/// type conforming to this plus one line in ``DatasetRegistry/builtIn``.
public protocol DatasetSource {
    /// The names before the colon that select it (the first is the one `deepgen list` shows).
    static var names: [String] { get }
    /// How `deepgen list` writes it, e.g. `shapes[:classes]`.
    static var usage: String { get }
    /// One line for `deepgen list`.
    static var summary: String { get }
    /// What one of its samples is.
    static var sampleKind: SampleKind { get }
    /// Builds the split `spec` names, as `request` asks (pixel range, two domains).
    static func make(_ spec: DatasetSpec, options: DataOptions, request: DataRequest, split: DataSplit, seed: UInt64) throws -> any Dataset
}

/// A built dataset with what it yields.
public struct LoadedDataset {
    public let dataset: any Dataset
    public let description: DataDescription
}

/// The datasets `--data` can name.
public enum DatasetRegistry {
    /// The datasets DeepGen ships, in `deepgen list` order: the one list a new dataset joins.
    public static let builtIn: [any DatasetSource.Type] = [
        ShapesSource.self, IDXSource.self, MixtureSource.self, EnergySource.self, ImageFolderSource.self, UnpairedFolderSource.self,
        TextSource.self, AudioFolderSource.self, ToneSource.self,
    ]

    nonisolated(unsafe) private static var registered: [any DatasetSource.Type] = []
    private static let lock = NSLock()

    /// Adds a dataset defined outside this package (a plug-in, a test).
    public static func register(_ source: any DatasetSource.Type) {
        lock.lock()
        defer { lock.unlock() }
        guard !registered.contains(where: { ObjectIdentifier($0) == ObjectIdentifier(source) }) else { return }
        let clashes = source.names.filter { name in (builtIn + registered).contains { $0.names.contains(name) } }
        precondition(clashes.isEmpty, "[DatasetRegistry.register] \(clashes) are names of other datasets")
        registered.append(source)
    }

    /// Every dataset, built-in first.
    public static var all: [any DatasetSource.Type] {
        lock.lock()
        defer { lock.unlock() }
        return builtIn + registered
    }

    /// The source a spec's name selects.
    public static func source(named name: String) -> (any DatasetSource.Type)? {
        let key = name.lowercased()
        return all.first { $0.names.contains(key) }
    }

    /// Builds the split `options` names and describes what it yields.
    /// - Throws: ``DataError`` naming an unknown dataset or what is wrong with the data.
    public static func load(_ options: DataOptions, request: DataRequest, split: DataSplit, seed: UInt64) throws -> LoadedDataset {
        let spec = try DatasetSpec(parsing: options.spec)
        guard let source = source(named: spec.name) else {
            throw DataError.invalidArgument("unknown dataset '\(spec.name)'; `deepgen list` shows the datasets")
        }
        let dataset = try source.make(spec, options: options, request: request, split: split, seed: seed)
        let unpaired = dataset is any TwoDomainDataset
        let audio = dataset as? any AudioClipDataset
        let description = DataDescription(
            kind: source.sampleKind,
            shape: unpaired ? Array(dataset.sampleShape.dropFirst()) : dataset.sampleShape,
            range: source.sampleKind == .image ? request.range : nil,
            classLabels: dataset.classLabels,
            domains: unpaired ? 2 : 1,
            vocabulary: (dataset as? any CharacterDataset)?.vocabulary,
            sampleRate: audio?.sampleRate,
            classNames: audio?.classNames,
            speakerNames: audio?.speakerNames)
        return LoadedDataset(dataset: dataset, description: description)
    }
}
