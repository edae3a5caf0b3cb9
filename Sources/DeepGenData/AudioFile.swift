import CDeepGenAudio
import Foundation

/// Reads and writes audio files through libsndfile, which DeepGen loads when audio is first used
/// (Debian: `apt-get install libsndfile1`, and `libsamplerate0` for resampling); everything else
/// in DeepGen runs without them.
public enum AudioFile {
    /// How samples are stored in a written file.
    public enum Encoding: String, Sendable, CaseIterable {
        /// 16-bit integers: CD quality, the smallest files.
        case pcm16
        /// 24-bit integers.
        case pcm24
        /// 32-bit floats (WAV only): the samples exactly, values beyond ±1 kept.
        case float
    }

    /// Why audio files cannot be read or written on this machine (libsndfile is missing), or
    /// `nil` when they can.
    public static var unavailableReason: String? {
        var message = [CChar](repeating: 0, count: 512)
        return dg_audio_sndfile_status(&message, message.count) == Int32(DG_AUDIO_OK) ? nil : String(cString: message)
    }

    /// Reads a mono clip: any file libsndfile reads (WAV with 8-, 16-, 24-, 32-bit or float
    /// samples, FLAC, Ogg Vorbis, AIFF, AU, …). Several channels are mixed down by averaging;
    /// given `sampleRate`, a clip at another rate is resampled (libsamplerate's best sinc).
    ///
    /// - Throws: ``DataError`` naming the file: ``DataError/io(file:reason:)`` when it is missing
    ///   or unreadable, ``DataError/truncated(file:reason:)`` when it is empty or ends before the
    ///   audio its header announces, ``DataError/corrupt(file:reason:)`` for bytes libsndfile
    ///   cannot decode (its message), no audio (0 frames) or a sample that is NaN or infinite,
    ///   ``DataError/unsupported(file:reason:)`` when libsndfile (or libsamplerate) is not
    ///   installed or the rate cannot be converted.
    public static func read(_ url: URL, sampleRate: Int? = nil) throws -> AudioClip {
        let path = url.path
        if let rate = sampleRate, rate <= 0 { throw DataError.invalidArgument("a sample rate must be positive, got \(rate)") }
        try checkReadable(path)

        var message = [CChar](repeating: 0, count: 512)
        var info = dg_audio_info()
        var buffer: UnsafeMutablePointer<Float>?
        let status = dg_audio_read(path, &buffer, &info, &message, message.count)
        defer { dg_audio_free(buffer) }
        let reason = String(cString: message)
        switch Int(status) {
        case Int(DG_AUDIO_OK): break
        case Int(DG_AUDIO_NO_LIBRARY): throw DataError.unsupported(file: path, reason: "cannot read audio: \(reason)")
        case Int(DG_AUDIO_SHORT_READ): throw DataError.truncated(file: path, reason: "\(reason) (\(formatName(info.format)))")
        case Int(DG_AUDIO_NO_MEMORY): throw DataError.io(file: path, reason: reason)
        default:
            // libsndfile reports a failed open() as "System error : …"; anything else is the data.
            if reason.hasPrefix("System error") { throw DataError.io(file: path, reason: reason) }
            throw DataError.corrupt(file: path, reason: "not audio libsndfile can decode: \(reason)")
        }
        let channels = Int(info.channels), frames = Int(info.frames)
        guard frames > 0, let buffer else {
            throw DataError.corrupt(file: path, reason: "the file holds no audio (0 frames of \(formatName(info.format)))")
        }
        let interleaved = UnsafeBufferPointer(start: buffer, count: frames * channels)
        if let bad = interleaved.firstIndex(where: { !$0.isFinite }) {
            throw DataError.corrupt(file: path, reason: "sample \(bad / channels) (channel \(bad % channels)) is \(interleaved[bad]); audio samples must be finite")
        }
        var clip = AudioClip(samples: mixDown(interleaved, channels: channels), sampleRate: Int(info.sample_rate))
        if let rate = sampleRate, rate != clip.sampleRate {
            do {
                clip = try clip.resampled(to: rate)
            } catch DataError.invalidArgument(let reason) {
                throw DataError.unsupported(file: path, reason: reason)
            }
        }
        return clip
    }

