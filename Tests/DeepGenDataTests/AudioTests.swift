import CDeepGenAudio
import Foundation
import Testing
@testable import DeepGenData

/// Whether the audio tests run: always where libsndfile and libsamplerate load; where they do
/// not, only when `DEEPGEN_REQUIRE_AUDIO` is set (Scripts/test.sh sets it after installing them),
/// so that their absence fails the tests there instead of skipping them.
enum AudioTestSupport {
    static let missing: String? = AudioFile.unavailableReason ?? AudioClip.resamplingUnavailableReason
    static let enabled = missing == nil || ProcessInfo.processInfo.environment["DEEPGEN_REQUIRE_AUDIO"] != nil
    static let skipReason: Comment = "audio libraries missing (\(missing ?? "")); Scripts/test.sh installs them"

    /// `amplitude · sin(2π f t)` for `seconds` at `rate`.
    static func sine(frequency: Double, rate: Int, seconds: Double, amplitude: Float = 0.8) -> [Float] {
        (0..<Int(Double(rate) * seconds)).map { amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(rate))) }
    }

    /// A WAV file's bytes written by hand: a 44-byte header over `data`, whatever the header
    /// says (`dataSize` overrides the data chunk's size, to fake truncation).
    static func wav(format: UInt16 = 1, channels: Int, rate: Int, bitsPerSample: Int, data: [UInt8], dataSize: Int? = nil) -> [UInt8] {
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        let blockAlign = channels * bitsPerSample / 8
        let size = dataSize ?? data.count
        return Array("RIFF".utf8) + le32(36 + size) + Array("WAVE".utf8)
            + Array("fmt ".utf8) + le32(16) + le16(Int(format)) + le16(channels) + le32(rate) + le32(rate * blockAlign)
            + le16(blockAlign) + le16(bitsPerSample)
            + Array("data".utf8) + le32(size) + data
    }

    static func int16Bytes(_ values: [Int16]) -> [UInt8] { values.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] } }
    static func float32Bytes(_ values: [Float]) -> [UInt8] { values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } } }

    static func write(_ bytes: [UInt8], _ name: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }
}

@Suite(.enabled(if: AudioTestSupport.enabled, AudioTestSupport.skipReason))
struct AudioFileTests {
    @Test func librariesLoad() {
        #expect(AudioFile.unavailableReason == nil)
        #expect(AudioClip.resamplingUnavailableReason == nil)
    }

    @Test func pcm16WavRoundTripsWithinOneStep() throws {
        let folder = try Paths.temporaryFolder()
        let samples = AudioTestSupport.sine(frequency: 440, rate: 8000, seconds: 0.25, amplitude: 0.999) + [1, -1, 0]
        let url = folder.appendingPathComponent("a.wav")
        try AudioFile.write(samples, sampleRate: 8000, to: url)
        let clip = try AudioFile.read(url)
        #expect(clip.sampleRate == 8000)
        #expect(clip.samples.count == samples.count)
        // libsndfile writes x·32767 and reads n/32768: one step for the scale, half for rounding.
        let worst = zip(clip.samples, samples).map { abs($0 - $1) }.max()!
        #expect(worst <= 1.5 / 32768)
        #expect(clip.samples.last == 0)
    }

    @Test func pcm24AndFloatRoundTrip() throws {
        let folder = try Paths.temporaryFolder()
        let samples = AudioTestSupport.sine(frequency: 300, rate: 16000, seconds: 0.1) + [0.123456789, -0.987654321]
        let pcm24 = folder.appendingPathComponent("b.wav")
        try AudioFile.write(samples, sampleRate: 16000, to: pcm24, encoding: .pcm24)
        let read24 = try AudioFile.read(pcm24)
        #expect(zip(read24.samples, samples).map { abs($0 - $1) }.max()! <= 1.5 / 8_388_608)

        // Float keeps every bit, values beyond ±1 included.
        let float = folder.appendingPathComponent("c.wav")
        let wide = samples + [1.5, -3, 1e-30]
        try AudioFile.write(wide, sampleRate: 16000, to: float, encoding: .float)
        #expect(try AudioFile.read(float).samples == wide)
    }

