// The register-tile micro-kernel of the blocked GEMM and the macro-kernel that walks it over one
// packed A block and one packed B panel.

typealias Vec16 = SIMD16<Float>

@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> Vec16 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec16.self)
}

@inline(__always)
func store16(_ v: Vec16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec16.self)
}

/// Whether the register tile is 8×32 (16 accumulators + 2 B vectors + 1 broadcast in 32 AVX-512
/// registers) or, on targets with 16 vector registers (AVX2: 8 floats each), 6×16 (12
/// accumulators + 2 B halves + 1 broadcast): there the 8×32 tile spills its accumulators on
/// every step.
@inline(__always) var gemmWideTile: Bool { vectorRegisterCount == 32 }

/// Register-tile sizes of the micro-kernel: `MR` rows of C by `NR` columns; packed panels of A
/// and B are laid out for them.
@inline(__always) var gemmMR: Int { gemmWideTile ? 8 : 6 }
@inline(__always) var gemmNR: Int { gemmWideTile ? 32 : 16 }

/// Computes one full `8×32` tile: `C = alpha * Ap·Bp + beta * C` over `kc` steps.
///
/// `a` is a packed A micro-panel (`kc` groups of 8 row values), `b` a packed B micro-panel
/// (`kc` groups of 32 column values). With `beta == 0`, C is not read.
@inline(never)
func sgemmMicroKernel8x32(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) {
    var c00 = Vec16(), c01 = Vec16(), c10 = Vec16(), c11 = Vec16()
    var c20 = Vec16(), c21 = Vec16(), c30 = Vec16(), c31 = Vec16()
    var c40 = Vec16(), c41 = Vec16(), c50 = Vec16(), c51 = Vec16()
    var c60 = Vec16(), c61 = Vec16(), c70 = Vec16(), c71 = Vec16()
    var ap = a, bp = b
    var p = 0
    while p < kc {
        let b0 = load16(bp), b1 = load16(bp + 16)
        var av = Vec16(repeating: ap[0])
        c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
        av = Vec16(repeating: ap[1])
        c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
        av = Vec16(repeating: ap[2])
        c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
        av = Vec16(repeating: ap[3])
        c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
        av = Vec16(repeating: ap[4])
        c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
        av = Vec16(repeating: ap[5])
        c50 = c50.addingProduct(av, b0); c51 = c51.addingProduct(av, b1)
        av = Vec16(repeating: ap[6])
        c60 = c60.addingProduct(av, b0); c61 = c61.addingProduct(av, b1)
        av = Vec16(repeating: ap[7])
        c70 = c70.addingProduct(av, b0); c71 = c71.addingProduct(av, b1)
        ap += 8; bp += 32; p += 1
    }

    let va = Vec16(repeating: alpha)
    @inline(__always) func put(_ row: Int, _ x0: Vec16, _ x1: Vec16) {
        let cr = c + row * ldc
        if beta == 0 {
            store16(x0 * va, cr); store16(x1 * va, cr + 16)
        } else if beta == 1 {
            store16(load16(cr).addingProduct(x0, va), cr)
            store16(load16(cr + 16).addingProduct(x1, va), cr + 16)
        } else {
            let vb = Vec16(repeating: beta)
            store16((x0 * va).addingProduct(load16(cr), vb), cr)
            store16((x1 * va).addingProduct(load16(cr + 16), vb), cr + 16)
        }
    }
    put(0, c00, c01); put(1, c10, c11); put(2, c20, c21); put(3, c30, c31)
    put(4, c40, c41); put(5, c50, c51); put(6, c60, c61); put(7, c70, c71)
}

/// The 6×16 tile of 16-register targets (see ``gemmWideTile``): `a` holds `kc` groups of 6 row
/// values, `b` `kc` groups of 16 column values; otherwise as ``sgemmMicroKernel8x32``.
@inline(never)
func sgemmMicroKernel6x16(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) {
    var c0 = Vec16(), c1 = Vec16(), c2 = Vec16(), c3 = Vec16(), c4 = Vec16(), c5 = Vec16()
    var ap = a, bp = b
    var p = 0
    while p < kc {
        let b0 = load16(bp)
        c0 = c0.addingProduct(Vec16(repeating: ap[0]), b0)
        c1 = c1.addingProduct(Vec16(repeating: ap[1]), b0)
        c2 = c2.addingProduct(Vec16(repeating: ap[2]), b0)
        c3 = c3.addingProduct(Vec16(repeating: ap[3]), b0)
        c4 = c4.addingProduct(Vec16(repeating: ap[4]), b0)
        c5 = c5.addingProduct(Vec16(repeating: ap[5]), b0)
        ap += 6; bp += 16; p += 1
    }
    storeTile6x16(c, ldc, alpha, beta, c0, c1, c2, c3, c4, c5)
}

