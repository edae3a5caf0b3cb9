import Foundation

/// μ-law companding with μ = 255 into 256 levels, as WaveNet quantises audio: fine steps near
/// silence, coarse ones near full scale.
///
/// `encode` maps x to f(x) = sign(x)·ln(1 + μ|x|)/ln(1 + μ) and then to the level
/// q = ⌊(f + 1)/2 · μ + ½⌋ in 0...255; `decode` inverts it: y = (2q − μ)/μ,
/// x = sign(y)·((1 + μ)^|y| − 1)/μ. So `encode(decode(q)) == q` for every level,
/// `decode(0) == −1`, `decode(255) == 1`, and `decode(q) == −decode(255 − q)`. Silence encodes
/// to 128, whose decoded value is the smallest positive step (≈ 8.6·10⁻⁵), not 0: 256 levels
/// have no middle one.
public enum MuLaw {
    /// μ.
    public static let mu = 255
    /// The number of levels, μ + 1.
    public static let levels = 256
    /// The level silence (and NaN) encodes to.
    public static let silence = 128

    /// The level of `x`, in 0...255. Values beyond ±1 (and ±infinity) are clipped to ±1 first, so
    /// they land on the end levels instead of overflowing to 256. NaN, which no finite signal
    /// holds, encodes as silence (128) rather than trapping: audio datasets reject NaN when they
    /// read a file, and a model's output should not crash the program that quantises it.
    @inlinable
    public static func encode(_ x: Float) -> Int {
        guard !x.isNaN else { return silence }
        let clipped = Double(Swift.min(Swift.max(x, -1), 1))
        let magnitude = Foundation.log1p(255 * Swift.abs(clipped)) / logOnePlusMu
        let f = clipped < 0 ? -magnitude : magnitude
        return Int(((f + 1) / 2 * 255 + 0.5).rounded(.down))
    }

    /// The value level `q` (in 0...255) stands for, in [−1, 1].
    @inlinable
    public static func decode(_ q: Int) -> Float {
        precondition(q >= 0 && q < levels, "[MuLaw.decode] level \(q) is outside 0...255")
        return decodedLevels[q]
    }

    /// The levels of `samples`.
    public static func encode(_ samples: [Float]) -> [Int] { samples.map { encode($0) } }

    /// The values `levels` stand for.
    public static func decode(_ levels: [Int]) -> [Float] { levels.map { decode($0) } }

    @usableFromInline static let logOnePlusMu = Foundation.log(256.0)

    /// Every level's value, computed once in double precision. The numerator 2q − μ is an exact
    /// integer, so y (and with it the table) is exactly odd-symmetric: y(255 − q) = −y(q).
    @usableFromInline static let decodedLevels: [Float] = (0..<256).map { q in
        let y = Double(2 * q - 255) / 255
        let magnitude = (Foundation.pow(256, Swift.abs(y)) - 1) / 255
        return Float(y < 0 ? -magnitude : magnitude)
    }
}