    /// Writes mono samples as a WAV (`.wav`) or FLAC (`.flac`) file, chosen by the extension,
    /// replacing any file there only once the new one is complete. Integer encodings clip values
    /// beyond ±1 (rather than wrapping them around).
    ///
    /// - Throws: ``DataError/invalidArgument(_:)`` for no samples, a non-finite sample or a
    ///   non-positive rate; ``DataError/unsupported(file:reason:)`` for another extension, float
    ///   samples in FLAC or a missing libsndfile; ``DataError/io(file:reason:)`` when it cannot
    ///   be written.
    public static func write(_ samples: [Float], sampleRate: Int, to url: URL, encoding: Encoding = .pcm16) throws {
        let path = url.path
        let container: Int32
        switch url.pathExtension.lowercased() {
        case "wav", "wave": container = Int32(DG_AUDIO_CONTAINER_WAV)
        case "flac":
            guard encoding != .float else {
                throw DataError.unsupported(file: path, reason: "FLAC stores integer samples; write float samples to a .wav file")
            }
            container = Int32(DG_AUDIO_CONTAINER_FLAC)
        default:
            throw DataError.unsupported(file: path, reason: "DeepGen writes .wav and .flac audio files, not '.\(url.pathExtension)'")
        }
        let bytes: Data
        do {
            bytes = try encode(samples, channels: 1, sampleRate: sampleRate, format: container | encoding.code)
        } catch DataError.unsupported(_, let reason) {
            throw DataError.unsupported(file: path, reason: reason)
        }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            // Foundation writes a temporary file beside it and renames it into place.
            try bytes.write(to: url, options: .atomic)
        } catch {
            throw DataError.io(file: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Mono samples as the bytes of a 16-bit PCM WAV file (for TensorBoard's audio summaries and
    /// previews), clipping values beyond ±1.
    /// - Throws: as ``write(_:sampleRate:to:encoding:)``.
    public static func wavData(_ samples: [Float], sampleRate: Int) throws -> Data {
        try encode(samples, channels: 1, sampleRate: sampleRate,
                   format: Int32(DG_AUDIO_CONTAINER_WAV) | Int32(DG_AUDIO_ENCODING_PCM_16))
    }

    /// Interleaved samples as a file of libsndfile's `format` (container | encoding) in memory.
    static func encode(_ interleaved: [Float], channels: Int, sampleRate: Int, format: Int32) throws -> Data {
        guard sampleRate > 0 else { throw DataError.invalidArgument("a sample rate must be positive, got \(sampleRate)") }
        guard channels > 0, !interleaved.isEmpty, interleaved.count % channels == 0 else {
            throw DataError.invalidArgument("cannot write \(interleaved.count) samples as \(channels)-channel audio")
        }
        if let bad = interleaved.firstIndex(where: { !$0.isFinite }) {
            throw DataError.invalidArgument("sample \(bad) is \(interleaved[bad]); audio to write must be finite")
        }
        var message = [CChar](repeating: 0, count: 512)
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = dg_audio_encode(interleaved, Int64(interleaved.count / channels), Int32(channels), Int32(sampleRate), format,
                                     &output, &size, &message, message.count)
        defer { dg_audio_free(output) }
        guard status == Int32(DG_AUDIO_OK), let output else {
            throw DataError.unsupported(file: "(\(formatName(format)) in memory)", reason: "cannot encode audio: \(String(cString: message))")
        }
        return Data(bytes: output, count: size)
    }

    /// The channels of interleaved frames averaged into one.
    static func mixDown(_ interleaved: UnsafeBufferPointer<Float>, channels: Int) -> [Float] {
        guard channels > 1 else { return Array(interleaved) }
        let frames = interleaved.count / channels, scale = 1 / Float(channels)
        return (0..<frames).map { frame in
            var sum: Float = 0
            for c in 0..<channels { sum += interleaved[frame * channels + c] }
            return sum * scale
        }
    }

    /// libsndfile's format code in words, for messages: "WAV 16-bit PCM".
    static func formatName(_ format: Int32) -> String {
        let containers: [Int32: String] = [
            Int32(DG_AUDIO_CONTAINER_WAV): "WAV", Int32(DG_AUDIO_CONTAINER_AIFF): "AIFF", Int32(DG_AUDIO_CONTAINER_AU): "AU",
            Int32(DG_AUDIO_CONTAINER_FLAC): "FLAC", Int32(DG_AUDIO_CONTAINER_OGG): "Ogg",
        ]
        let encodings: [Int32: String] = [
            Int32(DG_AUDIO_ENCODING_PCM_S8): "8-bit PCM", Int32(DG_AUDIO_ENCODING_PCM_U8): "8-bit unsigned PCM",
            Int32(DG_AUDIO_ENCODING_PCM_16): "16-bit PCM", Int32(DG_AUDIO_ENCODING_PCM_24): "24-bit PCM",
            Int32(DG_AUDIO_ENCODING_PCM_32): "32-bit PCM", Int32(DG_AUDIO_ENCODING_FLOAT): "32-bit float",
            Int32(DG_AUDIO_ENCODING_DOUBLE): "64-bit float", Int32(DG_AUDIO_ENCODING_VORBIS): "Vorbis",
        ]
        let container = format & Int32(DG_AUDIO_CONTAINER_MASK), encoding = format & Int32(DG_AUDIO_ENCODING_MASK)
        let hex = { (v: Int32) in "0x" + String(v, radix: 16) }
        return "\(containers[container] ?? "container \(hex(container))") \(encodings[encoding] ?? "encoding \(hex(encoding))")"
    }

    /// The path names an existing, non-empty file; libsndfile's own messages for these cases
    /// ("Format not recognised") would not say what is wrong.
    private static func checkReadable(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.io(file: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw DataError.io(file: path, reason: "is a folder, not a file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
        if size == 0 { throw DataError.truncated(file: path, reason: "the file is empty (0 bytes)") }
    }
}

extension AudioFile.Encoding {
    /// libsndfile's encoding code.
    var code: Int32 {
        switch self {
        case .pcm16: return Int32(DG_AUDIO_ENCODING_PCM_16)
        case .pcm24: return Int32(DG_AUDIO_ENCODING_PCM_24)
        case .float: return Int32(DG_AUDIO_ENCODING_FLOAT)
        }
    }
}
