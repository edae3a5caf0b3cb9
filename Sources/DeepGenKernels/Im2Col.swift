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
    let inChannels = g.inChannels, inWidth = g.inWidth, strideW = g.strideW
    Parallel.forEachChunk(g.inChannels * kk, minChunk: max(1, 16384 / max(cols, 1))) { _, rows in
        for row in rows {
            let ci = row / kk, ky = (row % kk) / g.kernelWidth, kx = row % g.kernelWidth
            // Output columns ox whose input column ix = ox*s - p + kx*d lies inside the image,
            // and output rows oy whose input row does.
            let (xOff, oxLo, oxHi) = g.validColumns(kx)
            let (yOff, oyLo, oyHi) = g.validRows(ky)
            let padded = oxLo > 0 || oxHi < ow || oyLo > 0 || oyHi < oh
            // Wrapping arithmetic: the indices are bounded by the buffer sizes, and overflow
            // checks in these short loops cost as much as the copies.
            let rowStep = g.strideH &* inWidth, ohw = oh &* ow
            let firstRow: Int = (oyLo &* g.strideH &+ yOff) &* inWidth
            let srcStart: Int = ci &* plane &+ firstRow &+ xOff
            var src = input + srcStart
            let blockStart: Int = row &* cols
            var block = output + blockStart
            for _ in 0..<batch {
                // Zero the whole block once when any of it is padding, then copy the inside:
                // rows are short (7–28 values), so per-row library calls would dominate.
                if padded { zeroFill(block, ohw) }
                var srow = src, dst = block + oyLo &* ow
                for _ in oyLo..<oyHi {
                    copyStrided(from: srow, stride: strideW, to: dst, oxLo, oxHi)
                    srow += rowStep
                    dst += ow
                }
                src += inChannels &* plane
                block += ohw
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
    let inWidth = g.inWidth, strideW = g.strideW
    // Each channel's rows write only that channel, and each image's columns only that image, so
    // channels run in parallel without races — or images, when there are fewer channels than
    // threads (a one-channel output layer).
    func fold(_ channels: Range<Int>, _ images: Range<Int>) {
        for ci in channels {
            for n in images { zeroFill(output + (n * g.inChannels + ci) * plane, plane) }
            for k in 0..<kk {
                let ky = k / g.kernelWidth, kx = k % g.kernelWidth
                let row = ci * kk + k
                let (xOff, oxLo, oxHi) = g.validColumns(kx)
                let (yOff, oyLo, oyHi) = g.validRows(ky)
                let rowStep = g.strideH &* inWidth, ohw = oh &* ow, imageStep = g.inChannels &* plane
                let firstRow: Int = (oyLo &* g.strideH &+ yOff) &* inWidth
                let dstStart: Int = ci &* plane &+ firstRow &+ xOff &+ images.lowerBound &* imageStep
                let blockStart: Int = row &* cols &+ oyLo &* ow &+ images.lowerBound &* ohw
                var dstImage = output + dstStart
                var block = columns + blockStart
                for _ in images {
                    var drow = dstImage, srow = block
                    for _ in oyLo..<oyHi {
                        addStrided(from: srow, to: drow, stride: strideW, oxLo, oxHi)
                        drow += rowStep
                        srow += ow
                    }
                    dstImage += imageStep
                    block += ohw
                }
            }
        }
    }
    if g.inChannels < Parallel.threadCount && batch > 1 {
        Parallel.forEachChunk(batch, minChunk: max(1, 16384 / max(1, kk * oh * ow))) { _, images in fold(0..<g.inChannels, images) }
    } else {
        Parallel.forEachChunk(g.inChannels, minChunk: 1) { _, channels in fold(channels, 0..<batch) }
    }
}

/// dst[ox] = src[ox·stride] for ox in lo..<hi, without library calls (the runs are short).
@inline(__always)
func copyStrided(from src: UnsafePointer<Float>, stride: Int, to dst: UnsafeMutablePointer<Float>, _ lo: Int, _ hi: Int) {
    var ox = lo
    switch stride {
    case 1:
        while ox + 8 <= hi {
            UnsafeMutableRawPointer(dst + ox).storeBytes(of: UnsafeRawPointer(src + ox).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            ox += 8
        }
        while ox < hi { dst[ox] = src[ox]; ox += 1 }
    case 2:
        while ox + 4 <= hi {
            let s2 = src + (2 &* ox), d = dst + ox
            d[0] = s2[0]; d[1] = s2[2]; d[2] = s2[4]; d[3] = s2[6]
            ox &+= 4
        }
        while ox < hi { dst[ox] = src[2 * ox]; ox += 1 }
    default:
        while ox < hi { dst[ox] = src[ox * stride]; ox += 1 }
    }
}

/// dst[ox·stride] += src[ox] for ox in lo..<hi (col2im's scatter-add).
@inline(__always)
func addStrided(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, stride: Int, _ lo: Int, _ hi: Int) {
    var ox = lo
    switch stride {
    case 1:
        while ox + 8 <= hi {
            let a = UnsafeRawPointer(dst + ox).loadUnaligned(as: SIMD8<Float>.self) + UnsafeRawPointer(src + ox).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dst + ox).storeBytes(of: a, as: SIMD8<Float>.self)
            ox += 8
        }
        while ox < hi { dst[ox] += src[ox]; ox += 1 }
    case 2:
        while ox + 4 <= hi {
            let d2 = dst + (2 &* ox), s = src + ox
            d2[0] += s[0]; d2[2] += s[1]; d2[4] += s[2]; d2[6] += s[3]
            ox &+= 4
        }
        while ox < hi { dst[2 * ox] += src[ox]; ox += 1 }
    default:
        while ox < hi { dst[ox * stride] += src[ox]; ox += 1 }
    }
}

/// Zeroes `count` floats; short blocks without a `memset` call.
@inline(__always)
func zeroFill(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
    if count >= 256 { p.update(repeating: 0, count: count); return }
    var i = 0
    while i + 8 <= count { UnsafeMutableRawPointer(p + i).storeBytes(of: SIMD8<Float>(), as: SIMD8<Float>.self); i += 8 }
    while i < count { p[i] = 0; i += 1 }
}

extension Conv2DGeometry {
    /// For kernel row `ky`: the input row offset `iy = oy·s + yOff`, and the output rows
    /// `oyLo..<oyHi` whose input row lies inside the image.
    @inline(__always)
    func validRows(_ ky: Int) -> (yOff: Int, lo: Int, hi: Int) {
        let yOff = ky * dilationH - padH
        let lo = min(outHeight, max(0, ceilDiv(-yOff, strideH)))
        return (yOff, lo, max(lo, min(outHeight, ceilDiv(inHeight - yOff, strideH))))
    }

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