    @Test func flacRoundTrips() throws {
        let folder = try Paths.temporaryFolder()
        let samples = AudioTestSupport.sine(frequency: 1000, rate: 22050, seconds: 0.2, amplitude: 0.5)
        for encoding in [AudioFile.Encoding.pcm16, .pcm24] {
            let url = folder.appendingPathComponent("d-\(encoding).flac")
            try AudioFile.write(samples, sampleRate: 22050, to: url, encoding: encoding)
            let bytes = try Data(contentsOf: url)
            #expect(bytes.prefix(4) == Data("fLaC".utf8))
            let clip = try AudioFile.read(url)
            #expect(clip.sampleRate == 22050 && clip.samples.count == samples.count)
            let step: Float = encoding == .pcm16 ? 1 / 32768 : 1 / 8_388_608
            #expect(zip(clip.samples, samples).map { abs($0 - $1) }.max()! <= 1.5 * step)
        }
    }

    @Test func integerEncodingsClipRatherThanWrap() throws {
        let folder = try Paths.temporaryFolder()
        for name in ["e.wav", "e.flac"] {
            let url = folder.appendingPathComponent(name)
            try AudioFile.write([1.5, -1.5, 40, -40, 0.5], sampleRate: 8000, to: url)
            let s = try AudioFile.read(url).samples
            #expect(s[0] > 0.999 && s[2] > 0.999, "\(name): \(s)")
            #expect(s[1] <= -0.999 && s[3] <= -0.999, "\(name): \(s)")
            #expect(abs(s[4] - 0.5) < 1 / 32768)
        }
    }

    @Test func wavDataIsA16BitWavFile() throws {
        let samples: [Float] = [0, 0.25, -0.25, 1, -1, 2]
        let data = try AudioFile.wavData(samples, sampleRate: 16000)
        #expect(data.count == 44 + 2 * samples.count)
        #expect(data.prefix(4) == Data("RIFF".utf8) && data.subdata(in: 8..<12) == Data("WAVE".utf8))
        let bytes = [UInt8](data)
        let rate = Int(bytes[24]) | Int(bytes[25]) << 8 | Int(bytes[26]) << 16
        #expect(rate == 16000)
        #expect(bytes[34] == 16)  // bits per sample
        let url = try AudioTestSupport.write(bytes, "f.wav", in: try Paths.temporaryFolder())
        let back = try AudioFile.read(url).samples
        #expect(abs(back[1] - 0.25) < 1e-4 && abs(back[2] + 0.25) < 1e-4 && back[5] > 0.999)
    }