/// ``sgemmMicroKernel6x16`` reading A in place, as ``sgemmMicroKernel8x32Direct`` does.
@inline(never)
func sgemmMicroKernel6x16Direct(
    _ kc: Int, _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
    _ a3: UnsafePointer<Float>, _ a4: UnsafePointer<Float>, _ a5: UnsafePointer<Float>,
    _ ps: Int, _ b: UnsafePointer<Float>,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) {
    var c0 = Vec16(), c1 = Vec16(), c2 = Vec16(), c3 = Vec16(), c4 = Vec16(), c5 = Vec16()
    var bp = b
    var o = 0
    for _ in 0..<kc {
        let b0 = load16(bp)
        c0 = c0.addingProduct(Vec16(repeating: a0[o]), b0)
        c1 = c1.addingProduct(Vec16(repeating: a1[o]), b0)
        c2 = c2.addingProduct(Vec16(repeating: a2[o]), b0)
        c3 = c3.addingProduct(Vec16(repeating: a3[o]), b0)
        c4 = c4.addingProduct(Vec16(repeating: a4[o]), b0)
        c5 = c5.addingProduct(Vec16(repeating: a5[o]), b0)
        bp += 16; o += ps
    }
    storeTile6x16(c, ldc, alpha, beta, c0, c1, c2, c3, c4, c5)
}

/// `C = alpha * tile + beta * C` for a 6×16 tile (C not read when `beta == 0`).
@inline(__always)
private func storeTile6x16(
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float,
    _ x0: Vec16, _ x1: Vec16, _ x2: Vec16, _ x3: Vec16, _ x4: Vec16, _ x5: Vec16
) {
    let va = Vec16(repeating: alpha)
    @inline(__always) func put(_ row: Int, _ x: Vec16) {
        let cr = c + row * ldc
        if beta == 0 {
            store16(x * va, cr)
        } else if beta == 1 {
            store16(load16(cr).addingProduct(x, va), cr)
        } else {
            store16((x * va).addingProduct(load16(cr), Vec16(repeating: beta)), cr)
        }
    }
    put(0, x0); put(1, x1); put(2, x2); put(3, x3); put(4, x4); put(5, x5)
}

/// Multiplies one packed `mc×kc` A block by one packed `kc×nc` B panel into `C` (`mc×nc`, row
/// stride `ldc`). Edge tiles (fewer than `MR` rows or `NR` columns) are computed into a local tile
/// from the zero-padded panels and only their valid part is written back.
func sgemmMacroKernel(
    mc: Int, nc: Int, kc: Int, packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: gemmMR * gemmNR) { tile in
        let t = tile.baseAddress!
        var jr = 0
        while jr < nc {
            let nr = min(gemmNR, nc - jr)
            let bp = packedB + jr * kc
            var ir = 0
            while ir < mc {
                let mr = min(gemmMR, mc - ir)
                let ap = packedA + ir * kc
                let cp = c + ir * ldc + jr
                @inline(__always) func tile(_ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
                    if gemmWideTile {
                        sgemmMicroKernel8x32(kc, ap, bp, c, ldc, alpha, beta)
                    } else {
                        sgemmMicroKernel6x16(kc, ap, bp, c, ldc, alpha, beta)
                    }
                }
                if mr == gemmMR && nr == gemmNR {
                    tile(cp, ldc, beta)
                } else {
                    tile(t, gemmNR, 0)
                    for r in 0..<mr {
                        let cr = cp + r * ldc, tr = t + r * gemmNR
                        if beta == 0 {
                            for j in 0..<nr { cr[j] = tr[j] }
                        } else {
                            for j in 0..<nr { cr[j] = tr[j] + beta * cr[j] }
                        }
                    }
                }
                ir += gemmMR
            }
            jr += gemmNR
        }
    }
}

