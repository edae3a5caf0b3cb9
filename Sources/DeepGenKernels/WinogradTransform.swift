/// The matrices of Winograd's minimal filtering algorithm F(m×m, r×r) (Lavin & Gray 2016):
/// an `m×m` output tile of an `r×r` cross-correlation is `Aᵀ [(G w Gᵀ) ⊙ (Bᵀ d B)] A`, where `d`
/// is the `α×α` input tile (`α = m + r − 1`), with `α²` multiplications instead of `m²r²`.
///
/// The matrices come from Toom-Cook polynomial multiplication at the points 0, ±1, ±2, ±½, …
/// and ∞, computed here in double precision rather than typed in, so any `(m, r)` with
/// `α ≤ 10` is available. With `Va`/`Vb` the evaluation matrices of the two factors and `Vc`
/// that of their product: `Aᵀ = Vaᵀ`, `G = Vb`, `Bᵀ = (Vc⁻¹)ᵀ`; each row of `Bᵀ` is scaled to
/// a smallest nonzero entry of ±1 and the matching row of `G` by the inverse, which keeps `Bᵀ`
/// in small integers (Lavin's tables up to signs) and puts the fractions on the weights.
public struct WinogradTransform: Sendable, Equatable {
    /// Output tile side `m`.
    public let outputTile: Int
    /// Kernel side `r`.
    public let kernelSize: Int
    /// Input tile side `α = m + r − 1`.
    public var tile: Int { outputTile + kernelSize - 1 }
    /// `Aᵀ`, `m×α`, row-major.
    public let outputMatrix: [Float]
    /// `G`, `α×r`, row-major.
    public let kernelMatrix: [Float]
    /// `Bᵀ`, `α×α`, row-major.
    public let inputMatrix: [Float]

    public init(outputTile m: Int, kernelSize r: Int) {
        let alpha = m + r - 1
        require(m >= 1 && r >= 1 && alpha <= 10, "[Winograd] F(\(m), \(r)) is not supported")
        let allPoints: [Double] = [0, 1, -1, 2, -2, 0.5, -0.5, 3, -3]
        let points = Array(allPoints.prefix(alpha - 1))
        func power(_ p: Double, _ e: Int) -> Double { e == 0 ? 1 : (1...e).reduce(1) { acc, _ in acc * p } }
        // Evaluation matrices; the last row is the point at infinity (the leading coefficient).
        func evaluation(columns: Int) -> [[Double]] {
            points.map { p in (0..<columns).map { power(p, $0) } }
                + [(0..<columns).map { $0 == columns - 1 ? 1 : 0 }]
        }
        let va = evaluation(columns: m), vb = evaluation(columns: r), vc = evaluation(columns: alpha)
        let vcInverse = Self.inverse(vc)
        var bt = (0..<alpha).map { i in (0..<alpha).map { j in vcInverse[j][i] } }
        var g = vb
        for j in 0..<alpha {
            // The inverse's zeros come out as rounding residue (~1e-17); make them zeros again.
            let largest = bt[j].map(abs).max()!
            bt[j] = bt[j].map { abs($0) < 1e-9 * largest ? 0 : $0 }
            // Smallest nonzero magnitude, with the sign of the row's first nonzero entry.
            let nonzero = bt[j].filter { $0 != 0 }
            let s = nonzero.map(abs).min()! * (nonzero[0] < 0 ? -1 : 1)
            bt[j] = bt[j].map { $0 / s }
            g[j] = g[j].map { $0 * s }
        }
        outputTile = m
        kernelSize = r
        outputMatrix = (0..<m).flatMap { i in (0..<alpha).map { j in Float(va[j][i]) } }
        kernelMatrix = g.flatMap { $0.map(Float.init) }
        inputMatrix = bt.flatMap { $0.map(Float.init) }
    }

    /// Gauss-Jordan inverse with partial pivoting (the Vandermonde matrices here are ≤ 10×10).
    static func inverse(_ a: [[Double]]) -> [[Double]] {
        let n = a.count
        var m = a.map { $0 }, inv = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for col in 0..<n {
            let pivot = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
            m.swapAt(col, pivot); inv.swapAt(col, pivot)
            let d = m[col][col]
            m[col] = m[col].map { $0 / d }; inv[col] = inv[col].map { $0 / d }
            for row in 0..<n where row != col {
                let f = m[row][col]
                if f == 0 { continue }
                for k in 0..<n { m[row][k] -= f * m[col][k]; inv[row][k] -= f * inv[col][k] }
            }
        }
        return inv
    }
}
