import Foundation
import Testing
@testable import DeepGenKernels

/// Distance in units in the last place, counting across zero and into subnormals.
func ulps(_ a: Float, _ b: Float) -> Int {
    if a == b || (a.isNaN && b.isNaN) { return 0 }
    if a.isNaN != b.isNaN || a.isInfinite || b.isInfinite { return Int.max }
    func ordered(_ f: Float) -> Int { let i = Int(Int32(bitPattern: f.bitPattern)); return i < 0 ? Int(Int32.min) - i : i }
    return Swift.abs(ordered(a) - ordered(b))
}

/// A vector function given as a closure, for the tests (the library's own are types, so they inline).
private struct Function: UnaryVectorFunction {
    let f: (VectorMath.V) -> VectorMath.V
    init(_ f: @escaping (VectorMath.V) -> VectorMath.V) { self.f = f }
    func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { f(v) }
}

@Suite struct VectorMathTests {
    /// The sum of squares (gradient clipping's norm): exact where every partial sum is an
    /// integer, for every tail length around the sixteen interleaved sums, and within 1e-14 of a
    /// Float80 sum on 100,003 random floats.
    @Test func sumOfSquaresMatchesTheNaiveSum() {
        for n in 0...40 {
            let ints = (0..<n).map { Float($0 % 7) - 3 }
            #expect(VectorMath.sumOfSquares(ints, count: n) == ints.reduce(0.0) { $0 + Double($1) * Double($1) }, "n = \(n)")
        }
        var state: UInt32 = 1
        let xs = (0..<100_003).map { _ -> Float in state = state &* 1_664_525 &+ 1_013_904_223; return Float(state >> 8) / 65536 - 128 }
        // Against Float80 (x86), whose sum of these exact squares is far closer than either's.
        let exact = xs.reduce(Float80(0)) { $0 + Float80($1) * Float80($1) }
        #expect(abs(Float80(VectorMath.sumOfSquares(xs, count: xs.count)) - exact) <= exact * 1e-14)
    }

    static func sweep(_ low: Float, _ high: Float, count: Int = 20000) -> [Float] {
        (0..<count).map { low + (high - low) * Float($0) / Float(count - 1) }
    }

    @Test func expMatchesLibm() {
        let xs = Self.sweep(-110, 90) + Self.sweep(-1, 1) + [0, -0.0, .infinity, -.infinity, .nan, 88.72, 88.73, -87.3, -103.9]
        var out = [Float](repeating: 0, count: xs.count)
        VectorMath.apply(xs, &out, count: xs.count, Function(VectorMath.exp))
        var worst = 0
        for (x, y) in zip(xs, out) {
            let expected = Foundation.exp(x)
            // Subnormal results carry fewer significant bits; compare them absolutely.
            if Swift.abs(expected) < 1.2e-38 { #expect(Swift.abs(y - expected) <= 2e-45 + 1e-6 * expected, "exp(\(x))"); continue }
            worst = Swift.max(worst, ulps(y, expected))
        }
        #expect(worst <= 3, "worst exp error \(worst) ulps")
    }

    @Test func log1pMatchesLibm() {
        let xs = Self.sweep(1e-12, 1e-3) + Self.sweep(1e-3, 1) + Self.sweep(-0.999, 0) + Self.sweep(1, 1e20)
            + [0, -0.0, 1e-30, 1e-45, -1e-20, .infinity, .nan]
        var out = [Float](repeating: 0, count: xs.count)
        VectorMath.apply(xs, &out, count: xs.count, Function(VectorMath.log1p))
        var worst = 0
        for (x, y) in zip(xs, out) {
            let expected = Foundation.log1p(x)
            if x.isNaN { #expect(y.isNaN); continue }
            worst = Swift.max(worst, ulps(y, expected))
        }
        #expect(worst <= 4, "worst log1p error \(worst) ulps")
    }

    @Test func log1pOfUnitMatchesLibm() {
        let xs = Self.sweep(1e-30, 1e-3) + Self.sweep(1e-3, 1) + [0, 1, 1e-45, Float.leastNormalMagnitude]
        var out = [Float](repeating: 0, count: xs.count)
        VectorMath.apply(xs, &out, count: xs.count, Function(VectorMath.log1pOfUnit))
        var worst = 0
        for (x, y) in zip(xs, out) { worst = Swift.max(worst, ulps(y, Foundation.log1p(x))) }
        #expect(worst <= 3, "worst log1pOfUnit error \(worst) ulps")
    }

    @Test func tanhMatchesLibm() {
        let xs = Self.sweep(1e-30, 0.4) + Self.sweep(0.3, 12) + Self.sweep(1e-30, 12).map { -$0 }
            + [0, -0.0, 0.4, -0.4, 100, -100, .infinity, -.infinity, 1e-45, .nan]
        var out = [Float](repeating: 0, count: xs.count)
        VectorMath.apply(xs, &out, count: xs.count, Function(VectorMath.tanh))
        var worst = 0
        for (x, y) in zip(xs, out) {
            if x.isNaN { #expect(y.isNaN); continue }
            worst = Swift.max(worst, ulps(y, Foundation.tanh(x)))
        }
        #expect(worst <= 4, "worst tanh error \(worst) ulps")
    }

    @Test func logMatchesLibm() {
        let xs = Self.sweep(1e-6, 10) + Self.sweep(0.5, 2) + Self.sweep(10, 1e30)
            + [0, 1, 2, .infinity, -1, .nan, 1e-40, 1e-45, Float.leastNormalMagnitude, Float.greatestFiniteMagnitude]
        var out = [Float](repeating: 0, count: xs.count)
        VectorMath.apply(xs, &out, count: xs.count, Function(VectorMath.log))
        var worst = 0
        for (x, y) in zip(xs, out) {
            let expected = Foundation.log(x)
            if x.isNaN || x < 0 { #expect(y.isNaN, "log(\(x))"); continue }
            worst = Swift.max(worst, ulps(y, expected))
        }
        #expect(worst <= 3, "worst log error \(worst) ulps")
    }
}
