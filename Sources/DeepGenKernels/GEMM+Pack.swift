// Packing of A blocks and B panels into the contiguous, zero-padded layouts the micro-kernel
// reads, and the per-thread scratch buffers they live in. All four transpose combinations are
// handled here: the rest of the blocked GEMM only ever sees packed panels.

import Foundation

/// Cache-blocking sizes, in elements, chosen by measurement on an AMD EPYC (Zen 5: 48 KiB L1d and
/// 1 MiB L2 per core, 32 MiB shared L3) with `deepgen-bench kernels` over
/// KC ∈ {192…1024}, MC ∈ {48…256}, NC ∈ {256…2048}: `MR×KC` A micro-panels (16 KiB) stay in L1, the
/// `MC×KC` A block (192 KiB) and each `KC×NR` B micro-panel (64 KiB) in L2, and the `KC×NC` B panel
/// (2 MiB) in L3. A long KC halves how often C is re-read compared with KC = 256 (+3–8% at ≥1024³).
/// `DEEPGEN_GEMM_BLOCKING="kc,mc,nc"` overrides them (for tuning only).
@usableFromInline struct GEMMBlocking {
    var kc: Int, mc: Int, nc: Int
    static let current: GEMMBlocking = {
        var blk = GEMMBlocking(kc: 512, mc: 96, nc: 1024)
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
/// `dst` as micro-panels of 8 rows: `dst[panel*8*kc + p*8 + r]`. Missing rows are zero.
func sgemmPackA(
    transA: Bool, a: UnsafePointer<Float>, lda: Int, mc: Int, kc: Int, dst: UnsafeMutablePointer<Float>
) {
    var i = 0
    var d = dst
    while i < mc {
        let mr = min(gemmMR, mc - i)
        if transA {
            // op(A)(i, p) = a[p*lda + i]: each k step is 8 contiguous floats.
            if mr == gemmMR {
                for p in 0..<kc {
                    let s = a + p * lda + i
                    UnsafeMutableRawPointer(d + p * 8).storeBytes(
                        of: UnsafeRawPointer(s).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                }
            } else {
                for p in 0..<kc {
                    let s = a + p * lda + i
                    for r in 0..<gemmMR { d[p * 8 + r] = r < mr ? s[r] : 0 }
                }
            }
        } else {
            // op(A)(i, p) = a[i*lda + p]: eight row streams interleaved.
            if mr == gemmMR {
                let r0 = a + i * lda, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda
                let r4 = r3 + lda, r5 = r4 + lda, r6 = r5 + lda, r7 = r6 + lda
                var p = 0
                while p + 8 <= kc {
                    // An 8×8 transpose through vectors; LLVM turns it into shuffles.
                    let v0 = UnsafeRawPointer(r0 + p).loadUnaligned(as: SIMD8<Float>.self)
                    let v1 = UnsafeRawPointer(r1 + p).loadUnaligned(as: SIMD8<Float>.self)
                    let v2 = UnsafeRawPointer(r2 + p).loadUnaligned(as: SIMD8<Float>.self)
                    let v3 = UnsafeRawPointer(r3 + p).loadUnaligned(as: SIMD8<Float>.self)
                    let v4 = UnsafeRawPointer(r4 + p).loadUnaligned(as: SIMD8<Float>.self)
                    let v5 = UnsafeRawPointer(r5 + p).loadUnaligned(as: SIMD8<Float>.self)
                    let v6 = UnsafeRawPointer(r6 + p).loadUnaligned(as: SIMD8<Float>.self)
                    let v7 = UnsafeRawPointer(r7 + p).loadUnaligned(as: SIMD8<Float>.self)
                    let o = d + p * 8
                    for q in 0..<8 {
                        let t = SIMD8<Float>(v0[q], v1[q], v2[q], v3[q], v4[q], v5[q], v6[q], v7[q])
                        UnsafeMutableRawPointer(o + q * 8).storeBytes(of: t, as: SIMD8<Float>.self)
                    }
                    p += 8
                }
                while p < kc {
                    let o = d + p * 8
                    o[0] = r0[p]; o[1] = r1[p]; o[2] = r2[p]; o[3] = r3[p]
                    o[4] = r4[p]; o[5] = r5[p]; o[6] = r6[p]; o[7] = r7[p]
                    p += 1
                }
            } else {
                for r in 0..<gemmMR {
                    if r < mr {
                        let s = a + (i + r) * lda
                        for p in 0..<kc { d[p * 8 + r] = s[p] }
                    } else {
                        for p in 0..<kc { d[p * 8 + r] = 0 }
                    }
                }
            }
        }
        d += gemmMR * kc
        i += gemmMR
    }
}

/// Packs rows `0..<kc`, columns `0..<nc` of `op(B)` (whose top-left element `b` points at) into
/// `dst` as micro-panels of 32 columns: `dst[panel*32*kc + p*32 + j]`. Missing columns are zero.
func sgemmPackB(
    transB: Bool, b: UnsafePointer<Float>, ldb: Int, kc: Int, nc: Int, dst: UnsafeMutablePointer<Float>
) {
    var j = 0
    var d = dst
    while j < nc {
        let nr = min(gemmNR, nc - j)
        if !transB {
            // op(B)(p, j) = b[p*ldb + j]: each k step is 32 contiguous floats.
            if nr == gemmNR {
                for p in 0..<kc {
                    let s = b + p * ldb + j, o = d + p * gemmNR
                    store16(load16(s), o); store16(load16(s + 16), o + 16)
                }
            } else {
                for p in 0..<kc {
                    let s = b + p * ldb + j, o = d + p * gemmNR
                    for jj in 0..<gemmNR { o[jj] = jj < nr ? s[jj] : 0 }
                }
            }
        } else {
            // op(B)(p, j) = b[j*ldb + p]: column jj of the panel is a contiguous row of B.
            for jj in 0..<gemmNR {
                if jj < nr {
                    let s = b + (j + jj) * ldb
                    for p in 0..<kc { d[p * gemmNR + jj] = s[p] }
                } else {
                    for p in 0..<kc { d[p * gemmNR + jj] = 0 }
                }
            }
        }
        d += gemmNR * kc
        j += gemmNR
    }
}
