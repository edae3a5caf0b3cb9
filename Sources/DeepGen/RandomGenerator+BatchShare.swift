/// One process's share of a data-parallel global batch: the `index`-th of `count` equal,
/// contiguous shares (rank `index` of `count` processes).
public struct BatchShare: Equatable, Sendable {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "[BatchShare] share \(index) of \(count)")
        self.index = index
        self.count = count
    }
}

// Noise drawn per sample in a training step (latents, interpolation weights, dequantization):
// with the generator's `batchShare` set, each process makes its own rows of what one process
// draws for the global batch, so N processes with local batch B/N see one process's noise for B
// and train to its weights. Without a share these are the plain draws, number for number.
extension RandomGenerator {
    /// `count` values, one `draw` per sample: with a share, this share's values of the
    /// `count × shares` one process would draw (all are drawn; `draw` may take any number of words).
    public mutating func perSample<T>(_ count: Int, _ draw: (inout RandomGenerator) -> T) -> [T] {
        guard let share = batchShare, share.count > 1 else { return (0..<count).map { _ in draw(&self) } }
        var values: [T] = []
        values.reserveCapacity(count)
        for s in 0..<share.count {
            for _ in 0..<count {
                let value = draw(&self)
                if s == share.index { values.append(value) }
            }
        }
        return values
    }

    /// Runs `body` with a generator for draws that belong to this process alone rather than to
    /// rows of the global batch (an image pool's choices among its own images): the generator
    /// itself without a share; with one, a generator seeded from its next number and the share's
    /// index, so every process's generator advances alike while their draws differ.
    public mutating func ownDraws<T>(_ body: (inout RandomGenerator) -> T) -> T {
        guard let share = batchShare, share.count > 1 else { return body(&self) }
        var own = RandomGenerator(seed: next() ^ (UInt64(share.index) &* 0x9E37_79B9_7F4A_7C15))
        return body(&own)
    }
}

extension Tensor {
    /// Normal samples of `shape`, whose axis 0 is the batch: with the generator's share, this
    /// share's rows of ``normal(_:mean:std:using:)`` for the global batch.
    public static func normal(perSample shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        guard let share = rng.batchShare, share.count > 1, !shape.isEmpty else { return normal(shape, mean: mean, std: std, using: &rng) }
        let rows = shape.reduce(1, *)
        // Box–Muller makes values in pairs from two words: an even share starts and ends on a pair,
        // so the other shares' words are skipped; an odd one takes its rows of the whole draw.
        guard rows % 2 == 0 else {
            let global = normal([shape[0] * share.count] + shape.dropFirst(), mean: mean, std: std, using: &rng)
            return global.sliced(axis: 0, share.index * shape[0] ..< (share.index + 1) * shape[0])
        }
        rng.discard(share.index * rows)
        let mine = normal(shape, mean: mean, std: std, using: &rng)
        rng.discard((share.count - 1 - share.index) * rows)
        return mine
    }

    /// Uniform samples in `[low, high)` of `shape`, whose axis 0 is the batch: with the
    /// generator's share, this share's rows of ``uniform(_:low:high:using:)`` for the global batch
    /// (one word per value; the other shares' are skipped).
    public static func uniform(perSample shape: [Int], low: Float = 0, high: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        guard let share = rng.batchShare, share.count > 1, !shape.isEmpty else { return uniform(shape, low: low, high: high, using: &rng) }
        let rows = shape.reduce(1, *)
        rng.discard(share.index * rows)
        let mine = uniform(shape, low: low, high: high, using: &rng)
        rng.discard((share.count - 1 - share.index) * rows)
        return mine
    }
}
