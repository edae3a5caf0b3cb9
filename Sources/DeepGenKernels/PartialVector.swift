/// A vector's first `n` lanes loaded from or stored to memory, for the tail of a loop over
/// vectors. Copied as bytes: a lane-by-lane loop with a run-time `n` makes LLVM evaluate every
/// vector operation that the loaded value reaches lane by lane, the loop's whole vectors included
/// when they share the code (char-rnn's LSTM cell so ran at a fifth of its speed).
public enum PartialVector {
    /// Lanes `0 ..< n` from `p` (`n` ≤ the lane count), the others zero.
    @inlinable @inline(__always)
    public static func load<V: SIMD>(_ p: UnsafePointer<V.Scalar>, _ n: Int, as _: V.Type = V.self) -> V {
        if n == V.scalarCount { return UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var v = V()
        withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p, byteCount: n * MemoryLayout<V.Scalar>.stride) }
        return v
    }

    /// Lanes `0 ..< n` of `v` to `p` (`n` ≤ the lane count); memory after them is untouched.
    @inlinable @inline(__always)
    public static func store<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<V.Scalar>, _ n: Int) {
        if n == V.scalarCount { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self); return }
        withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: n * MemoryLayout<V.Scalar>.stride) }
    }
}
