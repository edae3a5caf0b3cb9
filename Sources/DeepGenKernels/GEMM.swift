import Dispatch

/// Row-major single-precision GEMM: `C = alpha * op(A) * op(B) + beta * C`.
///
/// `op(A)` is `M×K`: `A` is stored `M×K` with row stride `lda`, or `K×M` when `transA`.
/// `op(B)` is `K×N`: `B` is stored `K×N` with row stride `ldb`, or `N×K` when `transB`.
/// With `beta == 0`, `C` is not read (NaNs in it do not propagate). With `alpha == 0` or `K == 0`,
/// `A` and `B` are not read.
///
/// Shapes with `M ≤ 16` or `N ≤ 16` take a thin path (dot products or row updates, no panel
/// packing); the rest go through a packed, cache-blocked GEMM with an 8×32 AVX-512 register
/// tile. Problems of about 1 MFLOP or more (less for matrix-vector products) use up to
/// `Parallel.threadCount` threads;
/// the result for a given element does not depend on the thread count.
///
/// - Parameters:
///   - transA: `A` is stored transposed (`K×M`).
///   - transB: `B` is stored transposed (`N×K`).
///   - m: Rows of `op(A)` and `C`.
///   - n: Columns of `op(B)` and `C`.
///   - k: Columns of `op(A)`, rows of `op(B)`.
///   - lda, ldb, ldc: Row strides (in elements) of `A`, `B`, `C` as stored.
///   - epilogue: Called once for every finished stretch of a row of C, while it is still in
///     cache (see ``GEMMEpilogue``).
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue? = nil
) {
    require(m >= 0 && n >= 0 && k >= 0, "[sgemm] negative size: m=\(m) n=\(n) k=\(k)")
    require(
        ldc >= n && lda >= (transA ? m : k) && ldb >= (transB ? k : n),
        "[sgemm] leading dimension too small: m=\(m) n=\(n) k=\(k) lda=\(lda) ldb=\(ldb) ldc=\(ldc)")
    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
        sgemmScale(m: m, n: n, beta: beta, c: c, ldc: ldc)
        epilogue?.finish(rows: 0..<m, columns: 0..<n, c: c, ldc: ldc)
        return
    }
    let flops = 2 * m * n * k
    if m <= sgemmThinLimit || n <= sgemmThinLimit {
        let minFlops = (m == 1 || n == 1) ? sgemmThinMinParallelFlops : sgemmMinParallelFlops
        let threads = flops >= minFlops ? Parallel.threadCount : 1
        sgemmThin(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
            beta: beta, c: c, ldc: ldc, threads: threads)
        // The thin paths' C has at most 16 rows or 16 columns: one pass after them is cheap.
        epilogue?.finish(rows: 0..<m, columns: 0..<n, c: c, ldc: ldc)
    } else {
        let threads = flops >= sgemmMinParallelFlops ? Parallel.threadCount : 1
        sgemmBlockedParallel(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
            beta: beta, c: c, ldc: ldc, threads: threads, epilogue: epilogue)
    }
}

/// Work on C's finished values, done by the GEMM while they are in cache instead of in another
/// pass over memory: a layer's bias and activation. `apply(row, column, count)` gets `count`
/// consecutive values of one row of C starting at `row`, which is column `column` of C; each value
/// reaches it exactly once, after its last K slice, from whichever thread computed it.
public struct GEMMEpilogue: @unchecked Sendable {
    public let apply: (_ row: UnsafeMutablePointer<Float>, _ column: Int, _ count: Int) -> Void

    public init(_ apply: @escaping (_ row: UnsafeMutablePointer<Float>, _ column: Int, _ count: Int) -> Void) {
        self.apply = apply
    }

    /// Applies to the block `rows × columns` of C (columns counted from `c`'s first).
    @inline(__always)
    func finish(rows: Range<Int>, columns: Range<Int>, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if columns.isEmpty { return }
        for i in rows { apply(c + i * ldc + columns.lowerBound, columns.lowerBound, columns.count) }
    }

    /// The same work for a GEMM over C's columns from `offset` on.
    func shifted(by offset: Int) -> GEMMEpilogue {
        offset == 0 ? self : GEMMEpilogue { row, column, count in self.apply(row, column + offset, count) }
    }
}

/// Blocked-path problems below this many floating-point operations run on the calling thread only.
@usableFromInline let sgemmMinParallelFlops = 1_000_000

