import Foundation

/// Writes TensorBoard event files (TFRecord-framed `Event` protocol buffers) with scalars and
/// PNG images, readable by TensorBoard itself. The protobuf encoding is written by hand: only
/// the handful of fields TensorBoard reads for scalars and images are needed.
public final class TensorBoardWriter {
    public let url: URL
    private let handle: FileHandle

    /// Creates a new events file in `directory`, `events.out.tfevents.<time>.<host>.<pid>.<n>` with
    /// the first `n` not taken (as PyTorch names them; an existing file is never replaced), and
    /// writes the file-version event. With `purgeFromStep` (a resumed run), it also writes the
    /// marker TensorBoard reads as a restart at that step — a `SessionLog` START, as PyTorch's
    /// `SummaryWriter(purge_step:)` does — so events an earlier writer logged from that step on,
    /// after the checkpoint the run resumed from, are dropped.
    public init(directory: URL, wallTime: Date = Date(), purgeFromStep: Int? = nil) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        let stem = "events.out.tfevents.\(Int(wallTime.timeIntervalSince1970)).\(host).\(getpid())"
        var n = 0, fd: Int32 = -1
        var candidate = directory
        repeat {
            candidate = directory.appendingPathComponent("\(stem).\(n)")
            fd = open(candidate.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            n += 1
        } while fd < 0 && errno == EEXIST && n < 10_000
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        url = candidate
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var event = Protobuf()
        event.double(field: 1, wallTime.timeIntervalSince1970)
        event.varint(field: 2, UInt64(purgeFromStep ?? 0))
        event.bytes(field: 3, Array("brain.Event:2".utf8))
        try writeRecord(event.data)
        if let purgeFromStep {
            var log = Protobuf()
            log.varint(field: 1, 1)  // SessionLog.START
            var restart = Protobuf()
            restart.double(field: 1, wallTime.timeIntervalSince1970)
            restart.varint(field: 2, UInt64(purgeFromStep))
            restart.bytes(field: 7, log.data)
            try writeRecord(restart.data)
        }
    }

    deinit {}

    /// Logs scalar values (tag → value) at `step`.
    public func addScalars(_ values: [(String, Float)], step: Int, wallTime: Date = Date()) throws {
        var summary = Protobuf()
        for (tag, value) in values {
            var v = Protobuf()
            v.bytes(field: 1, Array(tag.utf8))
            v.float(field: 2, value)
            summary.bytes(field: 1, v.data)
        }
        try writeEvent(summary: summary, step: step, wallTime: wallTime)
    }

    /// Logs a PNG-encoded image under `tag` at `step`.
    public func addImage(tag: String, png: [UInt8], height: Int, width: Int, channels: Int, step: Int, wallTime: Date = Date()) throws {
        var image = Protobuf()
        image.varint(field: 1, UInt64(height))
        image.varint(field: 2, UInt64(width))
        image.varint(field: 3, UInt64(channels))
        image.bytes(field: 4, png)
        var v = Protobuf()
        v.bytes(field: 1, Array(tag.utf8))
        v.bytes(field: 4, image.data)
        var summary = Protobuf()
        summary.bytes(field: 1, v.data)
        try writeEvent(summary: summary, step: step, wallTime: wallTime)
    }

    /// Logs a WAV-encoded clip under `tag` at `step` for TensorBoard's audio dashboard (a
    /// `Summary.Audio`, as `tf.summary.audio` and PyTorch's `add_audio` write).
    public func addAudio(tag: String, wav: [UInt8], sampleRate: Int, frames: Int, step: Int, wallTime: Date = Date()) throws {
        var audio = Protobuf()
        audio.float(field: 1, Float(sampleRate))
        audio.varint(field: 2, 1)  // channels
        audio.varint(field: 3, UInt64(frames))
        audio.bytes(field: 4, wav)
        audio.bytes(field: 5, Array("audio/wav".utf8))
        var v = Protobuf()
        v.bytes(field: 1, Array(tag.utf8))
        v.bytes(field: 6, audio.data)  // Summary.Value.audio
        var summary = Protobuf()
        summary.bytes(field: 1, v.data)
        try writeEvent(summary: summary, step: step, wallTime: wallTime)
    }

    /// Logs `text` under `tag` at `step` for TensorBoard's text dashboard (a string tensor with
    /// the `text` plugin's metadata).
    public func addText(tag: String, text: String, step: Int, wallTime: Date = Date()) throws {
        var plugin = Protobuf()
        plugin.bytes(field: 1, Array("text".utf8))  // PluginData.plugin_name
        var metadata = Protobuf()
        metadata.bytes(field: 1, plugin.data)  // SummaryMetadata.plugin_data
        var tensor = Protobuf()
        tensor.varint(field: 1, 7)  // DT_STRING
        tensor.bytes(field: 2, [])  // an empty TensorShapeProto: a scalar, as tf.summary.text writes
        tensor.bytes(field: 8, Array(text.utf8))  // string_val
        var v = Protobuf()
        v.bytes(field: 1, Array(tag.utf8))
        v.bytes(field: 8, tensor.data)  // Summary.Value.tensor
        v.bytes(field: 9, metadata.data)  // Summary.Value.metadata
        var summary = Protobuf()
        summary.bytes(field: 1, v.data)
        try writeEvent(summary: summary, step: step, wallTime: wallTime)
    }

    /// Pushes written events to disk.
    public func flush() throws { try handle.synchronize() }

    private func writeEvent(summary: Protobuf, step: Int, wallTime: Date) throws {
        var event = Protobuf()
        event.double(field: 1, wallTime.timeIntervalSince1970)
        event.varint(field: 2, UInt64(bitPattern: Int64(step)))
        event.bytes(field: 5, summary.data)
        try writeRecord(event.data)
    }

    /// TFRecord framing: length, masked CRC of the length, data, masked CRC of the data.
    private func writeRecord(_ data: [UInt8]) throws {
        var record: [UInt8] = []
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        record += length
        record += withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { Array($0) }
        record += data
        record += withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { Array($0) }
        try handle.write(contentsOf: record)
    }
}

/// A minimal protocol-buffer encoder: varints, 32/64-bit fixed fields and length-delimited bytes.
struct Protobuf {
    var data: [UInt8] = []

    mutating func key(_ field: Int, _ wireType: UInt64) { rawVarint(UInt64(field) << 3 | wireType) }

    mutating func rawVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { data.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        data.append(UInt8(v))
    }

    mutating func varint(field: Int, _ value: UInt64) { key(field, 0); rawVarint(value) }
    mutating func double(field: Int, _ value: Double) {
        key(field, 1); data += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
    }
    mutating func float(field: Int, _ value: Float) {
        key(field, 5); data += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
    }
    mutating func bytes(field: Int, _ value: [UInt8]) { key(field, 2); rawVarint(UInt64(value.count)); data += value }
}
