import Foundation

/// Named tensors and string metadata in the safetensors format (the format of Hugging Face's
/// `safetensors` package, readable by `safetensors.numpy.load_file` and `safetensors.torch`).
///
/// Layout: an 8-byte little-endian header length `n`; `n` bytes of JSON mapping each name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` plus an optional `"__metadata__"` object of
/// strings; then the tensors' bytes, contiguous. DeepGen writes names in sorted order, F32 data in
/// that order, and pads the header with spaces so the data starts at a multiple of 8.
///
/// Reading validates everything before touching the data (see ``SafetensorsError``) and converts
/// the dtypes listed in ``SafetensorsDType`` to `Float`.
public struct SafetensorsFile {
    /// The tensors by name.
    public var tensors: [String: Tensor]
    /// Free-form string metadata (the header's `__metadata__`).
    public var metadata: [String: String]

    /// The largest header the reference implementation accepts; anything larger is corrupt.
    public static let maxHeaderLength: UInt64 = 100_000_000

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads and validates the file at `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            // Read, not mapped: a mapped file truncated by another process would fault (SIGBUS).
            data = try Data(contentsOf: url)
        } catch {
            throw SafetensorsError(file: url.path, problem: .io("cannot read: \(error.localizedDescription)"))
        }
        try self.init(decoding: data, file: url.path)
    }

    /// Decodes safetensors bytes; `file` names the source in errors.
    public init(decoding data: Data, file: String = "<memory>") throws {
        (tensors, metadata) = try data.withUnsafeBytes { try SafetensorsFile.decode($0, file: file) }
    }

    /// The `__metadata__` of the file at `url`, reading only its header (a checkpoint's step
    /// without its tensors).
    public static func metadata(contentsOf url: URL) throws -> [String: String] {
        let file = url.path
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw SafetensorsError(file: file, problem: .io("cannot read"))
        }
        defer { try? handle.close() }
        let prefix = try handle.read(upToCount: 8) ?? Data()
        guard prefix.count == 8 else { throw SafetensorsError(file: file, problem: .fileTooShort(byteCount: prefix.count)) }
        let headerLength = prefix.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= maxHeaderLength else { throw SafetensorsError(file: file, problem: .headerTooLarge(headerLength: headerLength)) }
        let header = try handle.read(upToCount: Int(headerLength)) ?? Data()
        guard header.count == Int(headerLength) else {
            throw SafetensorsError(file: file, problem: .headerExceedsFile(headerLength: headerLength, bytesAfterLength: header.count))
        }
        let json: JSONValue
        do { json = try header.withUnsafeBytes { try StrictJSON.parse($0) } } catch let e as JSONParseError {
            throw SafetensorsError(file: file, problem: .invalidJSON(message: e.message, offset: 8 + e.offset))
        }
        guard case .object(let members) = json else { throw SafetensorsError(file: file, problem: .invalidHeader("the header is not an object")) }
        var metadata: [String: String] = [:]
        for (name, value) in members where name == "__metadata__" {
            guard case .object(let pairs) = value else { continue }
            for (k, v) in pairs { if case .string(let text) = v { metadata[k] = text } }
        }
        return metadata
    }

    /// The file's bytes.
    public func encoded() throws -> Data {
        try SafetensorsFile.encode(tensors: tensors, metadata: metadata, file: "<memory>")
    }

    /// Writes the file atomically: a reader (or a crash) sees either the old file or the new one.
    public func write(to url: URL) throws {
        let bytes = try SafetensorsFile.encode(tensors: tensors, metadata: metadata, file: url.path)
        try AtomicFile.write(bytes, to: url)
    }

    // MARK: - Encoding

    static func encode(tensors: [String: Tensor], metadata: [String: String], file: String) throws -> Data {
        guard tensors["__metadata__"] == nil else { throw SafetensorsError(file: file, problem: .reservedName) }
        let names = tensors.keys.sorted()
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(StrictJSON.quoted($0)):\(StrictJSON.quoted(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let end = offset + t.count * 4
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append("\(StrictJSON.quoted(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { buffer in
                #if _endian(little)
                out.append(contentsOf: UnsafeRawBufferPointer(buffer))
                #else
                for x in buffer { withUnsafeBytes(of: x.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
                #endif
            }
        }
        return out
    }

    // MARK: - Decoding

    private struct Entry {
        var name: String
        var dtype: SafetensorsDType
        var shape: [Int]
        var begin: Int, end: Int
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws
        -> (tensors: [String: Tensor], metadata: [String: String])
    {
        func fail(_ problem: SafetensorsError.Problem) -> SafetensorsError { SafetensorsError(file: file, problem: problem) }

        guard bytes.count >= 8 else { throw fail(.fileTooShort(byteCount: bytes.count)) }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= maxHeaderLength else { throw fail(.headerTooLarge(headerLength: headerLength)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail(.headerExceedsFile(headerLength: headerLength, bytesAfterLength: bytes.count - 8))
        }
        let dataStart = 8 + Int(headerLength)
        let json: JSONValue
        do {
            json = try StrictJSON.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]))
        } catch let e as JSONParseError {
            throw fail(.invalidJSON(message: e.message, offset: 8 + e.offset))
        }
        guard case .object(let members) = json else {
            throw fail(.invalidHeader("the header is \(json.kindName), not an object"))
        }

        var seen = Set<String>()
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        let dataLength = bytes.count - dataStart
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw fail(.duplicateName(name)) }
            if name == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw fail(.invalidHeader("'__metadata__' is \(value.kindName), not an object of strings"))
                }
                for (key, v) in pairs {
                    guard case .string(let s) = v else {
                        throw fail(.invalidHeader("metadata '\(key)' is \(v.kindName), not a string"))
                    }
                    guard metadata.updateValue(s, forKey: key) == nil else { throw fail(.duplicateName("__metadata__.\(key)")) }
                }
                continue
            }
            entries.append(try parseEntry(name, value, dataLength: dataLength, fail: fail))
        }

        // Tensors must tile the data section exactly: no overlap, no gap, nothing left over.
        var expected = 0
        for e in entries.sorted(by: { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }) {
            guard e.begin == expected else { throw fail(.offsetsNotContiguous(tensor: e.name, begin: e.begin, expectedBegin: expected)) }
            expected = e.end
        }
        guard expected == dataLength else { throw fail(.trailingData(covered: expected, dataLength: dataLength)) }

        var tensors: [String: Tensor] = [:]
        for e in entries {
            var t = Tensor(zeros: e.shape)
            let source = UnsafeRawBufferPointer(rebasing: bytes[(dataStart + e.begin)..<(dataStart + e.end)])
            if let bad = t.withUnsafeMutableBufferPointer({ e.dtype.convert(source, into: $0) }) {
                throw fail(.valueNotRepresentable(tensor: e.name, dtype: e.dtype.rawValue, value: bad))
            }
            tensors[e.name] = t
        }
        return (tensors, metadata)
    }

    private static func parseEntry(
        _ name: String, _ value: JSONValue, dataLength: Int, fail: (SafetensorsError.Problem) -> SafetensorsError
    ) throws -> Entry {
        guard case .object(let fields) = value else {
            throw fail(.invalidHeader("entry '\(name)' is \(value.kindName), not an object"))
        }
        func field(_ key: String) throws -> JSONValue {
            guard let v = fields.first(where: { $0.key == key })?.value else {
                throw fail(.invalidHeader("tensor '\(name)' has no '\(key)' field"))
            }
            return v
        }
        func integers(_ key: String) throws -> [Int] {
            guard case .array(let items) = try field(key) else {
                throw fail(.invalidHeader("tensor '\(name)': '\(key)' is not an array"))
            }
            return try items.map {
                guard let n = $0.nonNegativeInt else {
                    throw fail(.invalidHeader("tensor '\(name)': '\(key)' holds something other than a non-negative integer"))
                }
                return n
            }
        }
        guard case .string(let dtypeName) = try field("dtype") else {
            throw fail(.invalidHeader("tensor '\(name)': 'dtype' is not a string"))
        }
        let shape = try integers("shape")
        let offsets = try integers("data_offsets")
        guard offsets.count == 2 else {
            throw fail(.invalidHeader("tensor '\(name)': 'data_offsets' has \(offsets.count) entries, not 2"))
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw fail(.unsupportedDType(tensor: name, dtype: dtypeName))
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end, end <= dataLength else {
            throw fail(.offsetsOutOfRange(tensor: name, begin: begin, end: end, dataLength: dataLength))
        }
        // Overflow-checked: a corrupt shape must not wrap around to a plausible size.
        var bytes = dtype.byteSize
        var overflow = false
        for d in shape where !overflow { (bytes, overflow) = bytes.multipliedReportingOverflow(by: d) }
        guard !overflow, bytes == end - begin else {
            throw fail(.sizeMismatch(tensor: name, shape: shape, dtype: dtypeName,
                                     expectedBytes: overflow ? Int.max : bytes, actualBytes: end - begin))
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }
}
