import Foundation

/// Everything needed to resume training, in one safetensors file: the model's named tensors
/// (dotted names such as `generator.main.0.weight`), the optimizer's state tensors (by convention
/// under `optimizer.`), and string metadata (step, epoch, schedule position, random-generator
/// state, the model configuration as JSON, the format version; see ``CheckpointKey``).
///
/// Any safetensors file loads as a checkpoint (a PyTorch `state_dict` exported with `safetensors`
/// has tensors and no DeepGen metadata); one written by a newer DeepGen format is refused.
public struct Checkpoint {
    /// The checkpoint layout version this build writes and the newest it reads.
    /// 2: tensor names are `network.parameter` (format 1 joined them without the dot).
    /// 3: the model configuration holds `data`, `training` and the family's `hyperparameters`
    /// (2 and 1 held one flat configuration), and optimizers other than Adam may appear.
    public static let formatVersion = 3

    /// All tensors by name.
    public var tensors: [String: Tensor]
    /// String metadata; typed values are JSON-encoded (see ``setMetadataValue(_:forKey:)``).
    public var metadata: [String: String]
    /// Where the checkpoint was loaded from, for error messages (`<memory>` when built in code).
    public private(set) var source: String

    /// A checkpoint of `tensors` and `metadata`, stamped with the current format version.
    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
        self.metadata[CheckpointKey.formatVersion] = String(Checkpoint.formatVersion)
        source = "<memory>"
    }

    /// Writes the checkpoint atomically: if anything fails (or the process dies) before the final
    /// rename, the file previously at `url` is untouched.
    public func save(to url: URL) throws {
        try save(to: url, failAfter: nil)
    }

    /// The checkpoint as the bytes of its safetensors file (to send it to another process).
    public func encoded() throws -> Data {
        try SafetensorsFile.encode(tensors: tensors, metadata: metadata, file: source)
    }

    /// `save(to:)` with a hook that lets tests fail the write part-way.
    func save(to url: URL, failAfter: ((AtomicFile.Stage) throws -> Void)?) throws {
        let bytes = try SafetensorsFile.encode(tensors: tensors, metadata: metadata, file: url.path)
        try AtomicFile.write(bytes, to: url, failAfter: failAfter)
    }

    /// Reads and validates a checkpoint.
    ///
    /// - Throws: ``SafetensorsError`` for a truncated or corrupt file, ``CheckpointError`` for a
    ///   format version this build does not know.
    public static func load(from url: URL) throws -> Checkpoint {
        try validated(SafetensorsFile(contentsOf: url), source: url.path)
    }

    /// Reads and validates a checkpoint held in memory (`source` names it in errors).
    public init(decoding data: Data, source: String = "<memory>") throws {
        self = try Self.validated(SafetensorsFile(decoding: data, file: source), source: source)
    }

    private static func validated(_ file: SafetensorsFile, source: String) throws -> Checkpoint {
        var checkpoint = Checkpoint(tensors: file.tensors)
        checkpoint.metadata = file.metadata  // as written, without the current version's stamp
        checkpoint.source = source
        if let version = try checkpoint.metadataValue(Int.self, forKey: CheckpointKey.formatVersion),
           version > formatVersion {
            throw CheckpointError.unsupportedVersion(file: source, version: version, newestSupported: formatVersion)
        }
        return checkpoint
    }

    /// The tensors whose names start with `prefix`, with the prefix removed
    /// (`tensors(under: "generator.")` gives `main.0.weight`, …).
    public func tensors(under prefix: String) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, t) in tensors where name.hasPrefix(prefix) { out[String(name.dropFirst(prefix.count))] = t }
        return out
    }

    /// Adds `tensors` with `prefix` prepended to each name, replacing any of the same name.
    public mutating func insert(_ tensors: [String: Tensor], under prefix: String) {
        for (name, t) in tensors { self.tensors[prefix + name] = t }
    }

    /// Stores `value` JSON-encoded under `key` (an `Int` is stored as `5`, a string as `"text"`).
    public mutating func setMetadataValue<T: Encodable>(_ value: T, forKey key: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        metadata[key] = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The JSON-encoded value under `key`, or `nil` when the key is absent.
    ///
    /// - Throws: ``CheckpointError/invalidMetadata(file:key:reason:)`` when present but not a `T`.
    public func metadataValue<T: Decodable>(_ type: T.Type, forKey key: String) throws -> T? {
        guard let text = metadata[key] else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw CheckpointError.invalidMetadata(file: source, key: key, reason: "'\(text.prefix(80))' is not a valid \(T.self)")
        }
    }
}

/// The metadata keys DeepGen's training code writes into a checkpoint.
public enum CheckpointKey {
    /// `Checkpoint.formatVersion` at the time of writing.
    public static let formatVersion = "deepgen.format_version"
    /// Optimizer steps taken so far (an integer).
    public static let step = "deepgen.step"
    /// Epochs completed so far (an integer).
    public static let epoch = "deepgen.epoch"
    /// The learning-rate schedule with its position (JSON).
    public static let learningRateSchedule = "deepgen.lr_schedule"
    /// The ``RandomGenerator`` state (JSON).
    public static let randomGenerator = "deepgen.rng"
    /// The model's configuration (JSON).
    public static let modelConfiguration = "deepgen.model_config"
}
