import DeepGen

/// Precision and recall of generated features against real ones with k-nearest-neighbour
/// manifolds (Kynkäänniemi et al. 2019), and density and coverage (Naeem et al. 2020) from the
/// same distances. Each sample's ball has the radius of its k-th nearest neighbour in its own set.
public struct ManifoldMetrics: Codable, Equatable, Sendable {
    /// Share of generated samples inside some real sample's ball: fidelity.
    public var precision: Double
    /// Share of real samples inside some generated sample's ball: coverage of the data's modes.
    public var recall: Double
    /// Real balls containing each generated sample, averaged and divided by k (≈ 1 for a match).
    public var density: Double
    /// Share of real balls that contain at least one generated sample.
    public var coverage: Double
    public var k: Int

    /// - Parameters: `real` `[N, d]`, `fake` `[M, d]`, with N, M > k.
    public init(real: Tensor, fake: Tensor, k: Int = 3) throws {
        guard real.rank == 2, fake.rank == 2, real.shape[1] == fake.shape[1] else {
            throw MetricError.shapeMismatch("precision/recall need [N, d] and [M, d] features, got \(real.shape) and \(fake.shape)")
        }
        guard k >= 1, real.shape[0] > k, fake.shape[0] > k else {
            throw MetricError.notEnoughSamples("precision/recall with k = \(k) need more than \(k) samples per set, got \(real.shape[0]) and \(fake.shape[0])")
        }
        let realRadii = kthNeighbourDistances(real, k: k)
        let fakeRadii = kthNeighbourDistances(fake, k: k)
        var inReal = 0, ballCount = 0
        var realCovered = [Bool](repeating: false, count: real.shape[0])
        forEachDistanceRow(fake, real) { _, distances in
            var inside = 0
            for (i, dist) in distances.enumerated() where dist <= realRadii[i] { inside += 1; realCovered[i] = true }
            if inside > 0 { inReal += 1 }
            ballCount += inside
        }
        var inFake = 0
        forEachDistanceRow(real, fake) { _, distances in
            if distances.enumerated().contains(where: { $0.element <= fakeRadii[$0.offset] }) { inFake += 1 }
        }
        let m = Double(fake.shape[0]), n = Double(real.shape[0])
        precision = Double(inReal) / m
        recall = Double(inFake) / n
        density = Double(ballCount) / (Double(k) * m)
        coverage = Double(realCovered.filter { $0 }.count) / n
        self.k = k
    }
}

/// Each row's distance to its k-th nearest other row of the same set (the set includes the row
/// itself at distance 0, so this is the (k+1)-th smallest, as in the reference code).
func kthNeighbourDistances(_ x: Tensor, k: Int) -> [Float] {
    var radii = [Float](repeating: 0, count: x.shape[0])
    forEachDistanceRow(x, x) { row, distances in
        var smallest = [Float](repeating: .infinity, count: k + 1)  // ascending
        for dist in distances where dist < smallest[k] {
            var j = k
            while j > 0 && smallest[j - 1] > dist { smallest[j] = smallest[j - 1]; j -= 1 }
            smallest[j] = dist
        }
        radii[row] = smallest[k]
    }
    return radii
}

/// Calls `body(i, distances)` with the Euclidean distances from row i of `a` to every row of `b`,
/// computing blocks of rows as ‖a‖² + ‖b‖² − 2abᵀ with the matrix multiply.
func forEachDistanceRow(_ a: Tensor, _ b: Tensor, blockRows: Int = 512, _ body: (Int, [Float]) -> Void) {
    let m = b.shape[0]
    let bNorms = rowSquaredNorms(b)
    let aNorms = rowSquaredNorms(a)
    var start = 0
    while start < a.shape[0] {
        let end = min(start + blockRows, a.shape[0])
        let products = a.sliced(axis: 0, start..<end).matmul(b, transposeOther: true)
        products.withUnsafeBufferPointer { p in
            var row = [Float](repeating: 0, count: m)
            for i in start..<end {
                let base = (i - start) * m
                for j in 0..<m { row[j] = max(aNorms[i] + bNorms[j] - 2 * p[base + j], 0).squareRoot() }
                body(i, row)
            }
        }
        start = end
    }
}

func rowSquaredNorms(_ x: Tensor) -> [Float] {
    let d = x.shape[1]
    return x.withUnsafeBufferPointer { p in
        (0..<x.shape[0]).map { i in
            var s: Float = 0
            for j in 0..<d { s += p[i * d + j] * p[i * d + j] }
            return s
        }
    }
}
