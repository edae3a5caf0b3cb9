import Foundation

/// An array stored in the IDX format of MNIST and its relatives (unsigned bytes only).
public struct IDXArray: Sendable, Equatable {
    /// The size of each dimension, outermost first.
    public var dimensions: [Int]
    /// The elements in row-major order.
    public var bytes: [UInt8]

    /// Creates an array; `bytes.count` must equal the product of `dimensions`.
    public init(dimensions: [Int], bytes: [UInt8]) {
        precondition(dimensions.reduce(1, *) == bytes.count, "[IDXArray] \(bytes.count) bytes for dimensions \(dimensions)")
        self.dimensions = dimensions
        self.bytes = bytes
    }

    /// Parses IDX bytes, gunzipping first when they start with the gzip magic number.
    ///
    /// - Parameters:
    ///   - data: the file contents, raw or gzip-compressed.
    ///   - file: the path used in error messages.
    ///   - maxDecompressedBytes: the largest size a gzip file may expand to.
    /// - Throws: ``DataError`` for a wrong magic number, an element type other than unsigned byte,
    ///   a header or body cut short, or bytes left over after the data.
    public static func parse(_ data: [UInt8], file: String, maxDecompressedBytes: Int = 1 << 32) throws -> IDXArray {
        let raw = Gzip.isCompressed(data) ? try Gzip.decompress(data, file: file, limit: maxDecompressedBytes) : data
        guard raw.count >= 4 else {
            throw DataError.truncated(file: file, reason: "IDX header needs 4 magic bytes, file has \(raw.count)")
        }
        guard raw[0] == 0, raw[1] == 0 else {
            throw DataError.badMagic(file: file, expected: "IDX 0x00 0x00 <type> <rank>", found: DataError.hex(raw.prefix(4)))
        }
        let typeNames: [UInt8: String] = [0x09: "signed byte", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"]
        guard raw[2] == 0x08 else {
            if let name = typeNames[raw[2]] {
                throw DataError.unsupported(file: file, reason: "IDX element type \(name) (0x\(String(raw[2], radix: 16))); only unsigned bytes (0x08) are read")
            }
            throw DataError.badMagic(file: file, expected: "IDX type byte 0x08", found: DataError.hex(raw.prefix(4)))
        }
        let rank = Int(raw[3])
        guard rank >= 1 else { throw DataError.corrupt(file: file, reason: "IDX rank is 0") }
        let headerSize = 4 + 4 * rank
        guard raw.count >= headerSize else {
            throw DataError.truncated(file: file, reason: "IDX header of rank \(rank) needs \(headerSize) bytes, file has \(raw.count)")
        }
        var dimensions = [Int]()
        var total = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let size = Int(raw[o]) << 24 | Int(raw[o + 1]) << 16 | Int(raw[o + 2]) << 8 | Int(raw[o + 3])
            dimensions.append(size)
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow, product <= Int(Int32.max) * 4 else {
                throw DataError.corrupt(file: file, reason: "IDX dimensions \(dimensions) are implausibly large")
            }
            total = product
        }
        let body = raw.count - headerSize
        guard body >= total else {
            throw DataError.truncated(file: file, reason: "dimensions \(dimensions) need \(total) data bytes, file has \(body)")
        }
        guard body == total else {
            throw DataError.corrupt(file: file, reason: "\(body - total) bytes after the \(total) data bytes of dimensions \(dimensions)")
        }
        return IDXArray(dimensions: dimensions, bytes: Array(raw[headerSize...]))
    }

    /// Reads and parses an IDX file (raw or `.gz`).
    public static func read(_ url: URL) throws -> IDXArray {
        try parse(FileBytes.read(url), file: url.path)
    }

    /// The uncompressed IDX encoding of this array.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        return out + bytes
    }
}
