import DeepGenKernels

/// Eight-float lanes for the optimizers' elementwise loops. The compiler does not vectorise the
/// scalar loops on its own (square roots, divisions and several buffers at once), so they are
/// written on `SIMD8`; the last partial group goes through the same code with padded lanes, so
/// every element gets bit-identical arithmetic.
typealias Lanes = SIMD8<Float>

/// Lanes `i..<i+n` of `p` (`n` ≤ 8); missing lanes are zero.
@inline(__always)
func loadLanes(_ p: UnsafePointer<Float>, _ i: Int, _ n: Int) -> Lanes {
    PartialVector.load(p + i, n)
}

@inline(__always)
func loadLanes(_ p: UnsafeMutablePointer<Float>, _ i: Int, _ n: Int) -> Lanes {
    loadLanes(UnsafePointer(p), i, n)
}

/// Writes the first `n` lanes of `x` to `p[i..<i+n]`.
@inline(__always)
func storeLanes(_ x: Lanes, _ p: UnsafeMutablePointer<Float>, _ i: Int, _ n: Int) {
    PartialVector.store(x, p + i, n)
}

/// Calls `body(i, n)` for each group of up to eight elements of `0..<count`.
@inline(__always)
func forEachLaneGroup(_ count: Int, _ body: (Int, Int) -> Void) {
    var i = 0
    while i < count {
        body(i, Swift.min(Lanes.scalarCount, count - i))
        i += Lanes.scalarCount
    }
}

/// PyTorch's `lerp`, `a + w(b − a)`, switching form at `w = 0.5` as PyTorch does so that
/// moving averages round the same way.
@inline(__always)
func lerp(_ a: Lanes, _ b: Lanes, _ w: Float) -> Lanes {
    abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w)
}
