// The thin-shape path of sgemm (M ≤ 16 or N ≤ 16: matrix-vector products, a few output rows or
// columns). Packing whole panels would cost as much as the multiply here, so two kernels work on
// the operands as stored:
//
// * dot kernel: C(x, y) = dot(X_x, Y_y) where X and Y rows are contiguous along K (vectorized
//   along K, 4×4 or 8×1 dot products at a time). Used when op(A) rows and op(B) columns are
//   contiguous (or cheaply made so: a ≤16-row operand is copied transposed, K×16 at most).
// * row-update kernel: Out(r, l) = Σ_p S(r, p) · V(p, l) with V rows contiguous along the long
//   dimension l (vectorized along l, 4 rows × 64 columns at a time). Used when the long operand
//   is stored with the long dimension contiguous.

/// Dispatches a thin problem to the dot or row-update kernel; see the file comment.
func sgemmThin(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int
) {
    if n <= sgemmThinLimit && (!transA || m <= sgemmThinLimit && transB) {
        // X = op(A) rows, Y = op(B) columns. op(B) columns are B's rows when transB; otherwise copy.
        withContiguousRows(
            of: b, rows: n, cols: k, rowStride: 1, colStride: ldb, contiguous: transB, ld: ldb
        ) { y, ldy in
            withContiguousRows(
                of: a, rows: m, cols: k, rowStride: 1, colStride: lda, contiguous: !transA, ld: lda
            ) { x, ldx in
                sgemmThinDot(
                    nx: m, ny: n, k: k, alpha: alpha, x: x, ldx: ldx, y: y, ldy: ldy, beta: beta,
                    c: c, csx: ldc, csy: 1, threads: threads)
            }
        }
    } else if n <= sgemmThinLimit {
        // transA: A is K×M with M contiguous. Out(r = j, l = i) = Σ_p op(B)(p, j) · A[p, i].
        sgemmThinRows(
            r: n, l: m, k: k, alpha: alpha, s: b, srs: transB ? ldb : 1, sps: transB ? 1 : ldb,
            v: a, ldv: lda, beta: beta, out: c, ors: 1, ols: ldc, threads: threads)
    } else if !transB {
        // m ≤ 16, B is K×N with N contiguous. Out(r = i, l = j) = Σ_p op(A)(i, p) · B[p, j].
        sgemmThinRows(
            r: m, l: n, k: k, alpha: alpha, s: a, srs: transA ? 1 : lda, sps: transA ? lda : 1,
            v: b, ldv: ldb, beta: beta, out: c, ors: ldc, ols: 1, threads: threads)
    } else {
        // m ≤ 16, transB: B's rows are op(B)'s columns; op(A) rows are copied if A is transposed.
        withContiguousRows(
            of: a, rows: m, cols: k, rowStride: 1, colStride: lda, contiguous: !transA, ld: lda
        ) { x, ldx in
            sgemmThinDot(
                nx: m, ny: n, k: k, alpha: alpha, x: x, ldx: ldx, y: b, ldy: ldb, beta: beta,
                c: c, csx: ldc, csy: 1, threads: threads)
        }
    }
}

/// Gives `body` a pointer to `rows` contiguous rows of length `cols`: the source itself when
/// `contiguous` (row stride `ld`) or when its elements are already adjacent (`colStride == 1`,
/// e.g. a single column of a `K×1` matrix), else a copy where element `(r, p)` is read from
/// `src[r*rowStride + p*colStride]`. Only called with `rows ≤ 16`, so the copy is at most 16×K;
/// it goes into a pooled scratch buffer when it fits.
@inline(__always)
private func withContiguousRows(
    of src: UnsafePointer<Float>, rows: Int, cols: Int, rowStride: Int, colStride: Int,
    contiguous: Bool, ld: Int, _ body: (UnsafePointer<Float>, Int) -> Void
) {
    if contiguous { body(src, ld); return }
    if colStride == 1 { body(src, rowStride); return }
    @inline(__always) func fill(_ buf: UnsafeMutablePointer<Float>) {
        // Read in source order (p outer) so the strided source is walked row by row.
        for p in 0..<cols {
            let s = src + p * colStride
            for r in 0..<rows { buf[r * cols + p] = s[r * rowStride] }
        }
        body(buf, cols)
    }
    let count = rows * cols
    let blk = GEMMBlocking.current
    if count <= blk.kc * blk.nc {
        GEMMScratch.with(capacityA: blk.mc * blk.kc, capacityB: blk.kc * blk.nc) { fill($0.packedB) }
    } else {
        let buf = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buf.deallocate() }
        fill(buf)
    }
}

