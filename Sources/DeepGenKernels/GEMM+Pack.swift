// Packing of A blocks and B panels into the contiguous, zero-padded layouts the micro-kernel
// reads, and the per-thread scratch buffers they live in. All four transpose combinations are
// handled here: the rest of the blocked GEMM only ever sees packed panels.

import Foundation

/// Cache-blocking sizes, in elements, chosen by measurement on an AMD EPYC (Zen 5: 48 KiB L1d and
/// 1 MiB L2 per core, 32 MiB shared L3) with `deepgen-bench kernels` over
/// KC ∈ {192…1024}, MC ∈ {48…256}, NC ∈ {256…2048}: `MR×KC` A micro-panels (16 KiB) stay in L1, the
/// `MC×KC` A block (192 KiB) and each `KC×NR` B micro-panel (64 KiB) in L2, and the `KC×NC` B panel
/// (2 MiB) in L3. A long KC halves how often C is re-read compared with KC = 256 (+3–8% at ≥1024³).
/// The same sizes measured as well as any other on a Zen 3 (32 KiB L1d, 512 KiB L2) with the 6×16
/// tile (KC 192…512 and NC 512…2048 within the host's noise, KC = 128 25% slower), and the same
/// KC keeps the blocked GEMM's sums in the same order for both tiles: equal results on both CPUs.
/// On an Intel Xeon (family 6 model 207: 48 KiB L1d, 2 MiB L2 per core) the 2 MiB panel missed
/// L2, and its L3 served it too slowly (1024³ on one thread: 116 GFLOP/s, against 161 with NC =
/// 512 or 256): where half of L2 holds a panel of 512 columns or more, NC is that half
/// (``panelColumns(level2Bytes:kc:tileColumns:)``). NC does not change any element's sum.
/// `DEEPGEN_GEMM_BLOCKING="kc,mc,nc"` overrides them (for tuning only).
@usableFromInline struct GEMMBlocking {
    var kc: Int, mc: Int, nc: Int
    static let current: GEMMBlocking = {
        var blk = GEMMBlocking(kc: 512, mc: 96, nc: panelColumns(level2Bytes: level2CacheBytes, kc: 512))
        if let s = ProcessInfo.processInfo.environment["DEEPGEN_GEMM_BLOCKING"] {
            let v = s.split(separator: ",").compactMap { Int($0) }
            if v.count == 3, v.allSatisfy({ $0 > 0 }) {
                blk = GEMMBlocking(
                    kc: v[0], mc: (v[1] + gemmMR - 1) / gemmMR * gemmMR,
                    nc: (v[2] + gemmNR - 1) / gemmNR * gemmNR)
            }
        }
        return blk
    }()

    /// NC for a core with `level2Bytes` of L2 (0 where unknown): half of L2 in whole
    /// `tileColumns`-wide micro-panels of `kc` rows where that is at least 512 columns, capped at
    /// 1024; else 1024 (a panel in L3, as measured best on Zen 5 and Zen 3, whose L3 keeps up).
    static func panelColumns(level2Bytes: Int, kc: Int, tileColumns: Int = gemmNR) -> Int {
        let half = level2Bytes / 2 / (kc * MemoryLayout<Float>.size) / tileColumns * tileColumns
        return half >= 512 ? Swift.min(half, 1024) : 1024
    }

    /// This core's L2 in bytes, 0 where the system does not say.
    static var level2CacheBytes: Int {
        #if os(Linux)
        return Swift.max(0, sysconf(Int32(_SC_LEVEL2_CACHE_SIZE)))
        #else
        return 0
        #endif
    }
}

/// One thread's packing buffers (64-byte aligned), kept in a small pool so calls reuse them.
final class GEMMScratch {
    let packedA: UnsafeMutablePointer<Float>
    let packedB: UnsafeMutablePointer<Float>
    let capacityA: Int, capacityB: Int

    init(capacityA: Int, capacityB: Int) {
        self.capacityA = capacityA; self.capacityB = capacityB
        packedA = UnsafeMutableRawPointer.allocate(byteCount: capacityA * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: capacityA)
        packedB = UnsafeMutableRawPointer.allocate(byteCount: capacityB * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: capacityB)
    }