    @Test func writesReplaceFilesWhole() throws {
        let folder = try Paths.temporaryFolder()
        let url = folder.appendingPathComponent("nested/g.wav")
        try AudioFile.write([0.1, 0.2], sampleRate: 8000, to: url)
        try AudioFile.write([0.3], sampleRate: 8000, to: url)
        #expect(try AudioFile.read(url).samples.count == 1)
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path) == ["g.wav"])
    }

    @Test func readsEightBitWav() throws {
        let url = try AudioTestSupport.write(AudioTestSupport.wav(channels: 1, rate: 11025, bitsPerSample: 8, data: [0, 64, 128, 192, 255]),
                                             "h.wav", in: try Paths.temporaryFolder())
        let clip = try AudioFile.read(url)
        #expect(clip.sampleRate == 11025)
        #expect(clip.samples == [-1, -0.5, 0, 0.5, 127.0 / 128])
    }

    @Test func mixesStereoDownToMono() throws {
        let left: [Int16] = [16384, 0, 32767, -32768], right: [Int16] = [-8192, 0, 32767, -32768]
        let interleaved = zip(left, right).flatMap { [$0, $1] }
        let url = try AudioTestSupport.write(AudioTestSupport.wav(channels: 2, rate: 8000, bitsPerSample: 16, data: AudioTestSupport.int16Bytes(interleaved)),
                                             "i.wav", in: try Paths.temporaryFolder())
        let clip = try AudioFile.read(url)
        #expect(clip.samples == [0.125, 0, 32767.0 / 32768, -1])

        // libsndfile's own stereo (and more channels) too.
        let four = try AudioFile.encode([0.5, 0.25, -0.25, 0.5], channels: 4, sampleRate: 8000,
                                        format: Int32(DG_AUDIO_CONTAINER_WAV) | Int32(DG_AUDIO_ENCODING_FLOAT))
        let fourURL = try AudioTestSupport.write([UInt8](four), "j.wav", in: try Paths.temporaryFolder())
        #expect(try AudioFile.read(fourURL).samples == [0.25])
    }

    @Test func resamplingKeepsPitchLengthAndLevel() throws {
        let folder = try Paths.temporaryFolder()
        let url = folder.appendingPathComponent("k.wav")
        try AudioFile.write(AudioTestSupport.sine(frequency: 440, rate: 16000, seconds: 1), sampleRate: 16000, to: url, encoding: .float)
        let clip = try AudioFile.read(url, sampleRate: 8000)
        #expect(clip.sampleRate == 8000)
        #expect(abs(clip.samples.count - 8000) <= 1)
        // Away from the filter's edges: 440 Hz is 880 zero crossings a second, amplitude 0.8.
        let middle = Array(clip.samples[1000..<7000])
        let crossings = zip(middle, middle.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
        #expect(abs(crossings - 660) <= 2, "\(crossings) zero crossings in 0.75 s")
        let rms = (middle.map { Double($0) * Double($0) }.reduce(0, +) / Double(middle.count)).squareRoot()
        #expect(abs(rms * 2.0.squareRoot() - 0.8) < 0.005, "amplitude \(rms * 2.0.squareRoot())")

        // And up: 8 kHz to 44.1 kHz.
        let up = try AudioClip(samples: middle, sampleRate: 8000).resampled(to: 44100)
        #expect(abs(up.samples.count - middle.count * 44100 / 8000) <= 1)
    }

    @Test func missingEmptyAndFolderPathsAreIOErrors() throws {
        let folder = try Paths.temporaryFolder()
        let missing = folder.appendingPathComponent("nope.wav")
        let e1 = expectDataError { _ = try AudioFile.read(missing) }
        #expect(e1 == .io(file: missing.path, reason: "no such file"))
        let e2 = expectDataError { _ = try AudioFile.read(folder) }
        #expect(e2?.file == folder.path)

        let empty = try AudioTestSupport.write([], "empty.wav", in: folder)
        let e3 = expectDataError { _ = try AudioFile.read(empty) }
        #expect(e3 == .truncated(file: empty.path, reason: "the file is empty (0 bytes)"))
    }

    @Test func truncatedFilesAreErrorsNotShortClips() throws {
        let folder = try Paths.temporaryFolder()
        let full = AudioTestSupport.int16Bytes((0..<1000).map { Int16($0) })
        // The header announces 2,000 bytes of samples; 1,500 are there.
        let wav = try AudioTestSupport.write(AudioTestSupport.wav(channels: 1, rate: 8000, bitsPerSample: 16, data: Array(full.prefix(1500)), dataSize: 2000),
                                             "l.wav", in: folder)
        let e1 = expectDataError { _ = try AudioFile.read(wav) }
        guard case .truncated(let file, let reason)? = e1 else { Issue.record("got \(String(describing: e1))"); return }
        #expect(file == wav.path)
        #expect(reason.contains("2000") && reason.contains("1500"), "\(reason)")

        // A FLAC stream cut short: libsndfile's decoder stops early.
        let flac = folder.appendingPathComponent("m.flac")
        try AudioFile.write(AudioTestSupport.sine(frequency: 440, rate: 8000, seconds: 2), sampleRate: 8000, to: flac)
        let bytes = try Data(contentsOf: flac)
        let cut = try AudioTestSupport.write([UInt8](bytes.prefix(bytes.count * 2 / 3)), "n.flac", in: folder)
        let e2 = expectDataError { _ = try AudioFile.read(cut) }
        guard case .truncated(let file2, let reason2)? = e2 else { Issue.record("got \(String(describing: e2))"); return }
        #expect(file2 == cut.path)
        #expect(reason2.contains("frames"), "\(reason2)")
    }

    @Test func garbageZeroFramesAndNaNAreCorrupt() throws {
        let folder = try Paths.temporaryFolder()
        var rng = SystemRandomNumberGenerator()
        let garbage = try AudioTestSupport.write((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }, "o.wav", in: folder)
        let e1 = expectDataError { _ = try AudioFile.read(garbage) }
        guard case .corrupt(let file, let reason)? = e1 else { Issue.record("got \(String(describing: e1))"); return }
        #expect(file == garbage.path && reason.contains("libsndfile"), "\(reason)")

        let silent = try AudioTestSupport.write(AudioTestSupport.wav(channels: 1, rate: 8000, bitsPerSample: 16, data: []), "p.wav", in: folder)
        let e2 = expectDataError { _ = try AudioFile.read(silent) }
        #expect(e2 == .corrupt(file: silent.path, reason: "the file holds no audio (0 frames of WAV 16-bit PCM)"))

        let nan = try AudioTestSupport.write(AudioTestSupport.wav(format: 3, channels: 1, rate: 8000, bitsPerSample: 32,
                                                                   data: AudioTestSupport.float32Bytes([0.5, .nan, 0.25])), "q.wav", in: folder)
        let e3 = expectDataError { _ = try AudioFile.read(nan) }
        guard case .corrupt(let file3, let reason3)? = e3 else { Issue.record("got \(String(describing: e3))"); return }
        #expect(file3 == nan.path && reason3.contains("sample 1") && reason3.contains("nan"), "\(reason3)")
        let inf = try AudioTestSupport.write(AudioTestSupport.wav(format: 3, channels: 1, rate: 8000, bitsPerSample: 32,
                                                                   data: AudioTestSupport.float32Bytes([.infinity])), "r.wav", in: folder)
        #expect(expectDataError { _ = try AudioFile.read(inf) }?.file == inf.path)
    }

    @Test func refusedRatesAndWritesAreErrors() throws {
        let folder = try Paths.temporaryFolder()
        let url = folder.appendingPathComponent("s.wav")
        try AudioFile.write([0.1, 0.2, 0.3], sampleRate: 8000, to: url)
        let e1 = expectDataError { _ = try AudioFile.read(url, sampleRate: 8000 * 1000) }
        guard case .unsupported(let file, let reason)? = e1 else { Issue.record("got \(String(describing: e1))"); return }
        #expect(file == url.path && reason.contains("cannot resample 8000 Hz to 8000000 Hz"), "\(reason)")
        #expect(expectDataError { _ = try AudioFile.read(url, sampleRate: 0) } != nil)

        let mp3 = folder.appendingPathComponent("t.mp3")
        #expect(expectDataError { try AudioFile.write([0], sampleRate: 8000, to: mp3) }?.file == mp3.path)
        let flac = folder.appendingPathComponent("t.flac")
        #expect(expectDataError { try AudioFile.write([0], sampleRate: 8000, to: flac, encoding: .float) }?.file == flac.path)
        #expect(expectDataError { try AudioFile.write([0, .nan], sampleRate: 8000, to: url) } != nil)
        #expect(expectDataError { try AudioFile.write([], sampleRate: 8000, to: url) } != nil)
        #expect(expectDataError { _ = try AudioFile.wavData([0], sampleRate: 0) } != nil)
        // The failed writes left the earlier file alone.
        #expect(try AudioFile.read(url).samples.count == 3)
    }
}

