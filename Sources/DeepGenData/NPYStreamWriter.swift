import DeepGen
import Foundation

/// Writes a float32 `.npy` array of a known shape piece by piece, so an array larger than memory
/// is never held whole: the header first, then rows as they are made. The file appears under its
/// name only when ``finish()`` has written every row.
public final class NPYStreamWriter {
    public let url: URL
    public let shape: [Int]
    private let temporary: URL
    private let handle: FileHandle
    private let total: Int
    private var written = 0

    public init(url: URL, shape: [Int]) throws {
        self.url = url
        self.shape = shape
        total = shape.reduce(1, *)
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).part-\(getpid())")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(NPYArray.preamble(descr: "<f4", shape: shape))) else {
            throw DataError.notFound(what: "a writable folder for \(url.path)", searched: [url.deletingLastPathComponent().path])
        }
        handle = try FileHandle(forWritingTo: temporary)
        try handle.seekToEnd()
    }

    deinit {
        try? handle.close()
        if written < total || total == 0 { try? FileManager.default.removeItem(at: temporary) }
    }

    /// Appends the values of `rows` (row-major, as they follow in the array).
    public func append(_ rows: Tensor) throws {
        precondition(written + rows.count <= total, "[NPYStreamWriter] \(written + rows.count) values for an array of \(total)")
        var bytes = Data(capacity: rows.count * 4)
        rows.withUnsafeBufferPointer { values in
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        try handle.write(contentsOf: bytes)
        written += rows.count
    }

    /// Checks every value was written and moves the file into place.
    public func finish() throws {
        precondition(written == total, "[NPYStreamWriter] \(written) of \(total) values written")
        try handle.synchronize()
        try handle.close()
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: temporary, to: url)
    }
}