// MARK: - Dot kernel

/// `C(x, y) = alpha * dot(X_x, Y_y) + beta * C(x, y)` for `x < nx`, `y < ny`, where `X_x` starts
/// at `x + x*ldx` (K contiguous floats), likewise `Y_y`, and `C(x, y)` is at `c[x*csx + y*csy]`.
func sgemmThinDot(
    nx: Int, ny: Int, k: Int, alpha: Float, x: UnsafePointer<Float>, ldx: Int,
    y: UnsafePointer<Float>, ldy: Int, beta: Float, c: UnsafeMutablePointer<Float>,
    csx: Int, csy: Int, threads: Int
) {
    // Make X the longer side so groups and threads split it.
    if ny > nx {
        sgemmThinDot(
            nx: ny, ny: nx, k: k, alpha: alpha, x: y, ldx: ldy, y: x, ldy: ldx, beta: beta, c: c,
            csx: csy, csy: csx, threads: threads)
        return
    }
    let gx = ny == 1 ? 8 : 4
    let groups = (nx + gx - 1) / gx
    Parallel.forEachChunk(groups, chunks: threads) { _, range in
        var sums = (Vec16(), Vec16())  // 16 results of one block, as storage
        withUnsafeMutableBytes(of: &sums) { raw in
            let out = raw.baseAddress!.assumingMemoryBound(to: Float.self)
            for g in range {
                let x0 = g * gx, rx = min(gx, nx - x0)
                // Rows past the end repeat the last valid row; their sums are dropped.
                @inline(__always) func xr(_ i: Int) -> UnsafePointer<Float> { x + (x0 + min(i, rx - 1)) * ldx }
                if ny == 1 {
                    if gemmWideTile {
                        dot8x1(k, xr(0), xr(1), xr(2), xr(3), xr(4), xr(5), xr(6), xr(7), y, out)
                    } else {
                        for i in stride(from: 0, to: rx, by: 2) { dot2x1Halves(k, xr(i), xr(i + 1), y, out + i) }
                    }
                    for i in 0..<rx { thinUpdate(c + (x0 + i) * csx, out[i], alpha, beta) }
                } else {
                    var y0 = 0
                    while y0 < ny {
                        let ry = min(4, ny - y0)
                        @inline(__always) func yr(_ j: Int) -> UnsafePointer<Float> { y + (y0 + min(j, ry - 1)) * ldy }
                        if gemmWideTile {
                            dot4x4(k, xr(0), xr(1), xr(2), xr(3), yr(0), yr(1), yr(2), yr(3), out)
                        } else {
                            for i in 0..<rx { dot1x4Halves(k, xr(i), yr(0), yr(1), yr(2), yr(3), out + 4 * i) }
                        }
                        for i in 0..<rx {
                            for j in 0..<ry {
                                thinUpdate(c + (x0 + i) * csx + (y0 + j) * csy, out[i * 4 + j], alpha, beta)
                            }
                        }
                        y0 += 4
                    }
                }
            }
        }
    }
}

@inline(__always)
private func thinUpdate(_ c: UnsafeMutablePointer<Float>, _ v: Float, _ alpha: Float, _ beta: Float) {
    c.pointee = beta == 0 ? alpha * v : alpha * v + beta * c.pointee
}

/// Loads `count < 16` floats into the low lanes of a vector (the rest zero).
@inline(__always)
private func loadPartial(_ p: UnsafePointer<Float>, _ count: Int) -> Vec16 {
    PartialVector.load(p, count)
}

