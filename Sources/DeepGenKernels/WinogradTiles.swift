/// The 6×6-tile transforms of F(4×4, 3×3) and F(2×2, 5×5) written out, on 16 channels at once.
///
/// Both algorithms use the points 0, ±1, ±2, ∞, so they share `Bᵀ`; `Aᵀ` is the first `m` rows
/// of the same Vandermonde matrix. The formulas are `WinogradTransform`'s matrices for these
/// points with the zeros left out (a test checks them against the generated matrices); every
/// 2-D transform is a 1-D transform of the tile's columns, then of its rows, in registers.
typealias Lanes = SIMD16<Float>

/// `Bᵀ d` for the six points.
@inline(__always)
func winogradInput1D(_ d0: Lanes, _ d1: Lanes, _ d2: Lanes, _ d3: Lanes, _ d4: Lanes, _ d5: Lanes)
    -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes)
{
    let s12 = d1 + d2, d12 = d1 - d2, s34 = d3 + d4, d34 = d3 - d4
    let t13 = d1 - d3, t24 = d2 - d4
    return ((d4 - 5 * d2) + 4 * d0, 4 * s12 - s34, 4 * d12 - d34, 2 * t13 + t24, 2 * t13 - t24, (d5 - 5 * d3) + 4 * d1)
}

/// `B y` (the adjoint of `winogradInput1D`).
@inline(__always)
func winogradInputAdjoint1D(_ y0: Lanes, _ y1: Lanes, _ y2: Lanes, _ y3: Lanes, _ y4: Lanes, _ y5: Lanes)
    -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes)
{
    let s12 = y1 + y2, d12 = y1 - y2, s34 = y3 + y4, d34 = y3 - y4
    return (4 * y0,
            4 * (s12 + y5) + 2 * s34,
            4 * d12 + d34 - 5 * y0,
            -(s12 + 2 * s34 + 5 * y5),
            y0 - d12 - d34,
            y5)
}

/// `Aᵀ m` for a 4-wide output tile.
@inline(__always)
func winogradOutput4(_ m0: Lanes, _ m1: Lanes, _ m2: Lanes, _ m3: Lanes, _ m4: Lanes, _ m5: Lanes)
    -> (Lanes, Lanes, Lanes, Lanes)
{
    let s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4
    return (m0 + s12 + s34, d12 + 2 * d34, s12 + 4 * s34, d12 + 8 * d34 + m5)
}

/// `Aᵀ m` for a 2-wide output tile.
@inline(__always)
func winogradOutput2(_ m0: Lanes, _ m1: Lanes, _ m2: Lanes, _ m3: Lanes, _ m4: Lanes, _ m5: Lanes) -> (Lanes, Lanes) {
    (m0 + (m1 + m2) + (m3 + m4), (m1 - m2) + 2 * (m3 - m4) + m5)
}

/// `A y` for a 4-wide output tile (the adjoint of `winogradOutput4`).
@inline(__always)
func winogradOutputAdjoint4(_ y0: Lanes, _ y1: Lanes, _ y2: Lanes, _ y3: Lanes)
    -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes)
{
    let e = y0 + y2, o = y1 + y3, e4 = y0 + 4 * y2, o4 = 2 * y1 + 8 * y3
    return (y0, e + o, e - o, e4 + o4, e4 - o4, y3)
}

/// `A y` for a 2-wide output tile.
@inline(__always)
func winogradOutputAdjoint2(_ y0: Lanes, _ y1: Lanes) -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) {
    (y0, y0 + y1, y0 - y1, y0 + 2 * y1, y0 - 2 * y1, y1)
}

/// `V = Bᵀ d B` of the 6×6 window at `d` (row stride `stride` vectors), stored as `V[ξ]` at
/// `v + ξ·vStride`; `tmp` holds 36 vectors.
@inline(__always)
func winogradInputTile(
    _ d: UnsafePointer<Lanes>, stride s: Int, into v: UnsafeMutablePointer<Float>, vStride: Int,
    tmp: UnsafeMutablePointer<Lanes>
) {
    for b in 0..<6 {
        let o = winogradInput1D(d[b], d[s + b], d[2 * s + b], d[3 * s + b], d[4 * s + b], d[5 * s + b])
        tmp[b] = o.0; tmp[6 + b] = o.1; tmp[12 + b] = o.2; tmp[18 + b] = o.3; tmp[24 + b] = o.4; tmp[30 + b] = o.5
    }
    for a in 0..<6 {
        let r = tmp + 6 * a
        let o = winogradInput1D(r[0], r[1], r[2], r[3], r[4], r[5])
        let p = v + 6 * a * vStride
        store(o.0, p); store(o.1, p + vStride); store(o.2, p + 2 * vStride)
        store(o.3, p + 3 * vStride); store(o.4, p + 4 * vStride); store(o.5, p + 5 * vStride)
    }
}

