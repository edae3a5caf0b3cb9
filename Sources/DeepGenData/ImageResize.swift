/// Resampling planar float images.
public enum ImageResize {
    /// Resizes `planes` planes of `height × width` to `newHeight × newWidth` with a triangle
    /// (bilinear) filter whose support widens when shrinking, so downscaling averages every source
    /// pixel instead of aliasing (as PIL's antialiased `BILINEAR` does).
    public static func bilinear(_ pixels: [Float], planes: Int, height: Int, width: Int,
                                newHeight: Int, newWidth: Int) -> [Float] {
        precondition(pixels.count == planes * height * width, "[ImageResize] \(pixels.count) values for \(planes)×\(height)×\(width)")
        precondition(newHeight > 0 && newWidth > 0, "[ImageResize] target size \(newHeight)×\(newWidth) must be positive")
        if newHeight == height && newWidth == width { return pixels }
        let wx = weights(from: width, to: newWidth), wy = weights(from: height, to: newHeight)
        // Horizontal pass, then vertical: two 1-D filters instead of one 2-D one.
        var rows = [Float](repeating: 0, count: planes * height * newWidth)
        for p in 0..<planes {
            for y in 0..<height {
                let src = (p * height + y) * width, dst = (p * height + y) * newWidth
                for x in 0..<newWidth {
                    var acc: Float = 0
                    for (i, w) in wx[x] { acc += pixels[src + i] * w }
                    rows[dst + x] = acc
                }
            }
        }
        var out = [Float](repeating: 0, count: planes * newHeight * newWidth)
        for p in 0..<planes {
            for y in 0..<newHeight {
                let dst = (p * newHeight + y) * newWidth
                for (i, w) in wy[y] {
                    let src = (p * height + i) * newWidth
                    for x in 0..<newWidth { out[dst + x] += rows[src + x] * w }
                }
            }
        }
        return out
    }

    /// For each output index, the contributing input indices and normalised weights.
    private static func weights(from n: Int, to m: Int) -> [[(Int, Float)]] {
        let scale = Double(n) / Double(m)
        let support = max(scale, 1)
        return (0..<m).map { o in
            let center = (Double(o) + 0.5) * scale
            let lo = max(0, Int((center - support).rounded(.down))), hi = min(n - 1, Int((center + support).rounded(.up)))
            var list = [(Int, Float)]()
            var total = 0.0
            for i in lo...hi {
                let w = max(0, 1 - abs(Double(i) + 0.5 - center) / support)
                if w > 0 { list.append((i, Float(w))); total += w }
            }
            if list.isEmpty { list = [(min(n - 1, max(0, Int(center))), 1)]; total = 1 }
            return list.map { ($0.0, Float(Double($0.1) / total)) }
        }
    }

    /// Copies the `size.height × size.width` window at (`top`, `left`) of each plane.
    public static func crop(_ pixels: [Float], planes: Int, height: Int, width: Int,
                            top: Int, left: Int, cropHeight: Int, cropWidth: Int) -> [Float] {
        precondition(top >= 0 && left >= 0 && top + cropHeight <= height && left + cropWidth <= width,
                     "[ImageResize.crop] window \(cropHeight)×\(cropWidth) at (\(top), \(left)) outside \(height)×\(width)")
        var out = [Float]()
        out.reserveCapacity(planes * cropHeight * cropWidth)
        for p in 0..<planes {
            for y in top ..< top + cropHeight {
                let start = (p * height + y) * width + left
                out.append(contentsOf: pixels[start ..< start + cropWidth])
            }
        }
        return out
    }

    /// Mirrors each plane left to right.
    public static func flipHorizontally(_ pixels: [Float], planes: Int, height: Int, width: Int) -> [Float] {
        var out = pixels
        for row in 0..<(planes * height) {
            let base = row * width
            for x in 0..<width { out[base + x] = pixels[base + width - 1 - x] }
        }
        return out
    }
}