/// 16 dot products of 4 X rows with 4 Y rows, written to `out[i*4 + j]`.
@inline(never)
func dot4x4(
    _ k: Int, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
    _ x3: UnsafePointer<Float>, _ y0: UnsafePointer<Float>, _ y1: UnsafePointer<Float>,
    _ y2: UnsafePointer<Float>, _ y3: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>
) {
    var s00 = Vec16(), s01 = Vec16(), s02 = Vec16(), s03 = Vec16()
    var s10 = Vec16(), s11 = Vec16(), s12 = Vec16(), s13 = Vec16()
    var s20 = Vec16(), s21 = Vec16(), s22 = Vec16(), s23 = Vec16()
    var s30 = Vec16(), s31 = Vec16(), s32 = Vec16(), s33 = Vec16()
    @inline(__always) func step(_ a0: Vec16, _ a1: Vec16, _ a2: Vec16, _ a3: Vec16,
                                _ b0: Vec16, _ b1: Vec16, _ b2: Vec16, _ b3: Vec16) {
        s00 = s00.addingProduct(a0, b0); s01 = s01.addingProduct(a0, b1)
        s02 = s02.addingProduct(a0, b2); s03 = s03.addingProduct(a0, b3)
        s10 = s10.addingProduct(a1, b0); s11 = s11.addingProduct(a1, b1)
        s12 = s12.addingProduct(a1, b2); s13 = s13.addingProduct(a1, b3)
        s20 = s20.addingProduct(a2, b0); s21 = s21.addingProduct(a2, b1)
        s22 = s22.addingProduct(a2, b2); s23 = s23.addingProduct(a2, b3)
        s30 = s30.addingProduct(a3, b0); s31 = s31.addingProduct(a3, b1)
        s32 = s32.addingProduct(a3, b2); s33 = s33.addingProduct(a3, b3)
    }
    var p = 0
    while p + 16 <= k {
        step(load16(x0 + p), load16(x1 + p), load16(x2 + p), load16(x3 + p),
             load16(y0 + p), load16(y1 + p), load16(y2 + p), load16(y3 + p))
        p += 16
    }
    let rem = k - p
    if rem > 0 {
        step(loadPartial(x0 + p, rem), loadPartial(x1 + p, rem), loadPartial(x2 + p, rem),
             loadPartial(x3 + p, rem), loadPartial(y0 + p, rem), loadPartial(y1 + p, rem),
             loadPartial(y2 + p, rem), loadPartial(y3 + p, rem))
    }
    out[0] = s00.sum(); out[1] = s01.sum(); out[2] = s02.sum(); out[3] = s03.sum()
    out[4] = s10.sum(); out[5] = s11.sum(); out[6] = s12.sum(); out[7] = s13.sum()
    out[8] = s20.sum(); out[9] = s21.sum(); out[10] = s22.sum(); out[11] = s23.sum()
    out[12] = s30.sum(); out[13] = s31.sum(); out[14] = s32.sum(); out[15] = s33.sum()
}

/// 8 dot products of 8 X rows with one Y row (matrix-vector), written to `out[0..<8]`.
@inline(never)
func dot8x1(
    _ k: Int, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
    _ x3: UnsafePointer<Float>, _ x4: UnsafePointer<Float>, _ x5: UnsafePointer<Float>,
    _ x6: UnsafePointer<Float>, _ x7: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
    _ out: UnsafeMutablePointer<Float>
) {
    var s0 = Vec16(), s1 = Vec16(), s2 = Vec16(), s3 = Vec16()
    var s4 = Vec16(), s5 = Vec16(), s6 = Vec16(), s7 = Vec16()
    @inline(__always) func step(_ b: Vec16, _ a0: Vec16, _ a1: Vec16, _ a2: Vec16, _ a3: Vec16,
                                _ a4: Vec16, _ a5: Vec16, _ a6: Vec16, _ a7: Vec16) {
        s0 = s0.addingProduct(a0, b); s1 = s1.addingProduct(a1, b)
        s2 = s2.addingProduct(a2, b); s3 = s3.addingProduct(a3, b)
        s4 = s4.addingProduct(a4, b); s5 = s5.addingProduct(a5, b)
        s6 = s6.addingProduct(a6, b); s7 = s7.addingProduct(a7, b)
    }
    var t0 = Vec16(), t1 = Vec16(), t2 = Vec16(), t3 = Vec16()
    var t4 = Vec16(), t5 = Vec16(), t6 = Vec16(), t7 = Vec16()
    var p = 0
    // Two independent sets of accumulators (even and odd 16-element steps) keep more loads in flight.
    while p + 32 <= k {
        step(load16(y + p), load16(x0 + p), load16(x1 + p), load16(x2 + p), load16(x3 + p),
             load16(x4 + p), load16(x5 + p), load16(x6 + p), load16(x7 + p))
        let q = p + 16, b = load16(y + q)
        t0 = t0.addingProduct(load16(x0 + q), b); t1 = t1.addingProduct(load16(x1 + q), b)
        t2 = t2.addingProduct(load16(x2 + q), b); t3 = t3.addingProduct(load16(x3 + q), b)
        t4 = t4.addingProduct(load16(x4 + q), b); t5 = t5.addingProduct(load16(x5 + q), b)
        t6 = t6.addingProduct(load16(x6 + q), b); t7 = t7.addingProduct(load16(x7 + q), b)
        p += 32
    }
    s0 += t0; s1 += t1; s2 += t2; s3 += t3; s4 += t4; s5 += t5; s6 += t6; s7 += t7
    if p + 16 <= k {
        step(load16(y + p), load16(x0 + p), load16(x1 + p), load16(x2 + p), load16(x3 + p),
             load16(x4 + p), load16(x5 + p), load16(x6 + p), load16(x7 + p))
        p += 16
    }
    let rem = k - p
    if rem > 0 {
        step(loadPartial(y + p, rem), loadPartial(x0 + p, rem), loadPartial(x1 + p, rem),
             loadPartial(x2 + p, rem), loadPartial(x3 + p, rem), loadPartial(x4 + p, rem),
             loadPartial(x5 + p, rem), loadPartial(x6 + p, rem), loadPartial(x7 + p, rem))
    }
    out[0] = s0.sum(); out[1] = s1.sum(); out[2] = s2.sum(); out[3] = s3.sum()
    out[4] = s4.sum(); out[5] = s5.sum(); out[6] = s6.sum(); out[7] = s7.sum()
}

