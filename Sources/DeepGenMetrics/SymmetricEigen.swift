/// Eigenvalues and eigenvectors of a real symmetric matrix by the cyclic Jacobi method, in
/// double precision. Jacobi is slower than tridiagonal QR but accurate to high relative
/// precision even for tiny eigenvalues, which is what a covariance's square root needs; at the
/// sizes of feature covariances (≤ a few hundred) it takes milliseconds.
public struct SymmetricEigen {
    /// Eigenvalues, ascending.
    public let values: [Double]
    /// Eigenvectors as columns of a row-major `n × n` matrix, in the order of `values`.
    public let vectors: [Double]
    public let n: Int

    /// - Parameter matrix: row-major `n × n`; only symmetry is assumed (the upper triangle is read
    ///   after averaging with the lower one).
    public init(_ matrix: [Double], n: Int, maxSweeps: Int = 100) {
        precondition(matrix.count == n * n, "[SymmetricEigen] \(matrix.count) values for a \(n)×\(n) matrix")
        var a = matrix
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { let m = 0.5 * (a[i * n + j] + a[j * n + i]); a[i * n + j] = m; a[j * n + i] = m } }
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let scale = a.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<maxSweeps {
            var off = 0.0
            for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { off += a[i * n + j] * a[i * n + j] } }
            if off <= 1e-30 * scale || off == 0 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = a[p * n + q]
                    if apq == 0 { continue }
                    let app = a[p * n + p], aqq = a[q * n + q]
                    // The rotation angle that zeroes a[p][q] (Golub & Van Loan, Alg. 8.4.1).
                    let theta = (aqq - app) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    a[p * n + q] = 0; a[q * n + p] = 0
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
        values = order.map { a[$0 * n + $0] }
        var sorted = [Double](repeating: 0, count: n * n)
        for (column, source) in order.enumerated() { for k in 0..<n { sorted[k * n + column] = v[k * n + source] } }
        vectors = sorted
        self.n = n
    }

    /// V · diag(f(λ)) · Vᵀ: a function of the matrix (its square root with `f = sqrt`).
    public func map(_ f: (Double) -> Double) -> [Double] {
        let fv = values.map(f)
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for k in 0..<n { sum += vectors[i * n + k] * fv[k] * vectors[j * n + k] }
                out[i * n + j] = sum; out[j * n + i] = sum
            }
        }
        return out
    }
}
