import CZlib

/// gzip decompression through the system zlib (Foundation on Linux has none).
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses a gzip file (concatenated members included), verifying each member's CRC.
    ///
    /// - Parameters:
    ///   - bytes: the compressed file contents.
    ///   - file: the path used in error messages.
    ///   - limit: the largest decompressed size accepted, a guard against decompression bombs.
    /// - Throws: ``DataError/truncated(file:reason:)`` when the stream ends early,
    ///   ``DataError/corrupt(file:reason:)`` when zlib rejects the data.
    public static func decompress(_ bytes: [UInt8], file: String, limit: Int = 1 << 32) throws -> [UInt8] {
        guard isCompressed(bytes) else {
            throw DataError.badMagic(file: file, expected: "gzip 0x1f 0x8b", found: DataError.hex(bytes.prefix(2)))
        }
        var output = [UInt8]()
        output.reserveCapacity(min(limit, bytes.count * 4))
        var stream = z_stream()
        // 15 window bits + 16: gzip wrapper only, so a zlib or raw stream is reported as corrupt.
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.corrupt(file: file, reason: "cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var consumed = 0
        try bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
            stream.avail_in = UInt32(input.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if output.count + produced > limit {
                    throw DataError.unsupported(file: file, reason: "decompresses to more than \(limit) bytes")
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_OK:
                    continue
                case Z_STREAM_END:
                    consumed = input.count - Int(stream.avail_in)
                    let rest = input[consumed...]
                    if rest.isEmpty || rest.allSatisfy({ $0 == 0 }) { return }
                    guard rest.count >= 2, rest[rest.startIndex] == 0x1F, rest[rest.startIndex + 1] == 0x8B else {
                        throw DataError.corrupt(file: file, reason: "\(rest.count) bytes of garbage after the gzip stream")
                    }
                    inflateReset(&stream)
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DataError.truncated(file: file, reason: "gzip stream ends after \(bytes.count) bytes, before its end marker")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DataError.corrupt(file: file, reason: "gzip: \(message)")
                }
            }
        }
        return output
    }
}
