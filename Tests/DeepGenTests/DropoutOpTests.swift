import Testing
import DeepGen
import _DeepGenTestSupport

/// `Tensor.dropout(p:share:batchAxis:using:)`, the one-pass op: the numbers of `x * dropoutMask`
/// (the same draws, the same products, the generator left in the same state), its gradients
/// first and second order, and a data-parallel share's rows.
@Suite struct DropoutOpTests {
    @Test(arguments: [Float(0.3), 0.5, 0.9])
    func equalsTheMaskTimesTheInputBitForBit(_ p: Float) {
        let x = smooth([5, 7, 3], seed: 4).requiringGrad()
        var rngA = RandomGenerator(seed: 77), rngB = RandomGenerator(seed: 77)
        let fused = x.dropout(p: p, using: &rngA)
        let composed = x * Tensor.dropoutMask(x.shape, p: p, using: &rngB)
        #expect(fused.scalars.map(\.bitPattern) == composed.scalars.map(\.bitPattern))
        #expect(rngA.state == rngB.state)
        let seed = smooth([5, 7, 3], seed: 5)
        let gFused = gradients(of: (fused * seed).sum(), with: [x])[0]
        let gComposed = gradients(of: (composed * seed).sum(), with: [x])[0]
        #expect(gFused.scalars.map(\.bitPattern) == gComposed.scalars.map(\.bitPattern))
        // Zeros exactly where dropped, the rest scaled by 1/(1 − p).
        let dropped = fused.scalars.filter { $0 == 0 }.count
        #expect(dropped > 0 && dropped < x.count)
        // Through a recorded backward pass (a gradient penalty through a discriminator's dropout).
        var rngC = RandomGenerator(seed: 77), rngD = RandomGenerator(seed: 77)
        let f2 = gradients(of: x.dropout(p: p, using: &rngC).square().sum(), with: [x], createGraph: true)[0]
        let c2 = gradients(of: (x * Tensor.dropoutMask(x.shape, p: p, using: &rngD)).square().sum(), with: [x], createGraph: true)[0]
        #expect(f2.scalars.map(\.bitPattern) == c2.scalars.map(\.bitPattern) && f2.requiresGrad)
    }

    @Test func finiteDifferencesFirstAndSecondOrder() {
        let x = smooth([4, 6], seed: 8)
        // The same mask at every evaluation: a fresh generator of one seed each time.
        let f: ([Tensor]) -> Tensor = { xs in
            var rng = RandomGenerator(seed: 3)
            return xs[0].dropout(p: 0.4, using: &rng).tanh()
        }
        expectGradient("dropout", f, [x])
        expectGradient("dropout, second order", gradientNormSquared(f), [x])
    }

    @Test func aShareIsItsRowsOfTheWholeBatchsMask() {
        let x = smooth([6, 4, 5], seed: 2)
        for axis in [0, 1] {
            let count = 3, rows = x.shape[axis] / count
            for index in 0..<count {
                let part = x.sliced(axis: axis, index * rows ..< (index + 1) * rows)
                var rngA = RandomGenerator(seed: 12), rngB = RandomGenerator(seed: 12)
                let fused = part.dropout(p: 0.35, share: (index, count), batchAxis: axis, using: &rngA)
                let mask = Tensor.dropoutMask(part.shape, p: 0.35, share: index, of: count, batchAxis: axis, using: &rngB)
                #expect(fused.scalars.map(\.bitPattern) == (part * mask).scalars.map(\.bitPattern))
                #expect(rngA.state == rngB.state)
            }
        }
    }

    /// The generator's run of uniforms is `nextUniform()`'s sequence, and leaves the same state.
    @Test func fillUniformIsTheSequenceOfNextUniform() {
        var a = RandomGenerator(seed: 21), b = RandomGenerator(seed: 21)
        var filled = [Float](repeating: -1, count: 1000)
        filled.withUnsafeMutableBufferPointer { a.fillUniform($0.baseAddress!, count: 1000) }
        #expect(filled == (0..<1000).map { _ in b.nextUniform() } && a.state == b.state)
        a.fillUniform(UnsafeMutablePointer<Float>(bitPattern: 8)!, count: 0)
        #expect(a.state == b.state)
    }

    @Test func zeroProbabilityIsTheIdentity() {
        var rng = RandomGenerator(seed: 1)
        let before = rng.state
        let x = smooth([3, 3], seed: 1)
        #expect(x.dropout(p: 0, using: &rng).scalars == x.scalars && rng.state == before)
    }
}
