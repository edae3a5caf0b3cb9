/// Row-major single-precision GEMM: `C = alpha * op(A) * op(B) + beta * C`.
///
/// `op(A)` is `M×K`: `A` is stored `M×K` with row stride `lda`, or `K×M` when `transA`.
/// `op(B)` is `K×N`: `B` is stored `K×N` with row stride `ldb`, or `N×K` when `transB`.
/// With `beta == 0`, `C` is not read (NaNs in it do not propagate).
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if m == 0 || n == 0 { return }
    for i in 0..<m {
        let ci = c + i * ldc
        if beta == 0 { for j in 0..<n { ci[j] = 0 } } else if beta != 1 { for j in 0..<n { ci[j] *= beta } }
        for p in 0..<k {
            let av = alpha * (transA ? a[p * lda + i] : a[i * lda + p])
            if transB {
                for j in 0..<n { ci[j] += av * b[j * ldb + p] }
            } else {
                let bp = b + p * ldb
                for j in 0..<n { ci[j] += av * bp[j] }
            }
        }
    }
}
