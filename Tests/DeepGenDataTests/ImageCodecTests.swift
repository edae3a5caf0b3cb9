import DeepGen
import Foundation
import Testing
@testable import DeepGenData

@Suite struct ImageCodecTests {
    static func gradient(width: Int, height: Int, channels: Int) -> [UInt8] {
        (0..<(width * height * channels)).map { UInt8(($0 * 37 + $0 / channels * 11) % 256) }
    }

    @Test(arguments: [1, 2, 3, 4])
    func pngRoundTripsEveryChannelCount(channels: Int) throws {
        let pixels = Self.gradient(width: 7, height: 5, channels: channels)
        let png = try ImageCodec.encodePNG(pixels: pixels, width: 7, height: 5, channels: channels)
        let image = try ImageCodec.decode(png, file: "mem.png")
        #expect(image.width == 7 && image.height == 5 && image.channels == channels && image.bitDepth == 8)
        #expect(image.samples.map { UInt8($0) } == pixels)
    }

    @Test func jpegRoundTripsApproximately() throws {
        // A smooth image survives JPEG's quantisation within a few levels.
        let (w, h) = (16, 16)
        let rgb = (0..<(w * h)).flatMap { p -> [UInt8] in [UInt8(p % w * 12), UInt8(p / w * 12), 128] }
        let jpeg = try ImageCodec.encodeJPEG(pixels: rgb, width: w, height: h, channels: 3, quality: 95)
        #expect(ImageCodec.sniff(jpeg) == .jpeg)
        let image = try ImageCodec.decode(jpeg, file: "mem.jpg")
        #expect(image.channels == 3 && image.width == w && image.height == h)
        let maxError = zip(image.samples, rgb).map { abs(Int($0) - Int($1)) }.max()!
        #expect(maxError <= 8)
        let gray = try ImageCodec.decode(ImageCodec.encodeJPEG(pixels: [UInt8](repeating: 200, count: 64), width: 8, height: 8, channels: 1), file: "g.jpg")
        #expect(gray.channels == 1 && gray.samples.allSatisfy { abs(Int($0) - 200) <= 1 })
    }

    @Test func readsAJPEGFile() throws {
        let image = try ImageCodec.read(Paths.fixture("gradient.jpg"))
        #expect(image.width == 24 && image.height == 16 && image.channels == 3 && image.bitDepth == 8)
        // The top-left pixel was (0, 0, 0) before lossy compression.
        #expect(image.samples[0] < 24 && image.samples[1] < 24)
    }

    @Test func damagedJPEGIsRejected() throws {
        let pixels = [UInt8](repeating: 90, count: 32 * 32 * 3)
        let jpeg = try ImageCodec.encodeJPEG(pixels: pixels, width: 32, height: 32, channels: 3)
        for cut in [3, 20, jpeg.count / 2, jpeg.count - 2] {
            let error = expectDataError("cut \(cut)") { _ = try ImageCodec.decode(Array(jpeg[..<cut]), file: "cut.jpg") }
            #expect(error?.file == "cut.jpg")
        }
        var bad = jpeg
        // A quantisation-table segment claiming a length of 1 byte is malformed.
        let dqt = try #require(jpeg.indices.first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDB })
        bad[dqt + 2] = 0
        bad[dqt + 3] = 1
        let marker = expectDataError { _ = try ImageCodec.decodeJPEG(bad, file: "bad.jpg") }
        #expect(marker?.description.hasPrefix("bad.jpg: ") == true)
    }

    @Test func unsupportedFormatsNameTheFormat() {
        let gif = expectDataError { _ = try ImageCodec.decode(Array("GIF89a....".utf8), file: "a.png") }
        #expect(gif?.description == "a.png: unsupported: GIF images are not read; convert to PNG or JPEG")
        let text = expectDataError { _ = try ImageCodec.decode(Array("hello".utf8), file: "b.jpg") }
        guard case .unsupported(let file, _) = text else { Issue.record("got \(String(describing: text))"); return }
        #expect(file == "b.jpg")
        let empty = expectDataError { _ = try ImageCodec.decode([], file: "c.png") }
        #expect(empty?.file == "c.png")
    }

    @Test func planarConversionUsesLumaAndDropsAlpha() {
        let rgba = DecodedImage(width: 1, height: 1, channels: 4, bitDepth: 8, samples: [255, 0, 0, 7])
        #expect(abs(rgba.planarUnit(channels: 1)[0] - 0.299) < 1e-6)
        #expect(rgba.planarUnit(channels: 3) == [1, 0, 0])
        let gray16 = DecodedImage(width: 2, height: 1, channels: 1, bitDepth: 16, samples: [0, 65535])
        #expect(gray16.planarUnit(channels: 3) == [0, 1, 0, 1, 0, 1])
    }
}
