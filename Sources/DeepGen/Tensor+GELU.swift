import DeepGenKernels
import Foundation

extension Tensor {
    /// The Gaussian error linear unit `x·Φ(x) = x/2 · (1 + erf(x/√2))` in its exact (erf) form,
    /// PyTorch's `nn.GELU()` default. The gradient is `Φ(x) + x·φ(x)`, itself differentiable.
    public func gelu() -> Tensor {
        let x = self, out = mapVector(GELUVector())
        return Tensor.record("gelu", out, inputs: [x]) { g in
            if GradMode.isEnabled { return [g * x.geluDerivative()] }
            // g·GELU′(x) in one pass: the same products as the two ops, without the derivative's tensor.
            return [g.zipVector(x, GELUBackwardVector())]
        }
    }

    /// `Φ(x) + x·φ(x)`; its own derivative is `φ(x)·(2 − x²)`.
    func geluDerivative() -> Tensor {
        let x = self, out = mapVector(GELUDerivativeVector())
        return Tensor.record("geluDerivative", out, inputs: [x]) { g in
            let density = (x.square() * -0.5).exp() * Float(1 / (2 * Double.pi).squareRoot())
            return [g * density * (2 - x.square())]
        }
    }

    /// GELU(v) (what of ``geluAndDerivativeVector(_:)`` is not used is dropped at compile time).
    @_transparent
    static func geluVector(_ v: VectorMath.V) -> VectorMath.V { geluAndDerivativeVector(v).value }

    @_transparent
    static func geluDerivativeVector(_ v: VectorMath.V) -> VectorMath.V { geluAndDerivativeVector(v).derivative }

    /// GELU(v) = `v/2·(1 + erf(v/√2))` and GELU′(v) = `Φ(v) + v·φ(v)` from one erf and one
    /// exponential: erf(v/√2) needs e^{−v²/2}, which is also the density's.
    @_transparent
    static func geluAndDerivativeVector(_ v: VectorMath.V) -> (value: VectorMath.V, derivative: VectorMath.V) {
        let u = v * Float(0.5.squareRoot())
        let a = u.replacing(with: -u, where: u .< 0)
        let e = VectorMath.exp(-a * a)
        let r = erfVector(u, magnitude: a, expMinusSquare: e)
        let pdf = e * Float(1 / (2 * Double.pi).squareRoot())
        return (0.5 * v * (1 + r), 0.5 * (1 + r) + v * pdf)
    }

    /// erf of `v` given |v| and e^{−v²}, by Abramowitz & Stegun 7.1.26 (absolute error below
    /// 1.5·10⁻⁷, under Float's rounding of values near 1), odd-extended; NaN stays NaN.
    @_transparent
    static func erfVector(_ v: VectorMath.V, magnitude a: VectorMath.V, expMinusSquare e: VectorMath.V) -> VectorMath.V {
        let t = 1 / (1 + 0.3275911 * a)
        var p = VectorMath.V(repeating: 1.061405429)
        p = p * t - 1.453152027
        p = p * t + 1.421413741
        p = p * t - 0.284496736
        p = p * t + 0.254829592
        var r = 1 - p * t * e
        r.replace(with: -r, where: v .< 0)
        r.replace(with: v, where: v .!= v)
        return r
    }
}

struct GELUVector: UnaryVectorFunction {
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { Tensor.geluVector(v) }
}

struct GELUDerivativeVector: UnaryVectorFunction {
    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { Tensor.geluDerivativeVector(v) }
}

/// g·GELU′(x).
struct GELUBackwardVector: BinaryVectorFunction {
    @_transparent func callAsFunction(_ g: VectorMath.V, _ x: VectorMath.V) -> VectorMath.V { g * Tensor.geluDerivativeVector(x) }
}
