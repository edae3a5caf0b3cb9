/// Unfolds a batch of NCHW images into the column matrix of a convolution.
///
/// `output` is `[Cin·kh·kw, N·OH·OW]` row-major: row `(ci, ky, kx)`, column `(n, oy, ox)`.
/// With this layout one GEMM `W[Cout, Cin·kh·kw] × col` convolves the whole batch.
public func im2col(
    _ input: UnsafePointer<Float>, geometry g: Conv2DGeometry, batch: Int,
    output: UnsafeMutablePointer<Float>
) {
    let oh = g.outHeight, ow = g.outWidth, plane = g.inHeight * g.inWidth
    let cols = batch * oh * ow
    let kk = g.kernelHeight * g.kernelWidth
    Parallel.forEachChunk(g.inChannels * kk, minChunk: max(1, 16384 / max(cols, 1))) { _, rows in
        for row in rows {
            let ci = row / kk, ky = (row % kk) / g.kernelWidth, kx = row % g.kernelWidth
            // Output columns ox whose input column ix = ox*s - p + kx*d lies inside the image.
            let (xOff, oxLo, oxHi) = g.validColumns(kx)
            for n in 0..<batch {
                let src = input + (n * g.inChannels + ci) * plane
                var dst = output + row * cols + n * oh * ow
                for oy in 0..<oh {
                    let iy = oy * g.strideH - g.padH + ky * g.dilationH
                    if iy < 0 || iy >= g.inHeight {
                        dst.update(repeating: 0, count: ow)
                    } else {
                        let srow = src + iy * g.inWidth + xOff
                        for ox in 0..<oxLo { dst[ox] = 0 }
                        if g.strideW == 1 {
                            (dst + oxLo).update(from: srow + oxLo, count: oxHi - oxLo)
                        } else {
                            for ox in oxLo..<oxHi { dst[ox] = srow[ox * g.strideW] }
                        }
                        for ox in oxHi..<ow { dst[ox] = 0 }
                    }
                    dst += ow
                }
            }
        }
    }
}

/// Folds a column matrix back into NCHW images, summing overlapping patches (the adjoint of
/// ``im2col(_:geometry:batch:output:)``). Overwrites `output`.
public func col2im(
    _ columns: UnsafePointer<Float>, geometry g: Conv2DGeometry, batch: Int,
    output: UnsafeMutablePointer<Float>
) {
    let oh = g.outHeight, ow = g.outWidth, plane = g.inHeight * g.inWidth
    let cols = batch * oh * ow
    let kk = g.kernelHeight * g.kernelWidth
    // Each channel's rows write only that channel, so channels run in parallel without races.
    Parallel.forEachChunk(g.inChannels, minChunk: 1) { _, channels in
        for ci in channels {
            for n in 0..<batch { (output + (n * g.inChannels + ci) * plane).update(repeating: 0, count: plane) }
            for k in 0..<kk {
                let ky = k / g.kernelWidth, kx = k % g.kernelWidth
                let row = ci * kk + k
                let (xOff, oxLo, oxHi) = g.validColumns(kx)
                for n in 0..<batch {
                    let dstImage = output + (n * g.inChannels + ci) * plane
                    var src = columns + row * cols + n * oh * ow
                    for oy in 0..<oh {
                        let iy = oy * g.strideH - g.padH + ky * g.dilationH
                        if iy >= 0 && iy < g.inHeight {
                            let drow = dstImage + iy * g.inWidth + xOff
                            if g.strideW == 1 {
                                for ox in oxLo..<oxHi { drow[ox] += src[ox] }
                            } else {
                                for ox in oxLo..<oxHi { drow[ox * g.strideW] += src[ox] }
                            }
                        }
                        src += ow
                    }
                }
            }
        }
    }
}

extension Conv2DGeometry {
    /// For kernel column `kx`: the input column offset `ix = ox·s + xOff`, and the output
    /// columns `oxLo..<oxHi` whose input column lies inside the image.
    @inline(__always)
    func validColumns(_ kx: Int) -> (xOff: Int, lo: Int, hi: Int) {
        let xOff = kx * dilationW - padW
        let lo = min(outWidth, max(0, ceilDiv(-xOff, strideW)))
        return (xOff, lo, max(lo, min(outWidth, ceilDiv(inWidth - xOff, strideW))))
    }
}

/// `ceil(a / b)` for positive `b` and any sign of `a`.
@inline(__always)
func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
