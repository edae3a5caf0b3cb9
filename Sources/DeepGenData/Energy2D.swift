import DeepGen
import Foundation

/// The four unnormalized 2-D densities `p(z) ∝ exp(−U(z))` of Rezende & Mohamed (2015, Table 1,
/// Fig. 3), which a flow fits by minimizing the reverse KL divergence.
///
/// U2–U4 do not grow in z₁, so `exp(−U)` has no finite integral on the plane; the paper shows them
/// on [−4, 4]². DeepGen's targets are the densities on that square: every U here adds a wall
/// `50·Σᵢ max(|zᵢ| − 4, 0)²` outside it (zero inside, so the plotted densities are unchanged), which
/// makes the normalizer, and the KL divergence reported, finite.
public enum Energy2D: String, Sendable, Codable, CaseIterable {
    case u1, u2, u3, u4

    /// Half the side of the square the densities live on.
    public static let extent: Float = 4

    /// U(z) of each row of `z` `[N, 2]`, differentiable, wall included.
    public func energy(_ z: Tensor) -> Tensor {
        let z1 = z.sliced(axis: 1, 0..<1).reshaped([-1]), z2 = z.sliced(axis: 1, 1..<2).reshaped([-1])
        func square(_ t: Tensor) -> Tensor { t * t }
        /// −log(exp(a) + exp(b)) for rows of exponents a, b.
        func negLogSumExp(_ a: Tensor, _ b: Tensor) -> Tensor { -Tensor.stack([a, b], axis: 1).logSumExp(axis: 1) }
        let w1 = (Float(2 * Double.pi / 4) * z1).sin()
        let u: Tensor
        switch self {
        case .u1:
            let radius = (z1 * z1 + z2 * z2 + 1e-12).sqrt()
            u = 0.5 * square((radius - 2) / 0.4) + negLogSumExp(-0.5 * square((z1 - 2) / 0.6), -0.5 * square((z1 + 2) / 0.6))
        case .u2:
            u = 0.5 * square((z2 - w1) / 0.4)
        case .u3:
            let w2 = 3 * (-0.5 * square((z1 - 1) / 0.6)).exp()
            u = negLogSumExp(-0.5 * square((z2 - w1) / 0.35), -0.5 * square((z2 - w1 + w2) / 0.35))
        case .u4:
            let w3 = 3 * ((z1 - 1) / 0.3).sigmoid()
            u = negLogSumExp(-0.5 * square((z2 - w1) / 0.4), -0.5 * square((z2 - w1 + w3) / 0.35))
        }
        let outside = (z.abs() - Energy2D.extent).relu()
        return u + 50 * (outside * outside).sum(axis: 1)
    }

    /// log Z = log ∫ exp(−U) by the midpoint rule on a `cells`² grid over [−6, 6]² (past the
    /// wall's first two units the remaining mass is below e⁻⁵⁰ of the inside's).
    public func logNormalizer(cells: Int = 600) -> Double {
        let half = 6.0, h = 2 * half / Double(cells)
        var values = [Float]()
        values.reserveCapacity(cells * cells * 2)
        for i in 0..<cells {
            for j in 0..<cells { values += [Float(-half + (Double(i) + 0.5) * h), Float(-half + (Double(j) + 0.5) * h)] }
        }
        let u = withoutGrad { energy(Tensor(shape: [cells * cells, 2], scalars: values)) }.scalars.map { -Double($0) }
        let top = u.max()!
        return top + log(u.reduce(0.0) { $0 + exp($1 - top) } * h * h)
    }
}

/// Base noise for fitting an energy: `count` points of `N(0, I)` in 2-D, drawn once from the seed.
public struct EnergyDataset: Dataset {
    public let energy: Energy2D
    private let points: [Float]

    public init(_ energy: Energy2D, count: Int, seed: UInt64) {
        precondition(count > 0, "[EnergyDataset] count must be positive, got \(count)")
        self.energy = energy
        var rng = RandomGenerator(seed: seed)
        points = Tensor.normal([count, 2], using: &rng).scalars
    }

    public var count: Int { points.count / 2 }
    public var sampleShape: [Int] { [2] }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
        checkIndex(index)
        return Sample(values: [points[2 * index], points[2 * index + 1]], label: 0)
    }
}
