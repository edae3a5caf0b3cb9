import DeepGen
import DeepGenNN
import Foundation

/// Glow's invertible 1×1 convolution (Kingma & Dhariwal 2018) in its LU form, for vectors
/// `[N, C]` or images `[N, C, H, W]` (the same `C × C` matrix at every pixel):
/// `W = P·(L + I)·(U + diag(sign·exp(logScale)))` with `P` a fixed permutation, `L` strictly
/// lower and `U` strictly upper triangular, so `log |det W| = Σ logScale` (times H·W) without
/// a determinant. Starts at a random rotation, which also mixes coordinates that a coupling
/// alone would leave independent (a flow of couplings only cannot leave the saddle point of
/// an independent, symmetric density such as grid25).
public final class InvertibleLinear: Module, FlowLayer {
    /// Entries below the diagonal are `L`'s (the rest are ignored).
    public let lower: Parameter
    /// Entries above the diagonal are `U`'s (the rest are ignored).
    public let upper: Parameter
    /// log |diagonal of U|.
    public let logScale: Parameter
    /// The permutation matrix `P` and the signs of U's diagonal: fixed at initialization.
    public let permutation: Buffer
    public let sign: Buffer
    /// Constants of `weight()`: ones strictly below the diagonal, and the identity.
    private let lowerMask: Tensor, identity: Tensor

    public var kind: String { "invertible linear (1×1 convolution)" }

    public init(channels c: Int, using rng: inout RandomGenerator) {
        let (p, l, u) = InvertibleLinear.randomRotationLU(c, using: &rng)
        permutation = Buffer(Tensor(shape: [c, c], scalars: p.map(Float.init)))
        lower = Parameter(Tensor(shape: [c, c], scalars: l.map(Float.init)))
        var upperValues = u, diagonal = [Double](repeating: 0, count: c)
        for i in 0..<c { diagonal[i] = u[i * c + i]; upperValues[i * c + i] = 0 }
        upper = Parameter(Tensor(shape: [c, c], scalars: upperValues.map(Float.init)))
        logScale = Parameter(Tensor(shape: [c], scalars: diagonal.map { Float(Foundation.log(Swift.abs($0))) }))
        sign = Buffer(Tensor(shape: [c], scalars: diagonal.map { $0 < 0 ? -1 : 1 }))
        var mask = [Float](repeating: 0, count: c * c), eye = [Float](repeating: 0, count: c * c)
        for i in 0..<c {
            eye[i * c + i] = 1
            for j in 0..<i { mask[i * c + j] = 1 }
        }
        lowerMask = Tensor(shape: [c, c], scalars: mask)
        identity = Tensor(shape: [c, c], scalars: eye)
    }

    var channels: Int { logScale.shape[0] }

    /// `W` from its factors, differentiable.
    public func weight() -> Tensor {
        let l = lower.value * lowerMask + identity
        let u = upper.value * lowerMask.transposed() + identity * (sign.value * logScale.value.exp()).reshaped([1, channels])
        return permutation.value.matmul(l).matmul(u)
    }

    /// Moves channels last and flattens the rest: `[N·H·W, C]` (a vector input is unchanged).
    private func rows(_ x: Tensor) -> Tensor {
        x.rank == 2 ? x : x.permuted(0, 2, 3, 1).reshaped([-1, channels])
    }

    private func unrows(_ r: Tensor, like x: Tensor) -> Tensor {
        x.rank == 2 ? r : r.reshaped([x.shape[0], x.shape[2], x.shape[3], channels]).permuted(0, 3, 1, 2)
    }

    private func check(_ x: Tensor) {
        precondition((x.rank == 2 || x.rank == 4) && x.shape[1] == channels,
                     "[InvertibleLinear] input \(x.shape) is not [N, \(channels)] or [N, \(channels), H, W]")
    }

    public func forward(_ x: Tensor) -> (y: Tensor, logDet: Tensor) {
        check(x)
        let y = unrows(rows(x).matmul(weight(), transposeOther: true), like: x)
        let spatial = Float(x.shape.dropFirst(2).reduce(1, *))
        return (y, Tensor(ones: [x.shape[0]]) * (logScale.value.sum() * spatial))
    }

    /// Through `W⁻¹`, inverted in double precision (sampling needs no gradient of it).
    public func inverse(_ y: Tensor) -> Tensor {
        check(y)
        let inverse = withoutGrad { InvertibleLinear.inverted(weight().scalars.map(Double.init), size: channels) }
        let w = Tensor(shape: [channels, channels], scalars: inverse.map(Float.init))
        return unrows(rows(y).matmul(w, transposeOther: true), like: y)
    }

    /// `P`, `L` (unit lower) and `U` (upper), row-major, with `Q = P·L·U` for a random rotation
    /// `Q` (Gram–Schmidt of a Gaussian matrix), factored with partial pivoting.
    static func randomRotationLU(_ c: Int, using rng: inout RandomGenerator) -> (p: [Double], l: [Double], u: [Double]) {
        var q = Tensor.normal([c, c], using: &rng).scalars.map(Double.init)
        for i in 0..<c {  // orthonormal rows
            for j in 0..<i {
                var dot = 0.0
                for k in 0..<c { dot += q[i * c + k] * q[j * c + k] }
                for k in 0..<c { q[i * c + k] -= dot * q[j * c + k] }
            }
            let norm = (0..<c).reduce(0.0) { $0 + q[i * c + $1] * q[i * c + $1] }.squareRoot()
            for k in 0..<c { q[i * c + k] /= norm }
        }
        // Doolittle with row pivoting: rows[i] is the row of Q that became row i, so
        // Q[rows[i]] = (L·U)[i] and Q = P·L·U with P[rows[i]][i] = 1.
        var a = q, rows = Array(0..<c)
        var l = [Double](repeating: 0, count: c * c)
        for k in 0..<c {
            let pivot = (k..<c).max { Swift.abs(a[$0 * c + k]) < Swift.abs(a[$1 * c + k]) }!
            if pivot != k {
                for j in 0..<c { a.swapAt(k * c + j, pivot * c + j) }
                for j in 0..<k { l.swapAt(k * c + j, pivot * c + j) }
                rows.swapAt(k, pivot)
            }
            l[k * c + k] = 1
            for i in (k + 1)..<c {
                let f = a[i * c + k] / a[k * c + k]
                l[i * c + k] = f
                for j in k..<c { a[i * c + j] -= f * a[k * c + j] }
            }
        }
        var p = [Double](repeating: 0, count: c * c)
        for i in 0..<c { p[rows[i] * c + i] = 1 }
        return (p, l, a)
    }

    /// The inverse of the `n × n` row-major matrix `m` by Gauss–Jordan elimination with pivoting.
    static func inverted(_ m: [Double], size n: Int) -> [Double] {
        var a = m, inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inv[i * n + i] = 1 }
        for k in 0..<n {
            let pivot = (k..<n).max { Swift.abs(a[$0 * n + k]) < Swift.abs(a[$1 * n + k]) }!
            if pivot != k {
                for j in 0..<n { a.swapAt(k * n + j, pivot * n + j); inv.swapAt(k * n + j, pivot * n + j) }
            }
            let d = a[k * n + k]
            for j in 0..<n { a[k * n + j] /= d; inv[k * n + j] /= d }
            for i in 0..<n where i != k {
                let f = a[i * n + k]
                if f == 0 { continue }
                for j in 0..<n { a[i * n + j] -= f * a[k * n + j]; inv[i * n + j] -= f * inv[k * n + j] }
            }
        }
        return inv
    }
}
