import Foundation

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// Everything random in DeepGen draws from one of these, sequentially, so a seed fixes the
/// numbers whatever the thread count. The state is four words that a checkpoint can store.
public struct RandomGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    // Four stored words rather than an array: `next()` is in every dropout mask's inner loop,
    // and array accesses there cost bounds and uniqueness checks.
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// In a data-parallel training step, this process's share of the global batch: draws made
    /// per sample (``Tensor/normal(perSample:mean:std:using:)`` and its kin) are then this share's
    /// rows of what one process would draw for the whole batch, and every process's generator
    /// advances alike. Not part of the saved state.
    public var batchShare: BatchShare?

    /// The four state words (what a checkpoint stores).
    public var state: [UInt64] {
        get { [s0, s1, s2, s3] }
        set {
            precondition(newValue.count == 4 && newValue.contains { $0 != 0 }, "[RandomGenerator] invalid state \(newValue)")
            (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// A generator restored from a saved `state` (four words).
    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "[RandomGenerator] invalid state \(state)")
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    enum CodingKeys: String, CodingKey { case state }

    public init(from decoder: Decoder) throws {
        let words = try decoder.container(keyedBy: CodingKeys.self).decode([UInt64].self, forKey: .state)
        guard words.count == 4, words.contains(where: { $0 != 0 }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "random generator state must be four words, not all zero; got \(words)"))
        }
        self.init(state: words)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(state, forKey: .state)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform `Float` in `[0, 1)` with 24 random bits.
    public mutating func nextUniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// The next `count` values of ``nextUniform()``, written to `dst`: the same numbers, drawn in
    /// one loop on a local copy whose state stays in registers (callers that draw inside a closure
    /// over an `inout` generator otherwise load and store it for every number).
    public mutating func fillUniform(_ dst: UnsafeMutablePointer<Float>, count: Int) {
        var local = self
        for i in 0..<max(0, count) { dst[i] = local.nextUniform() }
        self = local
    }

    /// The draws of share `index` of `count` of a global batch on `batchAxis`, `shape` being one
    /// share's: for each index before that axis, every share's block follows in turn; `body` makes
    /// this share's block (its range of elements), the others' numbers are skipped. A
    /// data-parallel process's mask, in step with every other process's.
    mutating func drawShare(_ shape: [Int], index: Int, of count: Int, batchAxis: Int,
                            _ body: (inout RandomGenerator, Range<Int>) -> Void) {
        precondition(count >= 1 && (0..<count).contains(index) && (0..<shape.count).contains(batchAxis),
                     "[RandomGenerator] share \(index) of \(count) on axis \(batchAxis) of \(shape)")
        let outer = shape[..<batchAxis].reduce(1, *), block = shape[batchAxis...].reduce(1, *)
        for o in 0..<outer {
            discard(index * block)
            body(&self, o * block ..< (o + 1) * block)
            discard((count - 1 - index) * block)
        }
    }

    /// Advances past `count` numbers without making them (a data-parallel process skips the
    /// other processes' rows of a dropout mask).
    public mutating func discard(_ count: Int) {
        for _ in 0..<max(0, count) { _ = next() }
    }

    /// A uniform `Double` in `(0, 1]` (never zero, so its logarithm is finite).
    mutating func nextOpenUniform() -> Double { (Double(next() >> 11) + 1) * 0x1p-53 }

    /// Two independent standard normal values (Box–Muller).
    public mutating func nextNormalPair() -> (Float, Float) {
        let u1 = nextOpenUniform(), u2 = nextOpenUniform()
        let r = (-2 * Foundation.log(u1)).squareRoot(), theta = 2 * Double.pi * u2
        return (Float(r * Foundation.cos(theta)), Float(r * Foundation.sin(theta)))
    }

    /// A random permutation of `0..<n` (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }

    /// A uniform integer in `0..<bound`.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "[RandomGenerator.nextInt] bound must be positive, got \(bound)")
        return Int(next() % UInt64(bound))
    }
}

extension Tensor {
    /// Uniform samples in `[low, high)`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { b in
            rng.fillUniform(b.baseAddress!, count: b.count)
            for i in b.indices { b[i] = low + (high - low) * b[i] }
        }
        return t
    }

    /// Normal samples with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { b in
            var i = 0
            while i < b.count {
                let (z0, z1) = rng.nextNormalPair()
                b[i] = mean + std * z0
                if i + 1 < b.count { b[i + 1] = mean + std * z1 }
                i += 2
            }
        }
        return t
    }

    /// 1 with probability `p`, else 0.
    public static func bernoulli(_ shape: [Int], p: Float, using rng: inout RandomGenerator) -> Tensor {
        precondition(p >= 0 && p <= 1, "[bernoulli] probability \(p) outside [0, 1]")
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { b in
            rng.fillUniform(b.baseAddress!, count: b.count)
            for i in b.indices { b[i] = b[i] < p ? 1 : 0 }
        }
        return t
    }

    /// An inverted-dropout mask: 0 with probability `p`, else `1 / (1 - p)`, so `x * mask` keeps
    /// the expected value of `x`.
    public static func dropoutMask(_ shape: [Int], p: Float, using rng: inout RandomGenerator) -> Tensor {
        precondition(p >= 0 && p < 1, "[dropoutMask] probability \(p) outside [0, 1)")
        let keep = 1 / (1 - p)
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { b in
            rng.fillUniform(b.baseAddress!, count: b.count)
            for i in b.indices { b[i] = b[i] < p ? 0 : keep }
        }
        return t
    }

    /// Share `index` of `count` of the mask ``dropoutMask(_:p:using:)`` would make for the whole
    /// batch, `shape` being one share's (its batch on `batchAxis`): for each index before that
    /// axis, every share's rows follow in turn; this share's numbers are made, the others'
    /// skipped. A data-parallel process's dropout mask, in step with every other process's.
    public static func dropoutMask(_ shape: [Int], p: Float, share index: Int, of count: Int, batchAxis: Int,
                                   using rng: inout RandomGenerator) -> Tensor {
        precondition(p >= 0 && p < 1, "[dropoutMask] probability \(p) outside [0, 1)")
        let keep = 1 / (1 - p)
        var t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { b in
            rng.drawShare(shape, index: index, of: count, batchAxis: batchAxis) { g, range in
                g.fillUniform(b.baseAddress! + range.lowerBound, count: range.count)
                for i in range { b[i] = b[i] < p ? 0 : keep }
            }
        }
        return t
    }
}