/// ``dot4x4``'s sums on 16-register targets (see ``gemmWideTile``), bit for bit: one X row
/// against four Y rows, each of ``dot4x4``'s 16-lane accumulators held as two 8-lane halves (8
/// accumulators; ``dot4x4``'s 16 would spill). Same products, same order, same final lane sum, so
/// the thin path gives the same results on AVX2 and AVX-512 machines.
@inline(never)
func dot1x4Halves(
    _ k: Int, _ x: UnsafePointer<Float>, _ y0: UnsafePointer<Float>, _ y1: UnsafePointer<Float>,
    _ y2: UnsafePointer<Float>, _ y3: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>
) {
    typealias V = SIMD8<Float>
    var s0 = (V(), V()), s1 = (V(), V()), s2 = (V(), V()), s3 = (V(), V())
    @inline(__always) func step(_ xl: V, _ xh: V, _ ys: (V, V, V, V, V, V, V, V)) {
        s0 = (s0.0.addingProduct(xl, ys.0), s0.1.addingProduct(xh, ys.1))
        s1 = (s1.0.addingProduct(xl, ys.2), s1.1.addingProduct(xh, ys.3))
        s2 = (s2.0.addingProduct(xl, ys.4), s2.1.addingProduct(xh, ys.5))
        s3 = (s3.0.addingProduct(xl, ys.6), s3.1.addingProduct(xh, ys.7))
    }
    var p = 0
    while p + 16 <= k {
        step(load8(x + p), load8(x + p + 8),
             (load8(y0 + p), load8(y0 + p + 8), load8(y1 + p), load8(y1 + p + 8),
              load8(y2 + p), load8(y2 + p + 8), load8(y3 + p), load8(y3 + p + 8)))
        p += 16
    }
    let rem = k - p
    if rem > 0 {
        let lo = min(rem, 8), hi = rem - lo
        @inline(__always) func l(_ q: UnsafePointer<Float>) -> V { loadPartial8(q + p, lo) }
        @inline(__always) func h(_ q: UnsafePointer<Float>) -> V { loadPartial8(q + p + 8, hi) }
        step(l(x), h(x), (l(y0), h(y0), l(y1), h(y1), l(y2), h(y2), l(y3), h(y3)))
    }
    out[0] = SIMD16(lowHalf: s0.0, highHalf: s0.1).sum(); out[1] = SIMD16(lowHalf: s1.0, highHalf: s1.1).sum()
    out[2] = SIMD16(lowHalf: s2.0, highHalf: s2.1).sum(); out[3] = SIMD16(lowHalf: s3.0, highHalf: s3.1).sum()
}

