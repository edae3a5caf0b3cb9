import DeepGen
import DeepGenData

/// Draws 2-D point sets as coloured dots on a white square: how 2-D mixture runs show samples.
public struct ScatterPlot {
    public var size: Int
    /// The plotted square: `[-extent, extent]²`.
    public var extent: Float

    public init(size: Int = 384, extent: Float) {
        self.size = size
        self.extent = extent
    }

    /// RGB pixels with each `(points [N, 2], colour)` layer drawn in order, dots of 3×3 pixels.
    public func pixels(_ layers: [(Tensor, (UInt8, UInt8, UInt8))]) -> [UInt8] {
        var out = [UInt8](repeating: 255, count: size * size * 3)
        // Axes through the origin in light grey.
        let mid = size / 2
        for i in 0..<size {
            for (x, y) in [(i, mid), (mid, i)] { let o = (y * size + x) * 3; out[o] = 225; out[o + 1] = 225; out[o + 2] = 225 }
        }
        for (points, colour) in layers {
            let p = points.scalars
            for k in 0..<(p.count / 2) {
                let fx = ((p[2 * k] / extent) + 1) / 2 * Float(size - 1)
                let fy = (1 - ((p[2 * k + 1] / extent) + 1) / 2) * Float(size - 1)
                // Points far outside (or NaN, from a diverged model) are not drawn; Int() would trap.
                guard fx > -2, fx < Float(size + 1), fy > -2, fy < Float(size + 1) else { continue }
                let x = Int(fx), y = Int(fy)
                for dy in -1...1 { for dx in -1...1 {
                    let px = x + dx, py = y + dy
                    guard px >= 0, px < size, py >= 0, py < size else { continue }
                    let o = (py * size + px) * 3
                    out[o] = colour.0; out[o + 1] = colour.1; out[o + 2] = colour.2
                } }
            }
        }
        return out
    }

    /// PNG bytes of ``pixels(_:)``.
    public func png(_ layers: [(Tensor, (UInt8, UInt8, UInt8))]) throws -> [UInt8] {
        try ImageCodec.encodePNG(pixels: pixels(layers), width: size, height: size, channels: 3)
    }

    /// A square that holds every point of `points` with a 10% margin.
    public static func extent(of points: Tensor) -> Float {
        let m = points.abs().max().scalar
        return m.isFinite && m > 0 ? m * 1.1 : 1
    }
}
