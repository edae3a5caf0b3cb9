import CDeepGenVector

/// Vectorized `exp` and `log` over `SIMD16<Float>`, within a few ulps of libm over the whole
/// Float range (subnormal results, infinities and NaN included). Scalar libm calls cost about
/// as much as the rest of an elementwise pass, so the common transcendental ops use these.
public enum VectorMath {
    public typealias V = SIMD16<Float>

    /// eˣ: range reduction x = n·ln2 + r with |r| ≤ ln2/2, a degree-7 Taylor polynomial for eʳ
    /// (error below 1e-8 on that interval) and 2ⁿ applied in two halves so results that are
    /// subnormal or overflow come out right.
    @_transparent
    public static func exp(_ x: V) -> V {
        // Masked replaces compile to vector compares and blends; `clamped(lowerBound:upperBound:)`
        // runs lane by lane.
        let low = V(repeating: -104), high = V(repeating: 89)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        // Adding 1.5·2²³ rounds x·log₂e to the nearest integer (ties to even) in the float add
        // itself, and the sum's low mantissa bits are that integer: the generic SIMD `rounded` and
        // Float→Int32 conversions are lane-by-lane calls.
        let magic = V(repeating: 12_582_912)
        let shifted = clamped * 1.442695040888963 + magic
        let n = shifted - magic
        // ln2 split so n·ln2Hi is exact.
        let r = clamped - n * 0.693145751953125 - n * 1.428606765330187e-06
        var p = V(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let ni = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let half = ni &>> 1
        let s1 = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
        let s2 = unsafeBitCast((ni &- half &+ 127) &<< 23, to: V.self)
        var result = p * s1 * s2
        result.replace(with: x, where: x .!= x)  // NaN stays NaN
        return result
    }

    /// ln x: x = m·2ᵉ with m ∈ [√½, √2), ln m = 2·atanh(s) with s = (m − 1)/(m + 1), |s| ≤ 0.172,
    /// by its odd series to s¹¹. Zero gives −∞, negatives NaN, +∞ stays +∞.
    @_transparent
    public static func log(_ x: V) -> V {
        // Scale subnormals into the normal range first.
        let tiny = x .< 1.1754944e-38
        let scaled = x.replacing(with: x * 8388608, where: tiny)  // × 2²³
        let bits = unsafeBitCast(scaled, to: SIMD16<Int32>.self)
        var e = (bits &>> 23) &- 127
        var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F80_0000, to: V.self)
        let big = m .> 1.41421356
        m.replace(with: m * 0.5, where: big)
        e.replace(with: e &+ 1, where: big)
        var ef = V(e)
        ef.replace(with: ef - 23, where: tiny)
        let s = (m - 1) / (m + 1), s2 = s * s
        var p = V(repeating: 2.0 / 11)
        p = p * s2 + 2.0 / 9
        p = p * s2 + 2.0 / 7
        p = p * s2 + 2.0 / 5
        p = p * s2 + 2.0 / 3
        p = p * s2 + 2
        var result = ef * 0.693145751953125 + (p * s + ef * 1.428606765330187e-06)
        result.replace(with: -Float.infinity, where: x .== 0)
        result.replace(with: V(repeating: .nan), where: x .< 0 .| x .!= x)
        result.replace(with: Float.infinity, where: x .== Float.infinity)
        return result
    }