/// ``dot8x1``'s sums on 16-register targets, bit for bit, for two X rows: each row's even and odd
/// 16-lane accumulators as 8-lane halves (8 accumulators).
@inline(never)
func dot2x1Halves(
    _ k: Int, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
    _ out: UnsafeMutablePointer<Float>
) {
    typealias V = SIMD8<Float>
    var s0 = (V(), V()), s1 = (V(), V()), t0 = (V(), V()), t1 = (V(), V())
    var p = 0
    while p + 32 <= k {
        var yl = load8(y + p), yh = load8(y + p + 8)
        s0 = (s0.0.addingProduct(load8(x0 + p), yl), s0.1.addingProduct(load8(x0 + p + 8), yh))
        s1 = (s1.0.addingProduct(load8(x1 + p), yl), s1.1.addingProduct(load8(x1 + p + 8), yh))
        let q = p + 16
        yl = load8(y + q); yh = load8(y + q + 8)
        t0 = (t0.0.addingProduct(load8(x0 + q), yl), t0.1.addingProduct(load8(x0 + q + 8), yh))
        t1 = (t1.0.addingProduct(load8(x1 + q), yl), t1.1.addingProduct(load8(x1 + q + 8), yh))
        p += 32
    }
    s0 = (s0.0 + t0.0, s0.1 + t0.1); s1 = (s1.0 + t1.0, s1.1 + t1.1)
    if p + 16 <= k {
        let yl = load8(y + p), yh = load8(y + p + 8)
        s0 = (s0.0.addingProduct(load8(x0 + p), yl), s0.1.addingProduct(load8(x0 + p + 8), yh))
        s1 = (s1.0.addingProduct(load8(x1 + p), yl), s1.1.addingProduct(load8(x1 + p + 8), yh))
        p += 16
    }
    let rem = k - p
    if rem > 0 {
        let lo = min(rem, 8), hi = rem - lo
        let yl = loadPartial8(y + p, lo), yh = loadPartial8(y + p + 8, hi)
        s0 = (s0.0.addingProduct(loadPartial8(x0 + p, lo), yl), s0.1.addingProduct(loadPartial8(x0 + p + 8, hi), yh))
        s1 = (s1.0.addingProduct(loadPartial8(x1 + p, lo), yl), s1.1.addingProduct(loadPartial8(x1 + p + 8, hi), yh))
    }
    out[0] = SIMD16(lowHalf: s0.0, highHalf: s0.1).sum()
    out[1] = SIMD16(lowHalf: s1.0, highHalf: s1.1).sum()
}

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Loads `count ≤ 8` floats into the low lanes of a vector (the rest zero).
@inline(__always)
private func loadPartial8(_ p: UnsafePointer<Float>, _ count: Int) -> SIMD8<Float> {
    PartialVector.load(p, count)
}

// MARK: - Row-update kernel

/// `Out(r, l) = alpha * Σ_p S(r, p) · V(p, l) + beta * Out(r, l)` for `r < rCount` (≤ 16),
/// `l < lCount`, with `S(r, p) = s[r*srs + p*sps]`, `V(p, l) = v[p*ldv + l]` (contiguous in l) and
/// `Out(r, l)` at `out[r*ors + l*ols]`. Threads split the l dimension in 64-column windows.
func sgemmThinRows(
    r rCount: Int, l lCount: Int, k: Int, alpha: Float, s: UnsafePointer<Float>, srs: Int, sps: Int,
    v: UnsafePointer<Float>, ldv: Int, beta: Float, out: UnsafeMutablePointer<Float>, ors: Int, ols: Int,
    threads: Int
) {
    let windows = (lCount + 63) / 64
    Parallel.forEachChunk(windows, chunks: threads) { _, range in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * 64) { tileBuf in
            let tile = tileBuf.baseAddress!
            for w in range {
                let l0 = w * 64, lw = min(64, lCount - l0)
                var r0 = 0
                while r0 < rCount {
                    let rr = min(4, rCount - r0)
                    @inline(__always) func sr(_ i: Int) -> UnsafePointer<Float> { s + (r0 + min(i, rr - 1)) * srs }
                    if lw == 64 && gemmWideTile {
                        rowUpdate4x64(k, sr(0), sr(1), sr(2), sr(3), sps, v + l0, ldv, tile)
                    } else {
                        // Also full windows on 16-register targets, where 4×64's accumulators spill.
                        var lv = 0
                        while lv < lw {
                            rowUpdate4x16(k, sr(0), sr(1), sr(2), sr(3), sps, v + l0 + lv, ldv, min(16, lw - lv),
                                          tile + lv, 64)
                            lv += 16
                        }
                    }
                    for i in 0..<rr {
                        thinWriteRow(tile + i * 64, count: lw, out: out + (r0 + i) * ors + l0 * ols,
                                     stride: ols, alpha: alpha, beta: beta)
                    }
                    r0 += 4
                }
            }
        }
    }
}