    deinit {
        UnsafeMutableRawPointer(packedA).deallocate()
        UnsafeMutableRawPointer(packedB).deallocate()
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var pool: [GEMMScratch] = []

    /// Runs `body` with a scratch buffer of at least the given capacities, taken from the pool
    /// (or allocated) and returned to it afterwards. Safe to call from several threads at once.
    static func with<R>(capacityA: Int, capacityB: Int, _ body: (GEMMScratch) -> R) -> R {
        lock.lock()
        var scratch: GEMMScratch
        if let i = pool.lastIndex(where: { $0.capacityA >= capacityA && $0.capacityB >= capacityB }) {
            scratch = pool.remove(at: i)
        } else {
            if !pool.isEmpty { pool.removeLast() }  // too small: drop one so the pool stays bounded
            scratch = GEMMScratch(capacityA: capacityA, capacityB: capacityB)
        }
        lock.unlock()
        let result = body(scratch)
        lock.lock()
        if pool.count < 8 { pool.append(scratch) }
        lock.unlock()
        return result
    }
}

/// Packs rows `0..<mc`, columns `0..<kc` of `op(A)` (whose top-left element `a` points at) into
/// `dst` as micro-panels of `MR` rows: `dst[panel*MR*kc + p*MR + r]`. Missing rows are zero.
/// (`tileRows` is `MR`; tests pack for either register tile on any machine.)
func sgemmPackA(
    transA: Bool, a: UnsafePointer<Float>, lda: Int, mc: Int, kc: Int, dst: UnsafeMutablePointer<Float>,
    tileRows mrFull: Int = gemmMR
) {
    var i = 0
    var d = dst
    while i < mc {
        let mr = min(mrFull, mc - i)
        if transA {
            // op(A)(i, p) = a[p*lda + i]: each k step is MR contiguous floats.
            if mr == 8 && mrFull == 8 {
                for p in 0..<kc {
                    let s = a + p * lda + i
                    UnsafeMutableRawPointer(d + p * 8).storeBytes(
                        of: UnsafeRawPointer(s).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                }
            } else {
                for p in 0..<kc {
                    let s = a + p * lda + i, o = d + p * mrFull
                    for r in 0..<mrFull { o[r] = r < mr ? s[r] : 0 }
                }
            }
        } else {
            // op(A)(i, p) = a[i*lda + p]: MR row streams interleaved.
            if mr == 8 && mrFull == 8 {
                let r0 = a + i * lda, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda
                let r4 = r3 + lda, r5 = r4 + lda, r6 = r5 + lda, r7 = r6 + lda
                var p = 0
                while p + 8 <= kc {
                    transpose8x8(r0 + p, r1 + p, r2 + p, r3 + p, r4 + p, r5 + p, r6 + p, r7 + p, d + p * 8, 8)
                    p += 8
                }
                while p < kc {
                    let o = d + p * 8
                    o[0] = r0[p]; o[1] = r1[p]; o[2] = r2[p]; o[3] = r3[p]
                    o[4] = r4[p]; o[5] = r5[p]; o[6] = r6[p]; o[7] = r7[p]
                    p += 1
                }
            } else {
                for r in 0..<mrFull {
                    if r < mr {
                        let s = a + (i + r) * lda
                        for p in 0..<kc { d[p * mrFull + r] = s[p] }
                    } else {
                        for p in 0..<kc { d[p * mrFull + r] = 0 }
                    }
                }
            }
        }
        d += mrFull * kc
        i += mrFull
    }
}

/// Packs rows `0..<kc`, columns `0..<nc` of `op(B)` (whose top-left element `b` points at) into
/// `dst` as micro-panels of `NR` columns: `dst[panel*NR*kc + p*NR + j]`. Missing columns are zero.
/// (`tileColumns` is `NR`, a multiple of 16.)
func sgemmPackB(
    transB: Bool, b: UnsafePointer<Float>, ldb: Int, kc: Int, nc: Int, dst: UnsafeMutablePointer<Float>,
    tileColumns nrFull: Int = gemmNR
) {
    var j = 0
    var d = dst
    while j < nc {
        let nr = min(nrFull, nc - j)
        if !transB {
            // op(B)(p, j) = b[p*ldb + j]: each k step is NR contiguous floats.
            if nr == nrFull {
                for p in 0..<kc {
                    let s = b + p * ldb + j, o = d + p * nrFull
                    var q = 0
                    while q < nrFull { store16(load16(s + q), o + q); q += 16 }
                }
            } else {
                for p in 0..<kc {
                    let s = b + p * ldb + j, o = d + p * nrFull
                    for jj in 0..<nrFull { o[jj] = jj < nr ? s[jj] : 0 }
                }
            }
        } else {
            // op(B)(p, j) = b[j*ldb + p]: the panel is the transpose of nr rows of B.
            transposeRows(b + j * ldb, rows: nr, columns: kc, sourceStride: ldb, into: d, ld: nrFull)
        }
        d += nrFull * kc
        j += nrFull
    }
}

/// Writes the transpose of the 8×8 block whose rows start at `r0…r7` (8 contiguous floats each)
/// to `dst`: row `q` of the result (`r0[q], …, r7[q]`) goes to `dst + q*ldd`. LLVM lowers the
/// lane gathers to shuffles.
@inline(__always)
func transpose8x8(
    _ r0: UnsafePointer<Float>, _ r1: UnsafePointer<Float>, _ r2: UnsafePointer<Float>, _ r3: UnsafePointer<Float>,
    _ r4: UnsafePointer<Float>, _ r5: UnsafePointer<Float>, _ r6: UnsafePointer<Float>, _ r7: UnsafePointer<Float>,
    _ dst: UnsafeMutablePointer<Float>, _ ldd: Int
) {
    @inline(__always) func ld(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    let v0 = ld(r0), v1 = ld(r1), v2 = ld(r2), v3 = ld(r3), v4 = ld(r4), v5 = ld(r5), v6 = ld(r6), v7 = ld(r7)
    for q in 0..<8 {
        let t = SIMD8<Float>(v0[q], v1[q], v2[q], v3[q], v4[q], v5[q], v6[q], v7[q])
        UnsafeMutableRawPointer(dst + q * ldd).storeBytes(of: t, as: SIMD8<Float>.self)
    }
}
