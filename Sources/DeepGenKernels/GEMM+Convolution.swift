import CDeepGenVector

/// `C[m, N·OH·OW] = A[m, Cin·kh·kw] · im2col(input)` without the column matrix: the blocked
/// GEMM packs each `KC×NC` B panel straight from the images (an implicit GEMM).
///
/// The column matrix of a convolution is `kh·kw` times its input (12.8 MB for one 32→64 4×4
/// layer of the conv VAE at batch 128): writing it and reading it back to pack it cost as much
/// as the multiply. Packing from the image reads the small input (it stays in cache) and writes
/// only the panel the GEMM is about to use. Results are identical to `im2col` + `sgemm`: the
/// same products are summed in the same order.
public func sgemmConvolution(
    m: Int, a: UnsafePointer<Float>, lda: Int, input: UnsafePointer<Float>, geometry g: Conv2DGeometry,
    batch: Int, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let n = batch * g.outHeight * g.outWidth, k = g.patchSize
    require(m >= 0 && lda >= k && ldc >= n, "[sgemmConvolution] m=\(m) lda=\(lda) ldc=\(ldc) for \(g) batch \(batch)")
    if m == 0 || n == 0 { return }
    if k == 0 { sgemmScale(m: m, n: n, beta: 0, c: c, ldc: ldc); return }
    if m <= sgemmThinLimit || n <= sgemmThinLimit || batch * g.inChannels * g.inHeight * g.inWidth >= Int(Int32.max) {
        // The thin kernels read B in place: give them the column matrix (also when 32-bit
        // offsets into the input would not do).
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        defer { columns.deallocate() }
        im2col(input, geometry: g, batch: batch, output: columns)
        sgemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: lda, b: columns, ldb: n, c: c, ldc: ldc)
        return
    }
    let threads = 2 * m * n * k >= sgemmMinParallelFlops ? Parallel.threadCount : 1
    // `b` is unused when `implicitB` is given.
    sgemmBlockedParallel(
        transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: input, ldb: n,
        beta: 0, c: c, ldc: ldc, threads: threads,
        implicitB: ConvolutionColumns(input: input, geometry: g, batch: batch))
}

/// The column matrix of a convolution, as a source of packed B panels.
struct ConvolutionColumns {
    let input: UnsafePointer<Float>
    let geometry: Conv2DGeometry
    let batch: Int
    /// Column of the full matrix that this view's column 0 is (a thread's share of the columns).
    var columnOffset = 0

    func shifted(by columns: Int) -> ConvolutionColumns {
        var view = self
        view.columnOffset += columns
        return view
    }

    /// Packs rows `pc..<pc+kc`, columns `jc..<jc+nc` in ``sgemmPackB(transB:b:ldb:kc:nc:dst:)``'s
    /// layout: micro-panels of `gemmNR` columns, `dst[panel*NR*kc + p*NR + j]`, missing columns zero.
    func pack(
        rows pc: Int, _ kc: Int, columns jc: Int, _ nc: Int, into dst: UnsafeMutablePointer<Float>,
        tileColumns nr: Int = gemmNR
    ) {
        let g = geometry
        let ow = g.outWidth, ohw = g.outHeight * ow, imageStride = g.inChannels * g.inHeight * g.inWidth
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 3 * nr) { table in
            let base = table.baseAddress!, iy0 = base + nr, ix0 = base + 2 * nr
            var j = 0
            while j < nc {
                // Where each of the panel's output pixels reads its (ci = 0, ky = 0, kx = 0) tap.
                for t in 0..<nr {
                    let col = columnOffset + jc + j + t
                    if j + t >= nc {
                        base[t] = 0; iy0[t] = Int32.min / 2; ix0[t] = 0
                        continue
                    }
                    let image = col / ohw, rem = col - image * ohw
                    let oy = rem / ow, ox = rem - oy * ow
                    let y0 = oy * g.strideH - g.padH, x0 = ox * g.strideW - g.padW
                    iy0[t] = Int32(y0); ix0[t] = Int32(x0)
                    base[t] = Int32(image * imageStride + y0 * g.inWidth + x0)
                }
                deepgen_pack_convolution_panel(
                    input, base, iy0, ix0, Int32(pc), Int32(kc), Int32(g.kernelHeight), Int32(g.kernelWidth),
                    Int32(g.dilationH), Int32(g.dilationW), Int32(g.inHeight * g.inWidth), Int32(g.inHeight),
                    Int32(g.inWidth), Int32(nr), dst + j * kc)
                j += nr
            }
        }
    }
}
