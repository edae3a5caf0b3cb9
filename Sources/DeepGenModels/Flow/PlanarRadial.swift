import DeepGen
import DeepGenNN
import Foundation

/// The planar flow of Rezende & Mohamed (2015) for vectors `[N, D]`:
/// `f(z) = z + û·tanh(wᵀz + b)`, `log |det J| = log |1 + ûᵀw·tanh′(wᵀz + b)|`, with `u` replaced by
/// `û = u + (m(wᵀu) − wᵀu)·w/‖w‖²`, `m(x) = −1 + softplus(x)` (their appendix), so `ŵᵀu ≥ −1` and the
/// map is invertible. The inverse solves the one monotone scalar equation along `w` by bisection.
public final class PlanarFlow: Module, FlowLayer {
    public let u: Parameter
    public let w: Parameter
    public let b: Parameter

    public var kind: String { "planar flow" }

    public init(features: Int, using rng: inout RandomGenerator) {
        u = Parameter(Tensor.normal([features], std: 0.1, using: &rng))
        w = Parameter(Tensor.normal([features], std: 0.1, using: &rng))
        b = Parameter(Tensor(zeros: [1]))
    }

    /// û of rows of `u` and `w` (`[N, D]`, or `[1, D]` shared by all rows), differentiable.
    static func constrained(u: Tensor, w: Tensor) -> Tensor {
        let rows = u.shape[0]
        let wu = (w * u).sum(axis: 1)
        let m = -1 + wu.softplus()
        return u + ((m - wu) / ((w * w).sum(axis: 1) + 1e-12)).reshaped([rows, 1]) * w
    }

    /// One planar flow on the rows of `z` `[N, D]`, with parameters per row (`u`, `w` `[N, D]`,
    /// `b` `[N]`; an amortized posterior's) or shared (`[1, D]` and `[1]`): `f(z)` and
    /// `log |det J|` per row.
    static func step(_ z: Tensor, u: Tensor, w: Tensor, b: Tensor) -> (z: Tensor, logDet: Tensor) {
        let n = z.shape[0]
        let uHat = constrained(u: u, w: w)
        let h = ((w * z).sum(axis: 1) + b).tanh()
        return (z + uHat * h.reshaped([n, 1]), (1 + (1 - h * h) * (w * uHat).sum(axis: 1)).abs().log())
    }

    /// û, differentiable.
    func uHat() -> Tensor { Self.constrained(u: u.value.reshaped([1, -1]), w: w.value.reshaped([1, -1])).reshaped([-1]) }

    public func forward(_ x: Tensor) -> (y: Tensor, logDet: Tensor) {
        let (y, logDet) = Self.step(x, u: u.value.reshaped([1, -1]), w: w.value.reshaped([1, -1]), b: b.value)
        return (y, logDet)
    }

    public func inverse(_ y: Tensor) -> Tensor {
        withoutGrad {
            let u = uHat().scalars, wv = w.value.scalars, bias = b.value.scalar
            let d = wv.count, n = y.shape[0]
            let wu = zip(wv, u).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            var out = y.scalars
            for i in 0..<n {
                let row = Array(out[(i * d)..<((i + 1) * d)])
                // wᵀy = α + wᵀû·tanh(α + b), increasing in α = wᵀz (wᵀû ≥ −1).
                let target = zip(wv, row).reduce(0) { $0 + Double($1.0) * Double($1.1) }
                var lo = target - abs(wu) - 1, hi = target + abs(wu) + 1
                for _ in 0..<100 {
                    let mid = 0.5 * (lo + hi)
                    if mid + wu * Foundation.tanh(mid + Double(bias)) < target { lo = mid } else { hi = mid }
                }
                let h = Float(Foundation.tanh(0.5 * (lo + hi) + Double(bias)))
                for j in 0..<d { out[i * d + j] = row[j] - u[j] * h }
            }
            return Tensor(shape: y.shape, scalars: out)
        }
    }
}

/// The radial flow of Rezende & Mohamed (2015) for vectors `[N, D]`:
/// `f(z) = z + β·h(α, r)·(z − z₀)`, `r = ‖z − z₀‖`, `h = 1/(α + r)`, with `α = softplus(α′) > 0`
/// and `β = −α + softplus(β′) ≥ −α` (invertible); `log |det J| = (D − 1)·log(1 + βh) +
/// log(1 + βh + βh′r)`. The inverse solves for r along the same ray by bisection.
public final class RadialFlow: Module, FlowLayer {
    public let center: Parameter
    public let alphaRaw: Parameter
    public let betaRaw: Parameter

    public var kind: String { "radial flow" }

    public init(features: Int, using rng: inout RandomGenerator) {
        center = Parameter(Tensor.normal([features], std: 1, using: &rng))
        alphaRaw = Parameter(Tensor.normal([1], using: &rng))
        betaRaw = Parameter(Tensor.normal([1], using: &rng))
    }

    func alphaBeta() -> (Tensor, Tensor) {
        let alpha = alphaRaw.value.softplus()
        return (alpha, -alpha + betaRaw.value.softplus())
    }

    public func forward(_ x: Tensor) -> (y: Tensor, logDet: Tensor) {
        let (alpha, beta) = alphaBeta()
        let d = Float(x.shape[1])
        let diff = x - center.value.reshaped([1, -1])
        let r = ((diff * diff).sum(axis: 1) + 1e-12).sqrt()  // [N]
        let h = 1 / (alpha + r)
        let bh = beta * h
        let y = x + bh.reshaped([-1, 1]) * diff
        // h′(r) = −h², so 1 + βh + βh′r = 1 + βh − βh²r.
        let logDet = (d - 1) * (1 + bh).log() + (1 + bh - beta * h * h * r).log()
        return (y, logDet)
    }

    public func inverse(_ y: Tensor) -> Tensor {
        withoutGrad {
            let (alphaT, betaT) = alphaBeta()
            let alpha = Double(alphaT.scalar), beta = Double(betaT.scalar)
            let c = center.value.scalars, d = c.count, n = y.shape[0]
            var out = y.scalars
            for i in 0..<n {
                // y − z₀ = (1 + β/(α + r))(z − z₀): solve ‖y − z₀‖ = r + βr/(α + r) for r ≥ 0.
                let diff = (0..<d).map { Double(out[i * d + $0]) - Double(c[$0]) }
                let target = diff.reduce(0) { $0 + $1 * $1 }.squareRoot()
                var lo = 0.0, hi = target + abs(beta) + 1
                for _ in 0..<100 {
                    let mid = 0.5 * (lo + hi)
                    if mid + beta * mid / (alpha + mid) < target { lo = mid } else { hi = mid }
                }
                let r = 0.5 * (lo + hi)
                let scale = 1 + beta / (alpha + r)
                for j in 0..<d { out[i * d + j] = Float(Double(c[j]) + diff[j] / scale) }
            }
            return Tensor(shape: y.shape, scalars: out)
        }
    }
}
