/// Winograd tile transforms on 16 channels at once (one per vector lane).
///
/// A `WinogradTileKernels` type holds the 1-D transforms of one F(m×m, r×r) as straight-line
/// code (generated from exact matrices by `Scripts/winograd_kernels.py`, checked by the tests
/// against `WinogradTransform`); every 2-D transform here is the 1-D one over the tile's columns,
/// then its rows. Generic over the kernels type, so each specialization has constant sizes.
typealias Lanes = SIMD16<Float>

protocol WinogradTileKernels {
    /// Input tile side `α`.
    static var alpha: Int { get }
    /// Output tile side `m`.
    static var outputSize: Int { get }
    /// Kernel side `r`.
    static var kernelSize: Int { get }
    /// `y = Bᵀ x` over `α` vectors (`x[k·xs]` → `y[i·ys]`).
    static func input(_ x: UnsafePointer<Lanes>, _ xs: Int, _ y: UnsafeMutablePointer<Lanes>, _ ys: Int)
    /// `y = B x`.
    static func inputAdjoint(_ x: UnsafePointer<Lanes>, _ xs: Int, _ y: UnsafeMutablePointer<Lanes>, _ ys: Int)
    /// `y = Aᵀ x` (`α` → `m` vectors).
    static func output(_ x: UnsafePointer<Lanes>, _ xs: Int, _ y: UnsafeMutablePointer<Lanes>, _ ys: Int)
    /// `y = A x` (`m` → `α` vectors).
    static func outputAdjoint(_ x: UnsafePointer<Lanes>, _ xs: Int, _ y: UnsafeMutablePointer<Lanes>, _ ys: Int)
    /// `y = G x` (`r` → `α` vectors).
    static func kernel(_ x: UnsafePointer<Lanes>, _ xs: Int, _ y: UnsafeMutablePointer<Lanes>, _ ys: Int)
    /// `y = Gᵀ x` (`α` → `r` vectors).
    static func kernelAdjoint(_ x: UnsafePointer<Lanes>, _ xs: Int, _ y: UnsafeMutablePointer<Lanes>, _ ys: Int)
}

// Tile matrices `[ξ][tile][channel]` are passed as vector pointers with the distance between
// consecutive ξ in vectors; their buffers are 64-byte aligned and their rows whole vectors.
extension WinogradTileKernels {
    /// Vectors of scratch the tile functions need.
    static var scratchCount: Int { 2 * alpha * alpha }

    /// `V = Bᵀ d B` of the `α×α` window at `d` (row stride `s`), `V[ξ]` going to `v[ξ·vs]`.
    @inline(__always)
    static func inputTile(_ d: UnsafePointer<Lanes>, stride s: Int, into v: UnsafeMutablePointer<Lanes>, vs: Int,
                          tmp: UnsafeMutablePointer<Lanes>) {
        let a = alpha
        for b in 0..<a { input(d + b, s, tmp + b, a) }
        for i in 0..<a { input(tmp + i * a, 1, v + i * a * vs, vs) }
    }

    /// Adds `B dV Bᵀ` (the adjoint of `inputTile`) to the `α×α` window at `d`.
    @inline(__always)
    static func inputAdjointTile(_ dv: UnsafePointer<Lanes>, vs: Int, addingTo d: UnsafeMutablePointer<Lanes>, stride s: Int,
                                 tmp: UnsafeMutablePointer<Lanes>) {
        let a = alpha, t2 = tmp + a * a
        for i in 0..<a { inputAdjoint(dv + i * a * vs, vs, tmp + i * a, 1) }
        for b in 0..<a { inputAdjoint(tmp + b, a, t2 + b, a) }
        for i in 0..<a {
            for j in 0..<a { d[i * s + j] += t2[i * a + j] }
        }
    }

    /// `y = Aᵀ M A` from `M[ξ]` at `mm[ξ·ms]` into the `m×m` window at `y` (row stride `s`).
    @inline(__always)
    static func outputTile(_ mm: UnsafePointer<Lanes>, ms: Int, into y: UnsafeMutablePointer<Lanes>, stride s: Int,
                           tmp: UnsafeMutablePointer<Lanes>) {
        let a = alpha, m = outputSize
        for i in 0..<a { output(mm + i * a * ms, ms, tmp + i * m, 1) }
        for j in 0..<m { output(tmp + j, m, y + j, s) }
    }

    /// `dM = A dy Aᵀ` (the adjoint of `outputTile`) of the `m×m` window at `dy`, `dM[ξ]` going
    /// to `dm[ξ·ms]`.
    @inline(__always)
    static func gradientTile(_ dy: UnsafePointer<Lanes>, stride s: Int, into dm: UnsafeMutablePointer<Lanes>, ms: Int,
                             tmp: UnsafeMutablePointer<Lanes>) {
        let a = alpha, m = outputSize
        for i in 0..<m { outputAdjoint(dy + i * s, 1, tmp + i * a, 1) }
        for b in 0..<a { outputAdjoint(tmp + b, a, dm + b * ms, a * ms) }
    }

    /// `U = G w Gᵀ` of the `r×r` kernel at `w` (tap `k` at `w[k·ws]`), `U[ξ]` going to `u[ξ·us]`.
    @inline(__always)
    static func weightTile(_ w: UnsafePointer<Lanes>, ws: Int, into u: UnsafeMutablePointer<Lanes>, us: Int,
                           tmp: UnsafeMutablePointer<Lanes>) {
        let a = alpha, r = kernelSize
        for kx in 0..<r { kernel(w + kx * ws, r * ws, tmp + kx, r) }
        for i in 0..<a { kernel(tmp + i * r, 1, u + i * a * us, us) }
    }

    /// `dw = Gᵀ dU G` (the adjoint of `weightTile`) from `dU[ξ]` at `du[ξ·us]`, tap `k` going to `w[k·ws]`.
    @inline(__always)
    static func weightAdjointTile(_ du: UnsafePointer<Lanes>, us: Int, into w: UnsafeMutablePointer<Lanes>, ws: Int,
                                  tmp: UnsafeMutablePointer<Lanes>) {
        let a = alpha, r = kernelSize
        for i in 0..<a { kernelAdjoint(du + i * a * us, us, tmp + i * r, 1) }
        for kx in 0..<r { kernelAdjoint(tmp + kx, r, w + kx * ws, r * ws) }
    }
}
