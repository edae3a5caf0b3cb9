/// Naive, obviously-correct implementations of the kernels. Tests compare the fast kernels
/// against these; nothing on a hot path calls them.
public enum Reference {
    /// Row-major `C = alpha * op(A) * op(B) + beta * C`, where `op(A)` is `M×K` and `op(B)` is `K×N`.
    /// `A` is stored `M×K` (`lda` ≥ K) or, when `transA`, `K×M` (`lda` ≥ M); likewise `B`.
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var acc: Double = 0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    acc += Double(av) * Double(bv)
                }
                let prior: Float = beta == 0 ? 0 : beta * c[i * ldc + j]
                c[i * ldc + j] = alpha * Float(acc) + prior
            }
        }
    }

    /// Naive im2col; see ``Conv2DGeometry`` and ``im2col(_:geometry:batch:output:)`` for the layout.
    public static func im2col(
        _ input: UnsafePointer<Float>, geometry g: Conv2DGeometry, batch: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        let cols = batch * g.outHeight * g.outWidth
        for ci in 0..<g.inChannels {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let row = (ci * g.kernelHeight + ky) * g.kernelWidth + kx
                    for nIdx in 0..<batch {
                        for oy in 0..<g.outHeight {
                            for ox in 0..<g.outWidth {
                                let iy = oy * g.strideH - g.padH + ky * g.dilationH
                                let ix = ox * g.strideW - g.padW + kx * g.dilationW
                                let col = (nIdx * g.outHeight + oy) * g.outWidth + ox
                                var v: Float = 0
                                if iy >= 0 && iy < g.inHeight && ix >= 0 && ix < g.inWidth {
                                    v = input[((nIdx * g.inChannels + ci) * g.inHeight + iy) * g.inWidth + ix]
                                }
                                output[row * cols + col] = v
                            }
                        }
                    }
                }
            }
        }
    }

    /// Naive col2im: the adjoint of ``im2col``; accumulates into `output` (which it zeroes first).
    public static func col2im(
        _ columns: UnsafePointer<Float>, geometry g: Conv2DGeometry, batch: Int,
        output: UnsafeMutablePointer<Float>
    ) {
        let total = batch * g.inChannels * g.inHeight * g.inWidth
        for i in 0..<total { output[i] = 0 }
        let cols = batch * g.outHeight * g.outWidth
        for ci in 0..<g.inChannels {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let row = (ci * g.kernelHeight + ky) * g.kernelWidth + kx
                    for nIdx in 0..<batch {
                        for oy in 0..<g.outHeight {
                            for ox in 0..<g.outWidth {
                                let iy = oy * g.strideH - g.padH + ky * g.dilationH
                                let ix = ox * g.strideW - g.padW + kx * g.dilationW
                                if iy >= 0 && iy < g.inHeight && ix >= 0 && ix < g.inWidth {
                                    let col = (nIdx * g.outHeight + oy) * g.outWidth + ox
                                    output[((nIdx * g.inChannels + ci) * g.inHeight + iy) * g.inWidth + ix] +=
                                        columns[row * cols + col]
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