/// The same for matrix-vector products (`M == 1` or `N == 1`), which are bound by memory traffic
/// rather than arithmetic (64×6272×1 is 0.8 MFLOP but streams 1.6 MB), so splitting pays earlier.
@usableFromInline let sgemmThinMinParallelFlops = 256 * 1024

/// `M` or `N` at or below this take the thin path.
@usableFromInline let sgemmThinLimit = 16

/// When the blocked GEMM reads A in place instead of packing it (measured on Zen 5, one thread):
///
/// * A stored `M×K` (rows contiguous in K): always. Each 8-row slice of A is read once per
///   K slice and then reused from L1 across the B micro-panels, so packing only adds a copy:
///   in place is 2–6% faster at 64×784×256 … 2048³ and 18% at 3136×288×64.
/// * A stored `K×M`: only for column panels up to `transposedMaxN` wide. In place, each k step of
///   a tile touches a new cache line `lda` floats away, which thrashes L1 sets for power-of-two
///   `lda` (1024³: 191 vs 240 GFLOP/s packed); for narrow N the copy costs more than that
///   (3136×288×64: 259 vs 211).
enum GEMMDirectA {
    nonisolated(unsafe) static var transposedMaxN = 128
    /// Tests turn this off to run the packed-A path on every shape (both give identical results).
    nonisolated(unsafe) static var enabled = true

    @inline(__always)
    static func applies(transA: Bool, nc: Int) -> Bool {
        enabled && (!transA || nc <= transposedMaxN)
    }
}

/// `C = beta * C` (`C = 0` when `beta == 0`, without reading it).
func sgemmScale(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if beta == 1 { return }
    for i in 0..<m {
        let ci = c + i * ldc
        if beta == 0 {
            ci.update(repeating: 0, count: n)
        } else {
            for j in 0..<n { ci[j] *= beta }
        }
    }
}

/// Splits C into `threads` row or column strips aligned to the register tile and runs the
/// blocked GEMM on each strip with its own packing buffers.
func sgemmBlockedParallel(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int,
    implicitB: ConvolutionColumns? = nil, epilogue: GEMMEpilogue? = nil
) {
    let tilesM = (m + gemmMR - 1) / gemmMR, tilesN = (n + gemmNR - 1) / gemmNR
    if threads <= 1 || (tilesM < 2 && tilesN < 2) {
        sgemmBlocked(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
            beta: beta, c: c, ldc: ldc, implicitB: implicitB, epilogue: epilogue)
        return
    }
    // Estimated per-thread cost of each split: its share of the (tile-padded) multiply plus its
    // packing work (a row split packs all of B in every thread, a column split all of A unless A
    // is read in place).
    let packCost = 32  // packing one element costs roughly this many flops of compute time
    let tM = min(threads, tilesM), tN = min(threads, tilesN)
    let rowsPer = (tilesM + tM - 1) / tM * gemmMR, colsPer = (tilesN + tN - 1) / tN * gemmNR
    let costM = 2 * rowsPer * n * k + packCost * (k * n + rowsPer * k)
    let aPackedN = GEMMDirectA.applies(transA: transA, nc: min(colsPer, GEMMBlocking.current.nc)) ? 0 : m * k
    let costN = 2 * colsPer * m * k + packCost * (aPackedN + colsPer * k)
    if costM <= costN {
        Parallel.forEachChunk(tilesM, chunks: tM) { _, tiles in
            let i0 = tiles.lowerBound * gemmMR, i1 = min(m, tiles.upperBound * gemmMR)
            sgemmBlocked(
                transA: transA, transB: transB, m: i1 - i0, n: n, k: k, alpha: alpha,
                a: transA ? a + i0 : a + i0 * lda, lda: lda, b: b, ldb: ldb,
                beta: beta, c: c + i0 * ldc, ldc: ldc, implicitB: implicitB, epilogue: epilogue)
        }
    } else {
        Parallel.forEachChunk(tilesN, chunks: tN) { _, tiles in
            let j0 = tiles.lowerBound * gemmNR, j1 = min(n, tiles.upperBound * gemmNR)
            sgemmBlocked(
                transA: transA, transB: transB, m: m, n: j1 - j0, k: k, alpha: alpha,
                a: a, lda: lda, b: transB ? b + j0 * ldb : b + j0, ldb: ldb,
                beta: beta, c: c + j0, ldc: ldc, implicitB: implicitB?.shifted(by: j0),
                epilogue: epilogue?.shifted(by: j0))
        }
    }
}

