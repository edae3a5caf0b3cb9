import Testing
import DeepGenKernels
@testable import DeepGen
import _DeepGenTestSupport

@Suite struct TensorBasics {
    @Test func valueSemanticsCopyOnWrite() {
        var a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let b = a
        a[0, 1] = 9
        #expect(a.scalars == [1, 9, 3, 4])
        #expect(b.scalars == [1, 2, 3, 4])
    }

    @Test func storageIsSixtyFourByteAligned() {
        for n in [1, 3, 17, 1000] {
            let t = Tensor(zeros: [n])
            #expect(Int(bitPattern: t.storage.pointer) % 64 == 0)
        }
    }

    /// A freed buffer is handed out again for the next tensor of its size. On a pool of its own:
    /// the shared pool, which tests running alongside fill and empty, may be at its limit (it then
    /// frees the buffer) or hand out another test's buffer of that size (CI once got another address).
    @Test func freedBuffersAreReused() {
        let pool = BufferPool(), size = 12_345
        let first = pool.take(size)
        pool.give(first, count: size)
        let again = pool.take(size)
        #expect(again == first)
        pool.give(again, count: size)
        pool.drain()
    }

    @Test func broadcastingFollowsNumPy() {
        let a = Tensor(shape: [2, 1, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [2, 1], scalars: [10, 20])
        let c = a + b
        #expect(c.shape == [2, 2, 3])
        #expect(c.scalars == [11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26])
        #expect((Tensor([1, 2]) * 3).scalars == [3, 6])
        #expect((1 - Tensor([1, 2])).scalars == [0, -1])
    }

    /// Every broadcast layout (size-1 axes anywhere, merged and unmerged runs) against index arithmetic.
    @Test(arguments: [
        ([2, 1, 3, 4], [1, 5, 1, 1]), ([2, 5, 3, 4], [1, 5, 1, 1]), ([4, 1], [1, 3]), ([2, 3, 1, 5], [3, 1, 1]),
        ([1, 1, 1], [2, 1, 3]), ([3, 1, 2], [3, 4, 1]), ([2, 3, 4, 5], [2, 1, 4, 1]), ([6, 7], [7]),
    ])
    func broadcastLayoutsMatchIndexArithmetic(a aShape: [Int], b bShape: [Int]) {
        var rng = RandomGenerator(seed: 5)
        let a = Tensor.normal(aShape, using: &rng), b = Tensor.normal(bShape, using: &rng)
        for (name, result, f) in [("+", a + b, { (x: Float, y: Float) in x + y }), ("-", b - a, { (x: Float, y: Float) in y - x }),
                                  ("*", a * b, { (x: Float, y: Float) in x * y })] {
            let shape = result.shape
            let rank = shape.count
            func element(_ t: Tensor, _ index: [Int]) -> Float {
                var offset = 0, step = 1
                for d in stride(from: t.rank - 1, through: 0, by: -1) {
                    offset += (t.shape[d] == 1 ? 0 : index[d + rank - t.rank]) * step
                    step *= t.shape[d]
                }
                return t.scalars[offset]
            }
            var index = [Int](repeating: 0, count: rank)
            var expected: [Float] = []
            for i in 0..<result.count {
                var rem = i
                for d in stride(from: rank - 1, through: 0, by: -1) { index[d] = rem % shape[d]; rem /= shape[d] }
                expected.append(f(element(a, index), element(b, index)))
            }
            #expect(result.scalars == expected, "\(aShape) \(name) \(bShape)")
        }
    }

    @Test func reductions() {
        let x = Tensor(shape: [2, 3], scalars: [1, 5, 3, -4, 2, 0])
        #expect(x.sum().scalar == 7)
        #expect(x.sum(axis: 0).scalars == [-3, 7, 3])
        #expect(x.sum(axis: 1, keepDims: true).shape == [2, 1])
        #expect(x.mean(axis: 1).scalars == [3, -2.0 / 3.0])
        #expect(x.max(axis: 1).scalars == [5, 2])
        #expect(x.min(axes: nil).scalar == -4)
        // Population variance of [1, 5, 3] is 8/3; sample variance 4.
        #expect(Swift.abs(x.variance(axes: [1])[0] - 8.0 / 3.0) < 1e-6)
        #expect(x.variance(axes: [1], unbiased: true)[0] == 4)
        let y = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))
        // y[n, c, k] = 12n + 4c + k; Σ over n ∈ {0, 1} and k ∈ 0..<4 gives 32c + 60.
        #expect(y.sum(axes: [0, 2]).scalars == [60, 92, 124])
    }

    @Test func numericallyStableFunctions() {
        let x = Tensor([-1000, -100, 0, 100, 1000])
        // exp(−100) ≈ 3.7e-44 is a subnormal Float: representable, so expected exactly.
        let tiny = Float(3.7200760e-44)
        #expect(closeness(x.softplus(), Tensor([0, tiny, 0.6931472, 100, 1000]), atol: 1e-45, rtol: 1e-6) == nil)
        #expect(closeness(x.logSigmoid(), Tensor([-1000, -100, -0.6931472, -tiny, 0]), atol: 1e-45, rtol: 1e-6) == nil)
        #expect(closeness(x.sigmoid(), Tensor([0, tiny, 0.5, 1, 1]), atol: 1e-45, rtol: 1e-6) == nil)
        let big = Tensor(shape: [1, 3], scalars: [1000, 1000, -1000])
        let lse = big.logSumExp(axis: 1).scalar
        #expect(Swift.abs(lse - (1000 + Float(0.6931472))) < 1e-3)
        #expect(big.softmax(axis: 1).scalars == [0.5, 0.5, 0])
        #expect(Tensor(shape: [1, 2], scalars: [-Float.infinity, 0]).logSoftmax().scalars == [-Float.infinity, 0])
    }

    @Test func shapeOps() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(x.reshaped([3, -1]).shape == [3, 2])
        #expect(x.transposed().scalars == [1, 4, 2, 5, 3, 6])
        #expect(x.permuted(1, 0).shape == [3, 2])
        #expect(x.broadcast(to: [2, 2, 3]).scalars == [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6])
        #expect(Tensor.concat([x, x * 10], axis: 1).scalars == [1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60])
        #expect(Tensor.stack([x, x], axis: 0).shape == [2, 2, 3])
        #expect(x.sliced(axis: 1, 1..<3).scalars == [2, 3, 5, 6])
        #expect(x.padded([(0, 1), (1, 0)]).scalars == [0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0])
        #expect(x.unsqueezed(0).shape == [1, 2, 3])
        #expect(x.unsqueezed(0).squeezed().shape == [2, 3])
        let img = Tensor(shape: [1, 1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(img.reflectionPadded2d(left: 1, right: 1, top: 0, bottom: 0).scalars == [2, 1, 2, 3, 2, 5, 4, 5, 6, 5])
        #expect(img.upsampledNearest(scale: 2).shape == [1, 1, 4, 6])
        #expect(img.upsampledNearest(scale: [1, 2]).scalars == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6])
    }

    @Test func comparisonsAndWhere() {
        let a = Tensor([1, 5, 3]), b = Tensor([2, 2, 3])
        #expect(a.isGreater(b).scalars == [0, 1, 0])
        #expect(a.isGreaterOrEqual(b).scalars == [0, 1, 1])
        #expect(Tensor.where(a.isGreater(b), a, b * 10).scalars == [20, 5, 30])
        #expect(a.maximum(b).scalars == [2, 5, 3])
        #expect(a.clamped(min: 2, max: 4).scalars == [2, 4, 3])
    }

    @Test func poolingValues() {
        let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, 3, 2, 0, 4, -1, 7, 5])
        #expect(x.maxPool2d(kernel: 2).scalars == [4, 7])
        #expect(x.avgPool2d(kernel: 2).scalars == [1.75, 3.5])
    }

    @Test func classScoresAndCrossEntropyByHand() {
        let logits = Tensor(shape: [2, 3], scalars: [0, 0, 0, 1, 2, 3])
        #expect(logits.gatheringClassScores([2, 0]).scalars == [0, 1])
        // Uniform logits: −log(1/3).
        let nll = -logits.logSoftmax(axis: 1).gatheringClassScores([2, 0])
        #expect(Swift.abs(nll[0] - Float(1.0986123)) < 1e-6)
    }

    @Test func matmulMatchesNaiveProduct() {
        var rng = RandomGenerator(seed: 3)
        let a = Tensor.normal([7, 5], using: &rng), b = Tensor.normal([5, 9], using: &rng)
        var expected = Tensor(zeros: [7, 9])
        for i in 0..<7 { for j in 0..<9 { expected[i, j] = (0..<5).reduce(Float(0)) { $0 + a[i, $1] * b[$1, j] } } }
        #expect(closeness(a.matmul(b), expected) == nil)
        #expect(closeness(a.transposed().matmul(b, transposeSelf: true), expected) == nil)
        #expect(closeness(a.matmul(b.transposed(), transposeOther: true), expected) == nil)
    }
}

