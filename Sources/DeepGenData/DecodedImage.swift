/// Pixels read from an image file: interleaved samples, row-major, 1 (gray), 2 (gray + alpha),
/// 3 (RGB) or 4 (RGBA) channels of 8 or 16 bits.
public struct DecodedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// 8 or 16; samples lie in `0...255` or `0...65535`.
    public var bitDepth: Int
    /// `width * height * channels` samples.
    public var samples: [UInt16]

    public init(width: Int, height: Int, channels: Int, bitDepth: Int, samples: [UInt16]) {
        precondition(samples.count == width * height * channels, "[DecodedImage] \(samples.count) samples for \(width)×\(height)×\(channels)")
        precondition(bitDepth == 8 || bitDepth == 16, "[DecodedImage] bit depth \(bitDepth) is not 8 or 16")
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.samples = samples
    }

    /// The largest sample value (255 or 65535).
    public var maxValue: Int { bitDepth == 16 ? 65535 : 255 }

    /// The pixels as 8-bit RGBA, as PngSuite's reference data lists them: gray is repeated into
    /// R, G and B, missing alpha is opaque, 16-bit samples keep their high byte (libpng's
    /// `png_set_strip_16`).
    public func rgba8() -> [UInt8] {
        var out = [UInt8](repeating: 255, count: width * height * 4)
        let to8: (UInt16) -> UInt8 = bitDepth == 16 ? { UInt8($0 >> 8) } : { UInt8($0) }
        for p in 0..<(width * height) {
            let s = p * channels, o = p * 4
            switch channels {
            case 1, 2:
                let g = to8(samples[s])
                out[o] = g; out[o + 1] = g; out[o + 2] = g
                if channels == 2 { out[o + 3] = to8(samples[s + 1]) }
            default:
                out[o] = to8(samples[s]); out[o + 1] = to8(samples[s + 1]); out[o + 2] = to8(samples[s + 2])
                if channels == 4 { out[o + 3] = to8(samples[s + 3]) }
            }
        }
        return out
    }

    /// The pixels as 16-bit RGBA (8-bit samples are widened by `v * 257`).
    public func rgba16() -> [UInt16] {
        var out = [UInt16](repeating: 65535, count: width * height * 4)
        let to16: (UInt16) -> UInt16 = bitDepth == 16 ? { $0 } : { $0 &* 257 }
        for p in 0..<(width * height) {
            let s = p * channels, o = p * 4
            let color = channels >= 3 ? [samples[s], samples[s + 1], samples[s + 2]] : [samples[s], samples[s], samples[s]]
            for c in 0..<3 { out[o + c] = to16(color[c]) }
            if channels == 2 || channels == 4 { out[o + 3] = to16(samples[s + channels - 1]) }
        }
        return out
    }

    /// Planar float pixels in [0, 1], `channelsOut` (1 or 3) planes of `height × width`.
    ///
    /// Alpha is dropped; RGB becomes gray by ITU-R 601 luma (`0.299 R + 0.587 G + 0.114 B`, as PIL's
    /// `convert("L")` does), and gray becomes RGB by repetition.
    public func planarUnit(channels channelsOut: Int) -> [Float] {
        precondition(channelsOut == 1 || channelsOut == 3, "[DecodedImage] output channels must be 1 or 3, got \(channelsOut)")
        let n = width * height
        let scale = 1 / Float(maxValue)
        var out = [Float](repeating: 0, count: n * channelsOut)
        let color = channels >= 3
        for p in 0..<n {
            let s = p * channels
            if channelsOut == 1 {
                out[p] = color
                    ? (0.299 * Float(samples[s]) + 0.587 * Float(samples[s + 1]) + 0.114 * Float(samples[s + 2])) * scale
                    : Float(samples[s]) * scale
            } else {
                for c in 0..<3 { out[c * n + p] = Float(samples[color ? s + c : s]) * scale }
            }
        }
        return out
    }
}
