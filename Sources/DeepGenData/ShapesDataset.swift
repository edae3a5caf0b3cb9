import DeepGen
import Foundation

/// A procedural image dataset that needs no files: one anti-aliased square, circle, triangle or
/// cross per image, with random size, position, rotation (and hue when RGB).
///
/// Sample `i` is computed from `(seed, i)` alone, so the dataset costs no memory, any index is
/// available directly, and a seed always gives the same images.
public struct ShapesDataset: Dataset {
    /// The shape classes; a sample's label is the index in this list.
    public enum Shape: Int, CaseIterable, Sendable, Codable {
        case square, circle, triangle, cross
    }

    /// The generative factors of one image, in pixels and radians.
    public struct Factors: Sendable, Equatable {
        public var shape: Shape
        /// Distance from the centre to the shape's outline scale (half a square's side is 0.8 × this).
        public var radius: Float
        public var centerX: Float
        public var centerY: Float
        public var rotation: Float
        /// Hue in [0, 1) of an RGB image's shape (0 for gray images).
        public var hue: Float
    }

    public let count: Int
    /// The image side in pixels (28 or 32 are typical).
    public let size: Int
    /// 1 (white shapes on black) or 3 (coloured shapes on black).
    public let channels: Int
    public let seed: UInt64
    public var range: PixelRange

    /// - Parameters:
    ///   - count: the number of images in an epoch.
    ///   - size: the side in pixels, at least 8.
    ///   - channels: 1 or 3.
    ///   - seed: fixes every image.
    ///   - range: the interval pixels are scaled to.
    public init(count: Int = 60_000, size: Int = 28, channels: Int = 1, seed: UInt64 = 0, range: PixelRange = .minusOneToOne) throws {
        guard count > 0 else { throw DataError.invalidArgument("shapes dataset count must be positive, got \(count)") }
        guard size >= 8 else { throw DataError.invalidArgument("shapes image size must be at least 8, got \(size)") }
        guard channels == 1 || channels == 3 else { throw DataError.invalidArgument("shapes channels must be 1 or 3, got \(channels)") }
        self.count = count
        self.size = size
        self.channels = channels
        self.seed = seed
        self.range = range
    }

    public var sampleShape: [Int] { [channels, size, size] }
    public var classLabels: [Int]? { Shape.allCases.map(\.rawValue) }

    /// The factors of image `index`.
    public func factors(at index: Int) -> Factors {
        checkIndex(index)
        var rng = RandomGenerator(seed: SeedMixer.mix(seed, UInt64(index)))
        let shape = Shape(rawValue: rng.nextInt(below: Shape.allCases.count))!
        let side = Float(size)
        let radius = side * (0.2 + 0.16 * rng.nextUniform())
        // Keep the whole shape inside the frame (its extent is at most 1.16 × radius).
        let margin = radius * 1.2 + 1
        let cx = margin + (side - 2 * margin) * rng.nextUniform()
        let cy = margin + (side - 2 * margin) * rng.nextUniform()
        let rotation = 2 * Float.pi * rng.nextUniform()
        let hue = channels == 3 ? rng.nextUniform() : 0
        return Factors(shape: shape, radius: radius, centerX: cx, centerY: cy, rotation: rotation, hue: hue)
    }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
        let f = factors(at: index)
        let n = size * size
        var coverage = [Float](repeating: 0, count: n)
        let c = Foundation.cos(-f.rotation), s = Foundation.sin(-f.rotation)
        for y in 0..<size {
            for x in 0..<size {
                // Pixel centre in the shape's own frame, where the shape has unit radius.
                let dx = Float(x) + 0.5 - f.centerX, dy = Float(y) + 0.5 - f.centerY
                let u = (c * dx - s * dy) / f.radius, v = (s * dx + c * dy) / f.radius
                let distance = Self.signedDistance(f.shape, u, v) * f.radius
                // A pixel-wide ramp across the edge approximates box-filtered anti-aliasing.
                coverage[y * size + x] = min(max(0.5 - distance, 0), 1)
            }
        }
        let range = self.range
        if channels == 1 { return Sample(values: coverage.map(range.scale), label: f.shape.rawValue) }
        let color = Self.rgb(hue: f.hue)
        var values = [Float](repeating: 0, count: 3 * n)
        for ch in 0..<3 { for p in 0..<n { values[ch * n + p] = range.scale(coverage[p] * color[ch]) } }
        return Sample(values: values, label: f.shape.rawValue)
    }

    /// Signed distance (negative inside) from (u, v) to a shape of unit radius.
    static func signedDistance(_ shape: Shape, _ u: Float, _ v: Float) -> Float {
        switch shape {
        case .circle:
            return (u * u + v * v).squareRoot() - 1
        case .square:
            return box(u, v, 0.8, 0.8)
        case .cross:
            return min(box(u, v, 1, 0.3), box(u, v, 0.3, 1))
        case .triangle:
            // Equilateral triangle of half-side r centred on its centroid.
            let r: Float = 0.95, k = Float(3).squareRoot()
            var px = abs(u) - r, py = -v + r / k
            if px + k * py > 0 { (px, py) = ((px - k * py) / 2, (-k * px - py) / 2) }
            px -= min(max(px, -2 * r), 0)
            let length = (px * px + py * py).squareRoot()
            return py > 0 ? -length : length
        }
    }

    private static func box(_ u: Float, _ v: Float, _ bx: Float, _ by: Float) -> Float {
        let dx = abs(u) - bx, dy = abs(v) - by
        let ox = max(dx, 0), oy = max(dy, 0)
        return (ox * ox + oy * oy).squareRoot() + min(max(dx, dy), 0)
    }

    /// A saturated colour of the given hue.
    private static func rgb(hue: Float) -> [Float] {
        let h = hue * 6, sector = Int(h) % 6, f = h - Float(Int(h))
        let q = 1 - 0.8 * f, t = 1 - 0.8 * (1 - f), p: Float = 0.2
        switch sector {
        case 0: return [1, t, p]
        case 1: return [q, 1, p]
        case 2: return [p, 1, t]
        case 3: return [p, q, 1]
        case 4: return [t, p, 1]
        default: return [1, p, q]
        }
    }
}