@Suite struct RandomTests {
    @Test func sameSeedSameNumbers() {
        var r1 = RandomGenerator(seed: 42), r2 = RandomGenerator(seed: 42), r3 = RandomGenerator(seed: 43)
        let a = Tensor.normal([1000], using: &r1), b = Tensor.normal([1000], using: &r2), c = Tensor.normal([1000], using: &r3)
        #expect(a.scalars == b.scalars)
        #expect(a.scalars != c.scalars)
    }

    @Test func independentOfThreadCount() {
        let a = DeepGenKernels.Parallel.withThreadCount(1) {
            var r1 = RandomGenerator(seed: 5)
            return Tensor.uniform([100_000], using: &r1).exp()
        }
        let b = DeepGenKernels.Parallel.withThreadCount(2) {
            var r2 = RandomGenerator(seed: 5)
            return Tensor.uniform([100_000], using: &r2).exp()
        }
        #expect(a.scalars == b.scalars)
    }

    @Test func distributionsHaveTheirMoments() {
        var rng = RandomGenerator(seed: 9)
        let n = Tensor.normal([200_000], mean: 2, std: 3, using: &rng)
        #expect(Swift.abs(n.mean().scalar - 2) < 0.03)
        #expect(Swift.abs(n.variance().scalar.squareRoot() - 3) < 0.03)
        let u = Tensor.uniform([200_000], low: -1, high: 1, using: &rng)
        #expect(Swift.abs(u.mean().scalar) < 0.01 && u.max().scalar < 1 && u.min().scalar >= -1)
        let bern = Tensor.bernoulli([200_000], p: 0.3, using: &rng)
        #expect(Swift.abs(bern.mean().scalar - 0.3) < 0.005)
        let mask = Tensor.dropoutMask([200_000], p: 0.25, using: &rng)
        #expect(Swift.abs(mask.mean().scalar - 1) < 0.01)
        let perm = rng.permutation(1000)
        #expect(perm.sorted() == Array(0..<1000) && perm != Array(0..<1000))
    }

    @Test func stateRoundTrips() {
        var a = RandomGenerator(seed: 11)
        _ = a.next()
        var b = RandomGenerator(state: a.state)
        #expect(a.next() == b.next())
    }
}