    /// tanh x: its Taylor series x + x³·P(x²) to x¹⁵ for |x| < 0.4 (truncation below 1e-10), and
    /// ±(1 − 2/(e^{2|x|} + 1)) above, which loses under two bits to cancellation at 0.4; exp's
    /// overflow gives ±1. NaN stays NaN.
    @_transparent
    public static func tanh(_ x: V) -> V {
        let negative = x .< 0
        let magnitude = x.replacing(with: -x, where: negative)
        var large = 1 - 2 / (exp(2 * magnitude) + 1)
        large.replace(with: -large, where: negative)
        let z = x * x
        var p = V(repeating: -1.4558343870513183e-3)  // −929569/638512875 (not a Float literal pair)
        p = p * z + 21844.0 / 6_081_075
        p = p * z - 1382.0 / 155_925
        p = p * z + 62.0 / 2835
        p = p * z - 17.0 / 315
        p = p * z + 2.0 / 15
        p = p * z - 1.0 / 3
        var result = large.replacing(with: x + x * z * p, where: magnitude .< 0.4)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// ln(1 + e) for e ∈ [0, 1] (softplus's log1p(exp(−|x|))): 2·atanh(s) with s = e/(2 + e) ∈
    /// [0, ⅓] by its odd series to s¹⁵ (truncation below 1e-9), all in float lanes. It needs no
    /// exponent split, whose integer-to-float conversion runs lane by lane, and s keeps tiny e's
    /// digits without rounding 1 + e.
    @_transparent
    public static func log1pOfUnit(_ e: V) -> V {
        let s = e / (2 + e), s2 = s * s
        var p = V(repeating: 2.0 / 15)
        p = p * s2 + 2.0 / 13
        p = p * s2 + 2.0 / 11
        p = p * s2 + 2.0 / 9
        p = p * s2 + 2.0 / 7
        p = p * s2 + 2.0 / 5
        p = p * s2 + 2.0 / 3
        p = p * s2 + 2
        return p * s
    }

    /// ln(1 + x) for x > −1, accurate for tiny x: with u = 1 + x rounded, ln(u)·x/(u − 1) cancels
    /// the rounding of u (Goldberg's trick); u = 1 gives x itself.
    @_transparent
    public static func log1p(_ x: V) -> V {
        let u = 1 + x
        let d = u - 1
        var result = log(u) * (x / d)
        result.replace(with: x, where: d .== 0)
        result.replace(with: Float.infinity, where: x .== Float.infinity)
        return result
    }

    /// Applies a SIMD function to `count` floats, handling the tail through a zero-padded vector
    /// (``PartialVector``). Specialized for `F`, so the function is inlined (see ``UnaryVectorFunction``).
    @_transparent
    public static func apply<F: UnaryVectorFunction>(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, _ f: F) {
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: V.self)
            i += 16
        }
        if i < count { PartialVector.store(f(PartialVector.load(src + i, count - i)), dst + i, count - i) }
    }

    /// The sum of a vector's lanes by halving (8 + 4 + 2 + 1 adds; the generic `sum()` adds them
    /// one by one, and is not always inlined).
    @inlinable @inline(__always)
    public static func total(_ v: V) -> Float {
        let a = v.lowHalf + v.highHalf, b = a.lowHalf + a.highHalf, c = b.lowHalf + b.highHalf
        return c[0] + c[1]
    }

    /// The same for a function of two vectors, element by element of `a` and `b`.
    @_transparent
    public static func apply<F: BinaryVectorFunction>(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                                      count: Int, _ f: F) {
        var i = 0
        while i + 16 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: V.self), y = UnsafeRawPointer(b + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f(x, y), as: V.self)
            i += 16
        }
        if i < count {
            let n = count - i
            PartialVector.store(f(PartialVector.load(a + i, n), PartialVector.load(b + i, n)), dst + i, n)
        }
    }
}

extension VectorMath {
    /// Σ x² over the `count` floats at `x`, in Double, in sixteen interleaved partial sums added
    /// in a fixed order (one pass at memory speed; the same result on any machine).
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        deepgen_sum_of_squares(x, count)
    }

    /// Whether none of the `count` floats at `x` is NaN or infinite (one vectorized pass, split
    /// over threads for long arrays).
    public static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        guard count >= 1 << 18 else { return deepgen_all_finite(x, count) != 0 }
        let chunks = Parallel.chunkCount(count, minChunk: 1 << 16)  // read once: it sizes the flags
        var finite = [Bool](repeating: true, count: chunks)
        finite.withUnsafeMutableBufferPointer { flags in
            let flags = flags
            Parallel.forEachChunk(count, chunks: chunks) { c, r in
                flags[c] = deepgen_all_finite(x + r.lowerBound, r.count) != 0
            }
        }
        return finite.allSatisfy { $0 }
    }
}

/// A SIMD function of one 16-lane vector as a type, so that the loops that apply it
/// (`VectorMath.apply`, `Tensor.mapVector`) are specialized for it and inline it. A closure
/// captured by a chunk's closure is called through a pointer, its vector passed as four 4-lane
/// registers and computed 4 lanes at a time (GELU's backward pass so took 5 ns per element, an
/// eighth of a gpt step). An op's function types live beside the op.
public protocol UnaryVectorFunction {
    func callAsFunction(_ v: VectorMath.V) -> VectorMath.V
}

/// The same for a function of two vectors (`Tensor.zipVector`): fused backward formulas.
public protocol BinaryVectorFunction {
    func callAsFunction(_ a: VectorMath.V, _ b: VectorMath.V) -> VectorMath.V
}
