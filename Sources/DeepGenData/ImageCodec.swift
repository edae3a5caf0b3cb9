import CDeepGenCodecs
import Foundation

/// Reading PNG and JPEG (through libpng and libjpeg-turbo) and writing PNG.
public enum ImageCodec {
    /// The most samples (width × height × channels) a decoded image may have; larger headers are
    /// refused before any allocation.
    public static let maxSamples = 1 << 28

    /// File formats recognised by their first bytes.
    public enum Format: String, Sendable {
        case png = "PNG", jpeg = "JPEG", gif = "GIF", bmp = "BMP", webp = "WebP", tiff = "TIFF"
    }

    /// The format `bytes` start with, or `nil` when unknown.
    public static func sniff(_ bytes: [UInt8]) -> Format? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset ..< offset + prefix.count]) == prefix
        }
        if starts([0x89, 0x50, 0x4E, 0x47]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("GIF8".utf8)) { return .gif }
        if starts(Array("BM".utf8)) { return .bmp }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        return nil
    }

    /// Decodes a PNG or JPEG by its content (the extension is not trusted).
    ///
    /// - Throws: ``DataError/unsupported(file:reason:)`` for other formats,
    ///   ``DataError/corrupt(file:reason:)`` with the codec's message for damaged files.
    public static func decode(_ bytes: [UInt8], file: String) throws -> DecodedImage {
        switch sniff(bytes) {
        case .png: return try decodePNG(bytes, file: file)
        case .jpeg: return try decodeJPEG(bytes, file: file)
        case .some(let other):
            throw DataError.unsupported(file: file, reason: "\(other.rawValue) images are not read; convert to PNG or JPEG")
        case nil:
            throw DataError.unsupported(file: file, reason: "not a PNG or JPEG image (starts with \(DataError.hex(bytes.prefix(4))))")
        }
    }

    /// Reads and decodes a PNG or JPEG file.
    public static func read(_ url: URL) throws -> DecodedImage {
        try decode(FileBytes.read(url), file: url.path)
    }

    /// Decodes PNG bytes: every color type and bit depth; palettes, low bit depths and `tRNS`
    /// transparency are expanded to 8-bit gray/RGB with alpha; 16-bit samples are kept.
    public static func decodePNG(_ bytes: [UInt8], file: String, maxSamples: Int = maxSamples) throws -> DecodedImage {
        try decodeWith(bytes, file: file, format: "PNG", maxSamples: maxSamples, dg_png_decode)
    }

    /// Decodes JPEG bytes to 8-bit gray or RGB. CMYK JPEGs are refused.
    public static func decodeJPEG(_ bytes: [UInt8], file: String, maxSamples: Int = maxSamples) throws -> DecodedImage {
        try decodeWith(bytes, file: file, format: "JPEG", maxSamples: maxSamples, dg_jpeg_decode)
    }

    private typealias CDecoder = (UnsafePointer<UInt8>?, Int, Int, UnsafeMutablePointer<dg_image>?,
                                  UnsafeMutablePointer<CChar>?, Int) -> Int32

    private static func decodeWith(_ bytes: [UInt8], file: String, format: String, maxSamples: Int,
                                   _ decoder: CDecoder) throws -> DecodedImage {
        var image = dg_image()
        var message = [CChar](repeating: 0, count: 512)
        let status = bytes.withUnsafeBufferPointer { input in
            message.withUnsafeMutableBufferPointer { err in
                decoder(input.baseAddress, input.count, maxSamples, &image, err.baseAddress, err.count)
            }
        }
        guard status == 0, let pixels = image.pixels else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if reason.contains("bad signature") {
                throw DataError.badMagic(file: file, expected: "\(format) signature", found: DataError.hex(bytes.prefix(8)))
            }
            if reason.contains("truncated") || reason.contains("end of file") {
                throw DataError.truncated(file: file, reason: "\(format): \(reason)")
            }
            throw DataError.corrupt(file: file, reason: "\(format) decode failed: \(reason)")
        }
        defer { dg_free(pixels) }
        let n = Int(image.width) * Int(image.height) * Int(image.channels)
        let samples: [UInt16]
        if image.bit_depth == 16 {
            samples = Array(UnsafeBufferPointer(start: pixels.assumingMemoryBound(to: UInt16.self), count: n))
        } else {
            samples = UnsafeBufferPointer(start: pixels.assumingMemoryBound(to: UInt8.self), count: n).map(UInt16.init)
        }
        return DecodedImage(width: Int(image.width), height: Int(image.height), channels: Int(image.channels),
                            bitDepth: Int(image.bit_depth), samples: samples)
    }

    /// Encodes 8-bit pixels (interleaved, row-major) as PNG.
    ///
    /// - Parameter channels: 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
    public static func encodePNG(pixels: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
        try encodeWith(pixels: pixels, width: width, height: height, channels: channels, format: "PNG") {
            dg_png_encode($0, Int32(width), Int32(height), Int32(channels), $1, $2, $3, $4)
        }
    }

    /// Encodes 8-bit gray (1 channel) or RGB (3 channels) pixels as JPEG.
    public static func encodeJPEG(pixels: [UInt8], width: Int, height: Int, channels: Int, quality: Int = 90) throws -> [UInt8] {
        try encodeWith(pixels: pixels, width: width, height: height, channels: channels, format: "JPEG") {
            dg_jpeg_encode($0, Int32(width), Int32(height), Int32(channels), Int32(quality), $1, $2, $3, $4)
        }
    }

    private static func encodeWith(
        pixels: [UInt8], width: Int, height: Int, channels: Int, format: String,
        _ encoder: (UnsafePointer<UInt8>?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>,
                    UnsafeMutablePointer<CChar>?, Int) -> Int32
    ) throws -> [UInt8] {
        guard width > 0, height > 0, pixels.count == width * height * channels else {
            throw DataError.invalidArgument("[encode\(format)] \(pixels.count) bytes for \(width)×\(height)×\(channels) pixels")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = pixels.withUnsafeBufferPointer { input in
            message.withUnsafeMutableBufferPointer { err in encoder(input.baseAddress, &out, &size, err.baseAddress, err.count) }
        }
        guard status == 0, let out else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DataError.invalidArgument("[encode\(format)] \(reason)")
        }
        defer { dg_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    /// Writes 8-bit pixels to a PNG file, creating the folder if needed.
    public static func writePNG(pixels: [UInt8], width: Int, height: Int, channels: Int, to url: URL) throws {
        try FileBytes.write(encodePNG(pixels: pixels, width: width, height: height, channels: channels), to: url)
    }
}
