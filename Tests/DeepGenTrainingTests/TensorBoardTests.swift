import Foundation
import Testing
@testable import DeepGenTraining
import _DeepGenTestSupport

@Suite struct TensorBoardTests {
    @Test func crc32cKnownValues() {
        // RFC 3720 test vector: 32 bytes of zeros → 0x8A9136AA; "123456789" → 0xE3069283.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    static let tinyPNG: [UInt8] = [
        0x89, 0x50, 0x4e, 0x47, 0xd, 0xa, 0x1a, 0xa, 0x0, 0x0, 0x0, 0xd, 0x49, 0x48, 0x44, 0x52, 0x0, 0x0, 0x0, 0x2,
        0x0, 0x0, 0x0, 0x1, 0x8, 0x0, 0x0, 0x0, 0x0, 0xd1, 0x49, 0x20, 0x56, 0x0, 0x0, 0x0, 0xb, 0x49, 0x44, 0x41,
        0x54, 0x78, 0x9c, 0x63, 0x60, 0xf8, 0xf, 0x0, 0x1, 0x2, 0x1, 0x0, 0x42, 0xbe, 0xbc, 0x68, 0x0, 0x0, 0x0, 0x0,
        0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ]

    @Test(.enabled(if: pythonHasModules(["tensorboard"]), "needs python3 with the tensorboard package"))
    func tensorBoardReadsOurEvents() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-tb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try TensorBoardWriter(directory: dir)
        try writer.addScalars([("loss/generator", 1.5), ("loss/discriminator", -0.25)], step: 10)
        try writer.addScalars([("loss/generator", 0.75)], step: 20)
        try writer.addImage(tag: "samples", png: Self.tinyPNG, height: 1, width: 2, channels: 1, step: 20)
        try writer.addText(tag: "text", text: "ROMEO:\nWhat, ho! — ö", step: 30)
        let wav = Array("RIFF....WAVEfake".utf8)  // the reader passes the encoded bytes through
        try writer.addAudio(tag: "samples/0-seven", wav: wav, sampleRate: 8000, frames: 4000, step: 40)
        try writer.flush()
        let script = """
        import sys
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        acc = EventAccumulator(sys.argv[1], size_guidance={'images': 0, 'scalars': 0, 'tensors': 0, 'audio': 0})
        acc.Reload()
        for tag in sorted(acc.Tags()['scalars']):
            for e in acc.Scalars(tag): print('scalar', tag, e.step, e.value)
        for tag in acc.Tags()['images']:
            for e in acc.Images(tag): print('image', tag, e.step, e.width, e.height, len(e.encoded_image_string))
        for tag in acc.Tags()['tensors']:
            for e in acc.Tensors(tag):
                from tensorboard.util import tensor_util
                value = tensor_util.make_ndarray(e.tensor_proto)
                print('text', tag, e.step, acc.SummaryMetadata(tag).plugin_data.plugin_name, value.shape, repr(value.item().decode('utf-8')))
        for tag in acc.Tags()['audio']:
            for e in acc.Audio(tag): print('audio', tag, e.step, e.sample_rate, e.length_frames, e.content_type, e.encoded_audio_string[:4].decode())
        """
        let output = try #require(try runPython(script, arguments: [dir.path]))
        #expect(output.split(separator: "\n").map(String.init) == [
            "scalar loss/discriminator 10 -0.25",
            "scalar loss/generator 10 1.5",
            "scalar loss/generator 20 0.75",
            "image samples 20 2 1 \(Self.tinyPNG.count)",
            "text text 30 text () 'ROMEO:\\nWhat, ho! — ö'",
            "audio samples/0-seven 40 8000.0 4000 audio/wav RIFF",
        ])
    }

    /// Two writers never share a file, even within one second.
    @Test func everyWriterHasItsOwnFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-tb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let now = Date()
        let a = try TensorBoardWriter(directory: dir, wallTime: now), b = try TensorBoardWriter(directory: dir, wallTime: now)
        #expect(a.url != b.url)
        try a.addScalars([("x", 1)], step: 1)
        try a.flush()
        _ = try TensorBoardWriter(directory: dir, wallTime: now)
        #expect(try Data(contentsOf: a.url).count > 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == 3)
    }

    /// A resumed run's writer marks a restart: TensorBoard drops what the earlier writer logged
    /// from that step on (the steps after the checkpoint, trained again).
    @Test(.enabled(if: pythonHasModules(["tensorboard"]), "needs python3 with the tensorboard package"))
    func tensorBoardDropsEventsAResumedRunSuperseded() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-tb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try TensorBoardWriter(directory: dir, wallTime: Date(timeIntervalSinceNow: -10))
        for step in 1...10 { try first.addScalars([("loss", Float(step))], step: step, wallTime: Date(timeIntervalSinceNow: -10)) }
        try first.flush()
        let resumed = try TensorBoardWriter(directory: dir, purgeFromStep: 7)
        for step in 7...8 { try resumed.addScalars([("loss", Float(100 + step))], step: step) }
        try resumed.flush()
        let script = """
        import sys
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        acc = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0})
        acc.Reload()
        print(' '.join(f'{e.step}:{e.value:g}' for e in acc.Scalars('loss')))
        """
        let output = try #require(try runPython(script, arguments: [dir.path]))
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "1:1 2:2 3:3 4:4 5:5 6:6 7:107 8:108")
    }
}