/// Adds `B dV Bᵀ` (the adjoint of `winogradInputTile`) to the 6×6 window at `d`.
@inline(__always)
func winogradInputAdjointTile(
    _ dv: UnsafePointer<Float>, vStride: Int, addingTo d: UnsafeMutablePointer<Lanes>, stride s: Int,
    tmp: UnsafeMutablePointer<Lanes>
) {
    for a in 0..<6 {
        let p = dv + 6 * a * vStride
        let o = winogradInputAdjoint1D(load(p), load(p + vStride), load(p + 2 * vStride),
                                       load(p + 3 * vStride), load(p + 4 * vStride), load(p + 5 * vStride))
        let r = tmp + 6 * a
        r[0] = o.0; r[1] = o.1; r[2] = o.2; r[3] = o.3; r[4] = o.4; r[5] = o.5
    }
    for b in 0..<6 {
        let o = winogradInputAdjoint1D(tmp[b], tmp[6 + b], tmp[12 + b], tmp[18 + b], tmp[24 + b], tmp[30 + b])
        d[b] += o.0; d[s + b] += o.1; d[2 * s + b] += o.2; d[3 * s + b] += o.3; d[4 * s + b] += o.4; d[5 * s + b] += o.5
    }
}

/// `y = Aᵀ M A` from `M[ξ]` at `mm + ξ·mStride` into the `m×m` window at `y` (row stride `s`).
@inline(__always)
func winogradOutputTile(
    _ mm: UnsafePointer<Float>, mStride: Int, outputTile m: Int, into y: UnsafeMutablePointer<Lanes>, stride s: Int,
    tmp: UnsafeMutablePointer<Lanes>
) {
    for a in 0..<6 {
        let p = mm + 6 * a * mStride
        let (m0, m1, m2, m3, m4, m5) = (load(p), load(p + mStride), load(p + 2 * mStride),
                                        load(p + 3 * mStride), load(p + 4 * mStride), load(p + 5 * mStride))
        let r = tmp + 6 * a
        if m == 4 {
            let o = winogradOutput4(m0, m1, m2, m3, m4, m5)
            r[0] = o.0; r[1] = o.1; r[2] = o.2; r[3] = o.3
        } else {
            let o = winogradOutput2(m0, m1, m2, m3, m4, m5)
            r[0] = o.0; r[1] = o.1
        }
    }
    for j in 0..<m {
        let c = tmp + j
        if m == 4 {
            let o = winogradOutput4(c[0], c[6], c[12], c[18], c[24], c[30])
            y[j] = o.0; y[s + j] = o.1; y[2 * s + j] = o.2; y[3 * s + j] = o.3
        } else {
            let o = winogradOutput2(c[0], c[6], c[12], c[18], c[24], c[30])
            y[j] = o.0; y[s + j] = o.1
        }
    }
}

/// `dM = A dy Aᵀ` (the adjoint of `winogradOutputTile`) of the `m×m` window at `dy`, stored
/// as `dM[ξ]` at `dm + ξ·mStride`.
@inline(__always)
func winogradGradientTile(
    _ dy: UnsafePointer<Lanes>, stride s: Int, outputTile m: Int, into dm: UnsafeMutablePointer<Float>, mStride: Int,
    tmp: UnsafeMutablePointer<Lanes>
) {
    for i in 0..<m {
        let r = dy + i * s
        let o = m == 4 ? winogradOutputAdjoint4(r[0], r[1], r[2], r[3]) : winogradOutputAdjoint2(r[0], r[1])
        let t = tmp + 6 * i
        t[0] = o.0; t[1] = o.1; t[2] = o.2; t[3] = o.3; t[4] = o.4; t[5] = o.5
    }
    for b in 0..<6 {
        let o = m == 4 ? winogradOutputAdjoint4(tmp[b], tmp[6 + b], tmp[12 + b], tmp[18 + b])
                       : winogradOutputAdjoint2(tmp[b], tmp[6 + b])
        let p = dm + b * mStride
        store(o.0, p); store(o.1, p + 6 * mStride); store(o.2, p + 12 * mStride)
        store(o.3, p + 18 * mStride); store(o.4, p + 24 * mStride); store(o.5, p + 30 * mStride)
    }
}

@inline(__always)
private func load(_ p: UnsafePointer<Float>) -> Lanes {
    UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}

@inline(__always)
private func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
}
