import Testing
import DeepGen
import DeepGenNN

/// Dropout in a data-parallel run: each process's masks are its rows of the mask one process
/// draws for the whole batch, and every process's generator stays in step with that process's.
@Suite struct DropoutShareTests {
    @Test func sharesTogetherAreTheWholeBatchsMask() {
        let whole = Dropout(0.4, seed: 9)
        let shares = (0..<3).map { i -> Dropout in
            let d = Dropout(0.4, seed: 9)
            d.batchShare = (i, 3)
            return d
        }
        for _ in 0..<2 {  // two steps: the generators stay in step
            let x = Tensor(ones: [6, 5, 2])
            let expected = whole.forward(x)
            let parts = shares.map { $0.forward(Tensor(ones: [2, 5, 2])) }
            #expect(Tensor.concat(parts, axis: 0).scalars == expected.scalars)
            #expect(parts[0].scalars != parts[1].scalars, "the processes' masks must differ")
            #expect(shares.allSatisfy { $0.generator.state == whole.generator.state })
        }
        // Outside training, and for one process, nothing changes.
        let alone = Dropout(0.4, seed: 9), one = Dropout(0.4, seed: 9)
        one.batchShare = (0, 1)
        #expect(alone.mask([4, 3]).scalars == one.mask([4, 3]).scalars)
        shares[0].eval()
        #expect(shares[0].forward(Tensor(ones: [2, 5, 2])).scalars == Tensor(ones: [2, 5, 2]).scalars)
    }
}