/// Single-threaded blocked GEMM (BLIS loop order): for each `NC` column panel and `KC` slice,
/// pack the `KC×NC` B panel, then for each `MC` row block pack the `MC×KC` A block and run the
/// macro-kernel — or, where ``GEMMDirectA`` says so, run the macro-kernel over all rows reading A
/// in place. K slices after the first accumulate into C (`beta = 1`).
///
/// `prepackedB`, when given, is all of op(B) already packed by `sgemmPackAllB` (one block: it
/// needs `sgemmFitsOneBlock(k:n:)`), for callers that multiply many A by one B. `epilogue` runs
/// on each block of C after its last K slice.
func sgemmBlocked(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, implicitB: ConvolutionColumns? = nil,
    prepackedB: UnsafePointer<Float>? = nil, epilogue: GEMMEpilogue? = nil
) {
    let blk = GEMMBlocking.current
    require(prepackedB == nil || sgemmFitsOneBlock(k: k, n: n), "[sgemm] prepacked B must be one block")
    GEMMScratch.with(capacityA: blk.mc * blk.kc, capacityB: blk.kc * blk.nc) { s in
        let packedB = prepackedB.map { UnsafeMutablePointer(mutating: $0) } ?? s.packedB
        var jc = 0
        while jc < n {
            let nc = min(blk.nc, n - jc)
            var pc = 0
            while pc < k {
                let kc = min(blk.kc, k - pc)
                if prepackedB != nil {
                    // Already packed.
                } else if let implicitB {
                    implicitB.pack(rows: pc, kc, columns: jc, nc, into: s.packedB)
                } else {
                    sgemmPackB(
                        transB: transB, b: transB ? b + jc * ldb + pc : b + pc * ldb + jc, ldb: ldb,
                        kc: kc, nc: nc, dst: s.packedB)
                }
                let betaHere = pc == 0 ? beta : 1
                let finish = pc + kc == k ? epilogue?.shifted(by: jc) : nil
                if GEMMDirectA.applies(transA: transA, nc: nc) {
                    sgemmMacroKernelDirectA(
                        mc: m, nc: nc, kc: kc, a: transA ? a + pc * lda : a + pc,
                        rs: transA ? 1 : lda, ps: transA ? lda : 1, packedB: packedB,
                        c: c + jc, ldc: ldc, alpha: alpha, beta: betaHere, epilogue: finish)
                    pc += kc
                    continue
                }
                var ic = 0
                while ic < m {
                    let mc = min(blk.mc, m - ic)
                    sgemmPackA(
                        transA: transA, a: transA ? a + pc * lda + ic : a + ic * lda + pc, lda: lda,
                        mc: mc, kc: kc, dst: s.packedA)
                    sgemmMacroKernel(
                        mc: mc, nc: nc, kc: kc, packedA: s.packedA, packedB: packedB,
                        c: c + ic * ldc + jc, ldc: ldc, alpha: alpha, beta: betaHere)
                    finish?.finish(rows: 0..<mc, columns: 0..<nc, c: c + ic * ldc + jc, ldc: ldc)
                    ic += mc
                }
                pc += kc
            }
            jc += nc
        }
    }
}

/// Whether op(B) of `k × n` is one packing block, so it can be packed once by `sgemmPackAllB`.
func sgemmFitsOneBlock(k: Int, n: Int) -> Bool {
    k <= GEMMBlocking.current.kc && n <= GEMMBlocking.current.nc
}

/// Floats `sgemmPackAllB` writes for a `k × n` op(B).
func sgemmPackedBCount(k: Int, n: Int) -> Int { (n + gemmNR - 1) / gemmNR * gemmNR * k }

/// Packs all of op(B) (`k × n`, one block) as `sgemmBlocked` would, for its `prepackedB`.
func sgemmPackAllB(transB: Bool, b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int, dst: UnsafeMutablePointer<Float>) {
    require(sgemmFitsOneBlock(k: k, n: n), "[sgemm] B of \(k)×\(n) is more than one block")
    sgemmPackB(transB: transB, b: b, ldb: ldb, kc: k, nc: n, dst: dst)
}