/// The 8×32 micro-kernel reading A in place instead of from a packed panel: row `r` of the tile
/// starts at `a[r]`, and successive k steps are `ps` elements apart (1 when A is stored `M×K`,
/// `lda` when it is stored `K×M`). Used when N is so small that packing A would not be amortized.
@inline(never)
func sgemmMicroKernel8x32Direct(
    _ kc: Int, _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>,
    _ a3: UnsafePointer<Float>, _ a4: UnsafePointer<Float>, _ a5: UnsafePointer<Float>,
    _ a6: UnsafePointer<Float>, _ a7: UnsafePointer<Float>, _ ps: Int, _ b: UnsafePointer<Float>,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) {
    var c00 = Vec16(), c01 = Vec16(), c10 = Vec16(), c11 = Vec16()
    var c20 = Vec16(), c21 = Vec16(), c30 = Vec16(), c31 = Vec16()
    var c40 = Vec16(), c41 = Vec16(), c50 = Vec16(), c51 = Vec16()
    var c60 = Vec16(), c61 = Vec16(), c70 = Vec16(), c71 = Vec16()
    var bp = b
    var o = 0
    for _ in 0..<kc {
        let b0 = load16(bp), b1 = load16(bp + 16)
        var av = Vec16(repeating: a0[o])
        c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
        av = Vec16(repeating: a1[o])
        c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
        av = Vec16(repeating: a2[o])
        c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
        av = Vec16(repeating: a3[o])
        c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
        av = Vec16(repeating: a4[o])
        c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
        av = Vec16(repeating: a5[o])
        c50 = c50.addingProduct(av, b0); c51 = c51.addingProduct(av, b1)
        av = Vec16(repeating: a6[o])
        c60 = c60.addingProduct(av, b0); c61 = c61.addingProduct(av, b1)
        av = Vec16(repeating: a7[o])
        c70 = c70.addingProduct(av, b0); c71 = c71.addingProduct(av, b1)
        bp += 32; o += ps
    }
    let va = Vec16(repeating: alpha)
    @inline(__always) func put(_ row: Int, _ x0: Vec16, _ x1: Vec16) {
        let cr = c + row * ldc
        if beta == 0 {
            store16(x0 * va, cr); store16(x1 * va, cr + 16)
        } else if beta == 1 {
            store16(load16(cr).addingProduct(x0, va), cr)
            store16(load16(cr + 16).addingProduct(x1, va), cr + 16)
        } else {
            let vb = Vec16(repeating: beta)
            store16((x0 * va).addingProduct(load16(cr), vb), cr)
            store16((x1 * va).addingProduct(load16(cr + 16), vb), cr + 16)
        }
    }
    put(0, c00, c01); put(1, c10, c11); put(2, c20, c21); put(3, c30, c31)
    put(4, c40, c41); put(5, c50, c51); put(6, c60, c61); put(7, c70, c71)
}

/// Like ``sgemmMacroKernel`` but with A read in place (see ``sgemmMicroKernel8x32Direct``):
/// `a` points at op(A)(0, 0) of this block, row `i` starts at `a + i*rs` and k steps are `ps`
/// apart. Rows past `mc` in the last tile repeat row `mc - 1` (never read out of bounds); their
/// results are dropped. Tile rows are the outer loop so an 8×kc slice of A is reused from L1
/// across the (few) B micro-panels; `epilogue` runs on each finished strip of tile rows.
func sgemmMacroKernelDirectA(
    mc: Int, nc: Int, kc: Int, a: UnsafePointer<Float>, rs: Int, ps: Int, packedB: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float, epilogue: GEMMEpilogue? = nil
) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: gemmMR * gemmNR) { tile in
        let t = tile.baseAddress!
        var ir = 0
        while ir < mc {
            let mr = min(gemmMR, mc - ir)
            @inline(__always) func row(_ r: Int) -> UnsafePointer<Float> { a + (ir + min(r, mr - 1)) * rs }
            let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5)
            let r6 = gemmWideTile ? row(6) : r5, r7 = gemmWideTile ? row(7) : r5
            var jr = 0
            while jr < nc {
                let nr = min(gemmNR, nc - jr)
                let bp = packedB + jr * kc
                let cp = c + ir * ldc + jr
                @inline(__always) func tile(_ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ beta: Float) {
                    if gemmWideTile {
                        sgemmMicroKernel8x32Direct(kc, r0, r1, r2, r3, r4, r5, r6, r7, ps, bp, c, ldc, alpha, beta)
                    } else {
                        sgemmMicroKernel6x16Direct(kc, r0, r1, r2, r3, r4, r5, ps, bp, c, ldc, alpha, beta)
                    }
                }
                if mr == gemmMR && nr == gemmNR {
                    tile(cp, ldc, beta)
                } else {
                    tile(t, gemmNR, 0)
                    for r in 0..<mr {
                        let cr = cp + r * ldc, tr = t + r * gemmNR
                        if beta == 0 {
                            for j in 0..<nr { cr[j] = tr[j] }
                        } else {
                            for j in 0..<nr { cr[j] = tr[j] + beta * cr[j] }
                        }
                    }
                }
                jr += gemmNR
            }
            epilogue?.finish(rows: ir..<(ir + mr), columns: 0..<nc, c: c, ldc: ldc)
            ir += gemmMR
        }
    }
}