/// `out[l*stride] = alpha * t[l] + beta * out[l*stride]` for `l < count` (out not read if beta == 0).
@inline(__always)
private func thinWriteRow(
    _ t: UnsafePointer<Float>, count: Int, out: UnsafeMutablePointer<Float>, stride: Int, alpha: Float, beta: Float
) {
    var l = 0
    if stride == 1 {
        let va = Vec16(repeating: alpha), vb = Vec16(repeating: beta)
        while l + 16 <= count {
            if beta == 0 {
                store16(load16(t + l) * va, out + l)
            } else {
                store16((load16(t + l) * va).addingProduct(load16(out + l), vb), out + l)
            }
            l += 16
        }
    }
    while l < count {
        let o = out + l * stride
        o.pointee = beta == 0 ? alpha * t[l] : alpha * t[l] + beta * o.pointee
        l += 1
    }
}

/// Four S rows times a `K×64` window of V into `tile[i*64 + l]`.
@inline(never)
private func rowUpdate4x64(
    _ k: Int, _ s0: UnsafePointer<Float>, _ s1: UnsafePointer<Float>, _ s2: UnsafePointer<Float>,
    _ s3: UnsafePointer<Float>, _ sps: Int, _ v: UnsafePointer<Float>, _ ldv: Int,
    _ tile: UnsafeMutablePointer<Float>
) {
    var c00 = Vec16(), c01 = Vec16(), c02 = Vec16(), c03 = Vec16()
    var c10 = Vec16(), c11 = Vec16(), c12 = Vec16(), c13 = Vec16()
    var c20 = Vec16(), c21 = Vec16(), c22 = Vec16(), c23 = Vec16()
    var c30 = Vec16(), c31 = Vec16(), c32 = Vec16(), c33 = Vec16()
    var vp = v
    var so = 0
    for _ in 0..<k {
        let b0 = load16(vp), b1 = load16(vp + 16), b2 = load16(vp + 32), b3 = load16(vp + 48)
        var a = Vec16(repeating: s0[so])
        c00 = c00.addingProduct(a, b0); c01 = c01.addingProduct(a, b1)
        c02 = c02.addingProduct(a, b2); c03 = c03.addingProduct(a, b3)
        a = Vec16(repeating: s1[so])
        c10 = c10.addingProduct(a, b0); c11 = c11.addingProduct(a, b1)
        c12 = c12.addingProduct(a, b2); c13 = c13.addingProduct(a, b3)
        a = Vec16(repeating: s2[so])
        c20 = c20.addingProduct(a, b0); c21 = c21.addingProduct(a, b1)
        c22 = c22.addingProduct(a, b2); c23 = c23.addingProduct(a, b3)
        a = Vec16(repeating: s3[so])
        c30 = c30.addingProduct(a, b0); c31 = c31.addingProduct(a, b1)
        c32 = c32.addingProduct(a, b2); c33 = c33.addingProduct(a, b3)
        vp += ldv; so += sps
    }
    store16(c00, tile); store16(c01, tile + 16); store16(c02, tile + 32); store16(c03, tile + 48)
    store16(c10, tile + 64); store16(c11, tile + 80); store16(c12, tile + 96); store16(c13, tile + 112)
    store16(c20, tile + 128); store16(c21, tile + 144); store16(c22, tile + 160); store16(c23, tile + 176)
    store16(c30, tile + 192); store16(c31, tile + 208); store16(c32, tile + 224); store16(c33, tile + 240)
}

/// Four S rows times a `K×width` (≤ 16) window of V into `tile[i*ldt + l]`.
@inline(never)
private func rowUpdate4x16(
    _ k: Int, _ s0: UnsafePointer<Float>, _ s1: UnsafePointer<Float>, _ s2: UnsafePointer<Float>,
    _ s3: UnsafePointer<Float>, _ sps: Int, _ v: UnsafePointer<Float>, _ ldv: Int, _ width: Int,
    _ tile: UnsafeMutablePointer<Float>, _ ldt: Int
) {
    var c0 = Vec16(), c1 = Vec16(), c2 = Vec16(), c3 = Vec16()
    var vp = v
    var so = 0
    for _ in 0..<k {
        let b = width == 16 ? load16(vp) : loadPartial(vp, width)
        c0 = c0.addingProduct(Vec16(repeating: s0[so]), b)
        c1 = c1.addingProduct(Vec16(repeating: s1[so]), b)
        c2 = c2.addingProduct(Vec16(repeating: s2[so]), b)
        c3 = c3.addingProduct(Vec16(repeating: s3[so]), b)
        vp += ldv; so += sps
    }
    // Only `width` lanes are valid; the tile row has room for 16 from `tile`.
    store16(c0, tile); store16(c1, tile + ldt); store16(c2, tile + 2 * ldt); store16(c3, tile + 3 * ldt)
}
