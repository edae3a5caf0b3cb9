import DeepGen
import Foundation

/// Tiles a batch of images into one picture, as torchvision's `make_grid`/`save_image` do.
public struct ImageGrid: Sendable, Equatable {
    /// The grid's 8-bit pixels, interleaved, row-major.
    public var pixels: [UInt8]
    public var width: Int
    public var height: Int
    /// 1 (gray) or 3 (RGB).
    public var channels: Int

    /// Builds the grid of a `[N, C, H, W]` batch (C = 1 or 3).
    ///
    /// Images are laid out `nrow` per row, separated and framed by `padding` pixels of
    /// `padValue` (in [0, 1], as a fraction of white). Values are mapped from `range` to [0, 1],
    /// clamped, and quantised as `save_image` does (`floor(x * 255 + 0.5)`).
    ///
    /// - Parameters:
    ///   - images: the batch, `[N, C, H, W]`, or `[C, H, W]` for one image.
    ///   - nrow: images per row.
    ///   - padding: pixels between and around images (after upscaling).
    ///   - padValue: the padding's brightness in [0, 1].
    ///   - range: the interval the values are in (`.minusOneToOne` for GAN outputs).
    ///   - upscale: an integer nearest-neighbour magnification of each image, for small images.
    public init(_ images: Tensor, nrow: Int = 8, padding: Int = 2, padValue: Float = 0,
                range: PixelRange = .minusOneToOne, upscale: Int = 1) throws {
        let shape = images.rank == 3 ? [1] + images.shape : images.shape
        guard shape.count == 4, shape[0] > 0, shape[1] == 1 || shape[1] == 3 else {
            throw DataError.invalidArgument("[ImageGrid] expects images of shape [N, 1 or 3, H, W], got \(images.shape)")
        }
        guard nrow > 0, padding >= 0, upscale >= 1 else {
            throw DataError.invalidArgument("[ImageGrid] nrow \(nrow) must be positive, padding \(padding) non-negative, upscale \(upscale) at least 1")
        }
        let (n, c, h, w) = (shape[0], shape[1], shape[2] * upscale, shape[3] * upscale)
        let (srcH, srcW) = (shape[2], shape[3])
        let columns = min(nrow, n), rows = (n + columns - 1) / columns
        let cellH = h + padding, cellW = w + padding
        let gridW = columns * cellW + padding, gridH = rows * cellH + padding
        let pad = ImageGrid.quantise(padValue)
        var out = [UInt8](repeating: pad, count: gridW * gridH * c)
        images.withUnsafeBufferPointer { src in
            for k in 0..<n {
                let top = (k / columns) * cellH + padding, left = (k % columns) * cellW + padding
                for y in 0..<h {
                    for x in 0..<w {
                        for ch in 0..<c {
                            let v = src[((k * c + ch) * srcH + y / upscale) * srcW + x / upscale]
                            out[((top + y) * gridW + left + x) * c + ch] = ImageGrid.quantise(range.unit(v))
                        }
                    }
                }
            }
        }
        pixels = out
        width = gridW
        height = gridH
        channels = c
    }

    @inline(__always)
    static func quantise(_ unit: Float) -> UInt8 {
        let v = unit.isNaN ? 0 : (unit * 255 + 0.5).rounded(.down)
        return UInt8(min(max(v, 0), 255))
    }

    /// The grid as PNG bytes.
    public func pngData() throws -> [UInt8] {
        try ImageCodec.encodePNG(pixels: pixels, width: width, height: height, channels: channels)
    }

    /// Writes the grid as a PNG file, creating its folder if needed.
    public func write(to url: URL) throws {
        try FileBytes.write(pngData(), to: url)
    }
}

extension ImageGrid {
    /// Saves a batch as one PNG grid, like torchvision's `save_image`; see ``init(_:nrow:padding:padValue:range:upscale:)``.
    public static func save(_ images: Tensor, to url: URL, nrow: Int = 8, padding: Int = 2, padValue: Float = 0,
                            range: PixelRange = .minusOneToOne, upscale: Int = 1) throws {
        try ImageGrid(images, nrow: nrow, padding: padding, padValue: padValue, range: range, upscale: upscale).write(to: url)
    }
}