@Suite(.enabled(if: AudioTestSupport.enabled, AudioTestSupport.skipReason))
struct AudioContainerTests {
    /// AIFF, AU and Ogg Vorbis files (written by libsndfile itself) read like WAV.
    @Test func readsOtherContainers() throws {
        let folder = try Paths.temporaryFolder()
        let samples = AudioTestSupport.sine(frequency: 500, rate: 16000, seconds: 0.5, amplitude: 0.5)
        let formats: [(String, Int32, Float)] = [
            ("a.aiff", Int32(DG_AUDIO_CONTAINER_AIFF) | Int32(DG_AUDIO_ENCODING_PCM_24), 1e-6),
            ("a.au", Int32(DG_AUDIO_CONTAINER_AU) | Int32(DG_AUDIO_ENCODING_FLOAT), 0),
            ("a.ogg", Int32(DG_AUDIO_CONTAINER_OGG) | Int32(DG_AUDIO_ENCODING_VORBIS), 0.05),
        ]
        for (name, format, tolerance) in formats {
            let url = try AudioTestSupport.write([UInt8](try AudioFile.encode(samples, channels: 1, sampleRate: 16000, format: format)), name, in: folder)
            let clip = try AudioFile.read(url)
            #expect(clip.sampleRate == 16000 && clip.samples.count == samples.count, "\(name)")
            // Lossy Vorbis: compare away from the edges, where the codec's window settles.
            let error = zip(clip.samples, samples).dropFirst(500).dropLast(500).map { abs($0 - $1) }.max()!
            #expect(error <= tolerance, "\(name): error \(error)")
        }
    }
}
