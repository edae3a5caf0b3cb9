import Testing
import DeepGen

/// Noise drawn per sample in a data-parallel step: each share's draw is its rows of what one
/// generator draws for the whole batch, and every share's generator ends where that one does.
@Suite struct BatchShareDrawTests {
    /// Three shares of `draw` with a local batch of 2, against one draw with the global batch of 6.
    static func expectSharesMakeTheWhole(_ rowShape: [Int], _ draw: ([Int], inout RandomGenerator) -> Tensor) {
        var whole = RandomGenerator(seed: 21)
        let expected = draw([6] + rowShape, &whole)
        var parts: [Tensor] = []
        for i in 0..<3 {
            var rng = RandomGenerator(seed: 21)
            rng.batchShare = BatchShare(index: i, count: 3)
            parts.append(draw([2] + rowShape, &rng))
            #expect(rng.state == whole.state, "share \(i) of \(rowShape) must leave the generator where one process's is")
        }
        #expect(Tensor.concat(parts, axis: 0).scalars == expected.scalars, "rows \(rowShape)")
        #expect(parts[0].scalars != parts[1].scalars)
    }

    @Test func normalSharesAreRowsOfTheWholeBatchsDraw() {
        // An even share skips the others' words; an odd one (3 values a row, 2 rows) draws the
        // whole batch, since Box–Muller pairs straddle the shares.
        Self.expectSharesMakeTheWhole([4]) { Tensor.normal(perSample: $0, mean: 1, std: 2, using: &$1) }
        Self.expectSharesMakeTheWhole([3, 1]) { Tensor.normal(perSample: $0, using: &$1) }
        Self.expectSharesMakeTheWhole([1]) { Tensor.normal(perSample: $0, using: &$1) }
    }

    @Test func uniformSharesAreRowsOfTheWholeBatchsDraw() {
        Self.expectSharesMakeTheWhole([3, 2]) { Tensor.uniform(perSample: $0, low: -1, high: 1, using: &$1) }
        Self.expectSharesMakeTheWhole([1, 1, 1]) { Tensor.uniform(perSample: $0, using: &$1) }
    }

    @Test func perSampleValuesAreTheShareOfTheWholeBatchs() {
        var whole = RandomGenerator(seed: 5)
        let expected = whole.perSample(8) { $0.nextInt(below: 10) }
        var together: [Int] = []
        for i in 0..<2 {
            var rng = RandomGenerator(seed: 5)
            rng.batchShare = BatchShare(index: i, count: 2)
            together += rng.perSample(4) { $0.nextInt(below: 10) }
            #expect(rng.state == whole.state)
        }
        #expect(together == expected)
    }

    /// Without a share, or with a share of one, the draws are the plain ones number for number
    /// (single-process runs are unchanged).
    @Test func withoutASharePlainDrawsAreMade() {
        for share in [nil, BatchShare(index: 0, count: 1)] {
            var plain = RandomGenerator(seed: 3), shared = RandomGenerator(seed: 3)
            shared.batchShare = share
            #expect(Tensor.normal(perSample: [3, 3], using: &shared).scalars == Tensor.normal([3, 3], using: &plain).scalars)
            #expect(Tensor.uniform(perSample: [5], using: &shared).scalars == Tensor.uniform([5], using: &plain).scalars)
            #expect(shared.perSample(3) { $0.next() } == (0..<3).map { _ in plain.next() })
            #expect(shared.ownDraws { $0.next() } == plain.next())
            #expect(shared.state == plain.state)
        }
    }

    /// A process's own draws differ between processes while their generators stay in step.
    @Test func ownDrawsDifferButKeepTheGeneratorsInStep() {
        var a = RandomGenerator(seed: 8), b = RandomGenerator(seed: 8)
        a.batchShare = BatchShare(index: 0, count: 2)
        b.batchShare = BatchShare(index: 1, count: 2)
        let x = a.ownDraws { r in (0..<4).map { _ in r.next() } }, y = b.ownDraws { r in (0..<7).map { _ in r.next() } }
        #expect(Array(y.prefix(4)) != x)
        #expect(a.state == b.state)
    }
}
