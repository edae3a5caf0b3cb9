import DeepGen
import Foundation

/// The worst disagreement found by ``gradientCheck(_:at:epsilon:seed:)``.
public struct GradientCheckResult: CustomStringConvertible {
    /// Largest `|analytic − numeric| / (atol + rtol·|numeric|)` over all checked elements; ≤ 1 passes.
    public var worstRatio: Double
    public var worst: String
    public var description: String { "worst ratio \(worstRatio) at \(worst)" }
}

/// Compares autograd gradients of `f` with central finite differences.
///
/// `f`'s output is reduced to a scalar by a fixed random projection (summed in Double), so every
/// output element's Jacobian row is exercised. Inputs larger than `maxElements` are checked at
/// `maxElements` evenly spaced elements (for layers too slow to perturb one element at a time).
public func gradientCheck(
    _ f: ([Tensor]) -> Tensor, at inputs: [Tensor], epsilon: Float = 1e-3,
    atol: Double = 1e-3, rtol: Double = 1e-2, seed: UInt64 = 7, maxElements: Int = .max
) -> GradientCheckResult {
    let leaves = inputs.map { $0.requiringGrad() }
    let probe = f(leaves)
    var rng = RandomGenerator(seed: seed)
    let projection = Tensor.normal(probe.shape, using: &rng)
    let analytic = gradients(of: (probe * projection).sum(), with: leaves)

    func projected(_ xs: [Tensor]) -> Double {
        // Inputs still track gradients: `f` may differentiate internally (gradient penalties).
        let y = f(xs.map { $0.requiringGrad() })
        return zip(y.scalars, projection.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    var result = GradientCheckResult(worstRatio: 0, worst: "nothing checked")
    for (k, x) in inputs.enumerated() {
        let a = analytic[k].scalars
        let step = x.count <= maxElements ? 1 : (x.count + maxElements - 1) / maxElements
        for i in stride(from: 0, to: x.count, by: step) {
            var plus = inputs, minus = inputs
            plus[k].withUnsafeMutableBufferPointer { $0[i] += epsilon }
            minus[k].withUnsafeMutableBufferPointer { $0[i] -= epsilon }
            // Use the perturbation actually representable in Float.
            let h = Double(plus[k].scalars[i]) - Double(minus[k].scalars[i])
            let numeric = (projected(plus) - projected(minus)) / h
            let ratio = Swift.abs(Double(a[i]) - numeric) / (atol + rtol * Swift.abs(numeric))
            if ratio > result.worstRatio {
                result = GradientCheckResult(worstRatio: ratio, worst: "input \(k) element \(i): analytic \(a[i]), numeric \(numeric)")
            }
        }
    }
    return result
}

/// Whether two tensors have the same shape and agree within `atol + rtol·|expected|` elementwise;
/// returns a message describing the worst element otherwise.
public func closeness(_ actual: Tensor, _ expected: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4) -> String? {
    guard actual.shape == expected.shape else { return "shape \(actual.shape) != expected \(expected.shape)" }
    var worst: (ratio: Float, index: Int) = (0, -1)
    let a = actual.scalars, e = expected.scalars
    for i in a.indices {
        let ratio = Swift.abs(a[i] - e[i]) / (atol + rtol * Swift.abs(e[i]))
        if !(ratio <= 1) && (ratio > worst.ratio || ratio.isNaN) { worst = (ratio.isNaN ? .infinity : ratio, i) }
    }
    return worst.index < 0 ? nil : "element \(worst.index): \(a[worst.index]) vs expected \(e[worst.index]) (ratio \(worst.ratio))"
}
