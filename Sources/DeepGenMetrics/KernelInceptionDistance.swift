import DeepGen

/// KID (Bińkowski et al. 2018): the unbiased estimate of the squared MMD between two feature
/// sets under the cubic polynomial kernel k(a, b) = (aᵀb / d + 1)³, averaged over random subsets.
public struct KernelDistance: Codable, Equatable, Sendable {
    public var mean: Double
    /// Standard deviation over the subsets (numpy's `std`, ddof 0, as reference implementations).
    public var standardDeviation: Double
    public var subsets: Int
    public var subsetSize: Int
}

/// The polynomial kernel matrix `[n, m]` of `x` and `y` (rows are feature vectors of size d).
func polynomialKernel(_ x: Tensor, _ y: Tensor) -> Tensor {
    let d = Float(x.shape[1])
    let inner = x.matmul(y, transposeOther: true) / d + 1
    return inner * inner * inner
}

/// The unbiased MMD² estimate of one pair of equally sized sets (rows of `x` and `y`):
/// the mean off-diagonal kernel within each set minus twice the mean kernel across them.
public func unbiasedMMD2(_ x: Tensor, _ y: Tensor) throws -> Double {
    guard x.rank == 2, y.rank == 2, x.shape == y.shape else {
        throw MetricError.shapeMismatch("KID needs two [m, d] feature sets of the same shape, got \(x.shape) and \(y.shape)")
    }
    let m = x.shape[0]
    guard m >= 2 else { throw MetricError.notEnoughSamples("KID needs at least 2 samples per set, got \(m)") }
    func sums(_ k: Tensor) -> (total: Double, diagonal: Double) {
        k.withUnsafeBufferPointer { p in
            var total = 0.0, diagonal = 0.0
            for i in 0..<m {
                var row = 0.0
                for j in 0..<k.shape[1] { row += Double(p[i * k.shape[1] + j]) }
                total += row
                if k.shape[0] == k.shape[1] { diagonal += Double(p[i * m + i]) }
            }
            return (total, diagonal)
        }
    }
    let xx = sums(polynomialKernel(x, x)), yy = sums(polynomialKernel(y, y)), xy = sums(polynomialKernel(x, y))
    let pairs = Double(m) * Double(m - 1)
    return (xx.total - xx.diagonal) / pairs + (yy.total - yy.diagonal) / pairs - 2 * xy.total / (Double(m) * Double(m))
}

/// KID over `subsets` random pairs of subsets of `subsetSize` rows (drawn without replacement
/// within a subset; the size shrinks to the smaller set if needed).
public func kernelInceptionDistance(_ x: Tensor, _ y: Tensor, subsets: Int = 100, subsetSize: Int = 1000,
                                    seed: UInt64 = 0) throws -> KernelDistance {
    guard x.rank == 2, y.rank == 2, x.shape[1] == y.shape[1] else {
        throw MetricError.shapeMismatch("KID needs [n, d] and [m, d] feature sets, got \(x.shape) and \(y.shape)")
    }
    guard subsets >= 1 else { throw MetricError.notEnoughSamples("KID needs at least one subset") }
    let size = min(subsetSize, x.shape[0], y.shape[0])
    var rng = RandomGenerator(seed: seed)
    var values: [Double] = []
    for _ in 0..<subsets {
        let xs = x.gatherRows(rng.choose(size, from: x.shape[0]))
        let ys = y.gatherRows(rng.choose(size, from: y.shape[0]))
        values.append(try unbiasedMMD2(xs, ys))
    }
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    return KernelDistance(mean: mean, standardDeviation: variance.squareRoot(), subsets: subsets, subsetSize: size)
}

extension RandomGenerator {
    /// `count` distinct indices of `0..<n` in random order (a partial Fisher–Yates shuffle).
    mutating func choose(_ count: Int, from n: Int) -> [Int] {
        precondition(count <= n, "[choose] \(count) of \(n)")
        var pool = Array(0..<n)
        for i in 0..<count { pool.swapAt(i, i + nextInt(below: n - i)) }
        return Array(pool.prefix(count))
    }
}

extension Tensor {
    /// The rows `indices` of a `[N, d]` tensor, as a new `[indices.count, d]` tensor.
    func gatherRows(_ indices: [Int]) -> Tensor {
        let d = shape[1]
        return withUnsafeBufferPointer { p in
            var out = [Float](repeating: 0, count: indices.count * d)
            for (r, i) in indices.enumerated() { for j in 0..<d { out[r * d + j] = p[i * d + j] } }
            return Tensor(shape: [indices.count, d], scalars: out)
        }
    }
}
