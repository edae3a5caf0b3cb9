import DeepGenKernels
import Foundation

/// The row-wise work of causal attention between its products, on rows of scratch padded to whole
/// vectors: row `i` holds `n = limit(i) + 1` live entries of `width` (a multiple of 16), and every
/// loop runs over whole vectors, the last one's lanes past `n` blended away. (Tails by byte copies
/// cost a `memmove` call each, and a lane mask from a run-time count compared as integers is
/// built lane by lane: one float compare of the lane numbers makes it.) After each function, the
/// entries from `n` to `width` are zero.
struct AttentionRows {
    typealias V = VectorMath.V
    /// Floats in a padded row.
    let width: Int
    /// 0, 1, …, 15.
    private let lanes = V(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    init(columns: Int) { width = (columns + 15) / 16 * 16 }

    @inline(__always) private func load(_ p: UnsafePointer<Float>) -> V { RowMath.load(p) }
    @inline(__always) private func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { RowMath.store(v, p) }

    /// `v` with its lanes at and past `live` set to `fill`.
    @inline(__always) private func keep(_ v: V, first live: Int, else fill: Float) -> V {
        v.replacing(with: V(repeating: fill), where: lanes .>= V(repeating: Float(live)))
    }

    @inline(__always) private func zeroFrom(_ row: UnsafeMutablePointer<Float>, vector q: Int) {
        var q = q
        while q * 16 < width { store(V(), row + 16 * q); q += 1 }
    }

    /// The largest of 16 lanes: four rounds of comparing with a lane-swapped copy, all 16 lanes
    /// wide (the generic `max()` goes lane by lane, and so do compares of narrower vectors here).
    @inline(__always) static func largest(_ v: V) -> Float {
        @inline(__always) func larger(_ a: V, _ b: V) -> V { a.replacing(with: b, where: b .> a) }
        @inline(__always) func swap8(_ x: SIMD8<Float>) -> SIMD8<Float> { SIMD8(lowHalf: x.highHalf, highHalf: x.lowHalf) }
        @inline(__always) func swap4(_ x: SIMD4<Float>) -> SIMD4<Float> { SIMD4(lowHalf: x.highHalf, highHalf: x.lowHalf) }
        var a = larger(v, V(lowHalf: v.highHalf, highHalf: v.lowHalf))
        a = larger(a, V(lowHalf: swap8(a.lowHalf), highHalf: swap8(a.highHalf)))
        a = larger(a, V(lowHalf: SIMD8(lowHalf: swap4(a.lowHalf.lowHalf), highHalf: swap4(a.lowHalf.highHalf)),
                        highHalf: SIMD8(lowHalf: swap4(a.highHalf.lowHalf), highHalf: swap4(a.highHalf.highHalf))))
        return Swift.max(a[0], a[1])
    }

    /// Softmax of the row's first `n` scores in place with one exponential each (`e = exp(x −
    /// max)`, then `e / Σe`); returns the log-sum-exp, from which ``probabilities(_:_:logSumExp:)``
    /// recomputes them as `exp(x − lse)` (within an ulp or two of these). A row without a finite
    /// maximum (infinite or NaN scores) takes that route here too.
    func softmax(_ row: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
        let vectors = (n + 15) / 16, last = vectors - 1, lastLive = n - 16 * last
        var top = V(repeating: -.infinity)
        for q in 0..<vectors {
            let v = q == last ? keep(load(row + 16 * q), first: lastLive, else: -.infinity) : load(row + 16 * q)
            top = top.replacing(with: v, where: v .> top)
        }
        let m = Self.largest(top)
        guard m.isFinite else {
            let l = Tensor.rowLogSumExp(row, n)
            probabilities(row, n, logSumExp: l)
            return l
        }
        let shift = V(repeating: m)
        var sum = V()
        for q in 0..<vectors {
            var e = VectorMath.exp(load(row + 16 * q) - shift)
            if q == last { e = keep(e, first: lastLive, else: 0) }
            store(e, row + 16 * q)
            sum += e
        }
        let total = VectorMath.total(sum), inverse = V(repeating: 1 / total)
        for q in 0..<vectors { store(load(row + 16 * q) * inverse, row + 16 * q) }
        zeroFrom(row, vector: vectors)
        return m + Foundation.log(total)
    }

    /// `exp(x − lse)` of the row's first `n` scores in place.
    func probabilities(_ row: UnsafeMutablePointer<Float>, _ n: Int, logSumExp l: Float) {
        let vectors = (n + 15) / 16, last = vectors - 1, shift = V(repeating: l)
        for q in 0..<vectors {
            let e = VectorMath.exp(load(row + 16 * q) - shift)
            store(q == last ? keep(e, first: n - 16 * last, else: 0) : e, row + 16 * q)
        }
        zeroFrom(row, vector: vectors)
    }

    /// The softmax adjoint in place of `dp`: `p·(dp − rowDot)` for the first `n` entries
    /// (`rowDot = Σ p·dp`).
    func softmaxAdjoint(_ p: UnsafePointer<Float>, _ dp: UnsafeMutablePointer<Float>, _ n: Int, rowDot: Float) {
        let vectors = (n + 15) / 16, last = vectors - 1, d = V(repeating: rowDot)
        for q in 0..<vectors {
            let s = load(p + 16 * q) * (load(dp + 16 * q) - d)
            store(q == last ? keep(s, first: n - 16 * last, else: 0) : s, dp + 16 * q)
        }
        zeroFrom(dp, vector: vectors)
    }

    /// `Σ a[j]·b[j]` over `n` entries (any `n`: the tail by partial loads).
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = V(), j = 0
        while j + 16 <= n {
            acc = acc.addingProduct(RowMath.load(a + j), RowMath.load(b + j))
            j += 16
        }
        if j < n { acc = acc.addingProduct(PartialVector.load(a + j, n - j), PartialVector.load(b + j, n - j)) }
        return VectorMath.total(acc)
    }
}
