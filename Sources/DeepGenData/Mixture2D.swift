import DeepGen
import Foundation

/// The synthetic 2-D distributions of the mode-collapse literature.
public enum Mixture2D: String, Sendable, Codable, CaseIterable {
    /// 8 Gaussians on a circle of radius 1 at angles 2πk/8 (k = 0…7), σ = 0.01. (Not
    /// `linspace(0, 2π, 8)`, whose first and last angles coincide and leave 7 modes.)
    case ring8
    /// 25 Gaussians at {−4, −2, 0, 2, 4}², σ = 0.05.
    case grid25
    /// Two interleaved spiral arms (label = arm), radius growing linearly to 1 over 1.5 turns,
    /// with Gaussian noise σ = 0.02.
    case spiral
    /// scikit-learn's swiss roll projected to (x, z) and divided by 7.5, as in the WGAN-GP toy
    /// experiments: t = 1.5π(1 + 2u), point (t cos t, t sin t) + N(0, 0.25²) noise.
    case swissRoll
    /// scikit-learn's two moons (`make_moons`, noise 0.05; label = moon): the upper half circle
    /// (cos t, sin t) and the lower one (1 − cos t, 0.5 − sin t), t uniform in [0, π].
    case twoMoons

    /// The means of the modes (empty for the continuous spiral and swiss roll).
    public var centers: [(x: Float, y: Float)] {
        switch self {
        case .ring8:
            return (0..<8).map { k in
                let angle = 2 * Double.pi * Double(k) / 8
                return (Float(cos(angle)), Float(sin(angle)))
            }
        case .grid25:
            return [-4, -2, 0, 2, 4].flatMap { x in [-4, -2, 0, 2, 4].map { y in (Float(x), Float(y)) } }
        case .spiral, .swissRoll, .twoMoons:
            return []
        }
    }

    /// The standard deviation of each mode (of the noise for spiral and swiss roll).
    public var standardDeviation: Float {
        switch self {
        case .ring8: return 0.01
        case .grid25: return 0.05
        case .spiral: return 0.02
        case .swissRoll: return 0.25 / 7.5
        case .twoMoons: return 0.05
        }
    }

    /// Draws `count` points as a `[count, 2]` tensor and their labels (mode index, spiral arm, or 0).
    public func sample(_ count: Int, using rng: inout RandomGenerator) -> (points: Tensor, labels: [Int]) {
        var values = [Float]()
        values.reserveCapacity(count * 2)
        var labels = [Int]()
        labels.reserveCapacity(count)
        for _ in 0..<count {
            let (point, label) = draw(using: &rng)
            values += [point.x, point.y]
            labels.append(label)
        }
        return (Tensor(shape: [count, 2], scalars: values), labels)
    }

    /// One point and its label.
    public func draw(using rng: inout RandomGenerator) -> (point: (x: Float, y: Float), label: Int) {
        switch self {
        case .ring8, .grid25:
            let modes = centers
            let k = rng.nextInt(below: modes.count)
            let (nx, ny) = rng.nextNormalPair()
            let s = standardDeviation
            return ((modes[k].x + s * nx, modes[k].y + s * ny), k)
        case .spiral:
            let arm = rng.nextInt(below: 2)
            let u = rng.nextUniform()
            let angle = Double(u) * 3 * Double.pi + Double(arm) * Double.pi
            let (nx, ny) = rng.nextNormalPair()
            let r = Double(u)
            return ((Float(r * cos(angle)) + 0.02 * nx, Float(r * sin(angle)) + 0.02 * ny), arm)
        case .swissRoll:
            let t = 1.5 * Double.pi * (1 + 2 * Double(rng.nextUniform()))
            let (nx, ny) = rng.nextNormalPair()
            let x = (t * cos(t) + 0.25 * Double(nx)) / 7.5, y = (t * sin(t) + 0.25 * Double(ny)) / 7.5
            return ((Float(x), Float(y)), 0)
        case .twoMoons:
            let moon = rng.nextInt(below: 2)
            let t = Double.pi * Double(rng.nextUniform())
            let (nx, ny) = rng.nextNormalPair()
            let (x, y) = moon == 0 ? (cos(t), sin(t)) : (1 - cos(t), 0.5 - sin(t))
            return ((Float(x) + 0.05 * nx, Float(y) + 0.05 * ny), moon)
        }
    }
}

/// A fixed set of points drawn once from a ``Mixture2D`` with a seed, so epochs and the loader
/// work as for image datasets. (For a fresh draw each step, call ``Mixture2D/sample(_:using:)``.)
public struct Mixture2DDataset: ModalDataset {
    public let mixture: Mixture2D
    private let points: [Float]
    private let labels: [Int]

    /// Draws `count` points from `mixture` with a generator seeded by `seed`.
    public init(_ mixture: Mixture2D, count: Int = 100_000, seed: UInt64) {
        precondition(count > 0, "[Mixture2DDataset] count must be positive, got \(count)")
        self.mixture = mixture
        var rng = RandomGenerator(seed: seed)
        let (tensor, labels) = mixture.sample(count, using: &rng)
        self.points = tensor.scalars
        self.labels = labels
    }

    public var count: Int { labels.count }
    public var sampleShape: [Int] { [2] }

    public var modes: (centers: [(x: Float, y: Float)], standardDeviation: Float)? {
        mixture.centers.isEmpty ? nil : (mixture.centers, mixture.standardDeviation)
    }

    public func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
        checkIndex(index)
        return Sample(values: [points[2 * index], points[2 * index + 1]], label: labels[index])
    }
}
