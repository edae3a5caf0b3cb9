import Testing
import DeepGenKernels
import DeepGen
import _DeepGenTestSupport

/// The text models' ops: PyTorch's values (`text_ops.json` from Scripts/make_fixtures.py),
/// finite-difference gradients, second derivatives through the recorded backward passes, and
/// the fused kernels against their composite formulas.
@Suite struct TextOpTests {
    func ints(_ c: FixtureCase, _ key: String) -> [Int] {
        guard case .ints(let v)? = c.params[key] else { fatalError("\(c.name) has no \(key)") }
        return v
    }

    func named(_ name: String) -> FixtureCase? { fixture("text_ops").first { $0.name == name } }

    @Test func matchPyTorch() throws {
        let cases = fixture("text_ops")
        #expect(cases.count == 11)
        for c in cases {
            guard case .string(let op)? = c.params["op"] else { Issue.record("\(c.name) has no op"); continue }
            switch op {
            case "gelu":
                expectMatches(c, inputs: ["x"], gradients: ["grad_x"]) { $0[0].gelu() }
            case "layer_norm":
                let names = ["x", "w", "b"].filter { c.tensors[$0] != nil }
                expectMatches(c, inputs: names, gradients: names.map { "grad_" + $0 }) { t in
                    t[0].layerNormalized(weight: names.count > 1 ? t[1] : nil, bias: names.count > 2 ? t[2] : nil, eps: 1e-5)
                }
            case "embedding":
                let indices = ints(c, "indices")
                expectMatches(c, inputs: ["table"], gradients: ["grad_table"]) { $0[0].gatheringRows(indices) }
            case "cross_entropy":
                let labels = ints(c, "labels")
                expectMatches(c, inputs: ["x"], gradients: ["grad_x"]) { $0[0].softmaxCrossEntropy(labels: labels) }
            case "causal_attention":
                expectMatches(c, inputs: ["q", "k", "v"], gradients: ["grad_q", "grad_k", "grad_v"]) {
                    Tensor.causalAttention(query: $0[0], key: $0[1], value: $0[2])
                }
                expectMatches(c, inputs: ["q", "k", "v"], gradients: ["grad_q", "grad_k", "grad_v"]) {
                    Tensor.causalAttentionComposite(query: $0[0], key: $0[1], value: $0[2])
                }
            case "lstm_cell":
                expectMatches(c, inputs: ["gates", "cell"], gradients: ["grad_gates", "grad_cell"]) { Tensor.lstmCell(gates: $0[0], cell: $0[1]) }
                expectMatches(c, inputs: ["gates", "cell"], gradients: ["grad_gates", "grad_cell"]) { Tensor.lstmCellComposite(gates: $0[0], cell: $0[1]) }
            default:
                Issue.record("unknown op \(op) in \(c.name)")
            }
        }
    }

    @Test func finiteDifferenceGradients() {
        let x = smooth([3, 6], seed: 11, scale: 2)
        expectGradient("gelu", { $0[0].gelu() }, [x])
        let rows = smooth([2, 3, 7], seed: 12), w = smooth([7], seed: 13), b = smooth([7], seed: 14)
        expectGradient("layer norm", { $0[0].layerNormalized(weight: $0[1], bias: $0[2]) }, [rows, w, b])
        expectGradient("layer norm without affine", { $0[0].layerNormalized() }, [rows])
        expectGradient("rows", { $0[0].gatheringRows([2, 0, 2, 4]) }, [smooth([5, 3], seed: 15)])
        expectGradient("cross-entropy", { $0[0].softmaxCrossEntropy(labels: [1, 0, 4]) }, [smooth([3, 5], seed: 16)])
        let q = smooth([2, 2, 4, 3], seed: 17), k = smooth([2, 2, 4, 3], seed: 18), v = smooth([2, 2, 4, 3], seed: 19)
        expectGradient("attention", { Tensor.causalAttention(query: $0[0], key: $0[1], value: $0[2]) }, [q, k, v])
        expectGradient("LSTM cell", { Tensor.lstmCell(gates: $0[0], cell: $0[1]) }, [smooth([2, 12], seed: 27), smooth([2, 3], seed: 28)])
        var maskRNG = RandomGenerator(seed: 8)
        let mask = Tensor.dropoutMask([4, 4, 4], p: 0.3, using: &maskRNG)
        expectGradient("attention with dropout", { Tensor.causalAttention(query: $0[0], key: $0[1], value: $0[2], dropoutMask: mask) }, [q, k, v])
        let q1 = smooth([1, 2, 2, 3], seed: 20)
        expectGradient("attention, fewer queries", { Tensor.causalAttention(query: $0[0], key: $0[1], value: $0[2]) }, [q1, k.sliced(axis: 0, 0..<1), v.sliced(axis: 0, 0..<1)])
    }

    /// The recorded backward passes (`createGraph`) are themselves differentiable: the gradient
    /// of a squared gradient norm matches finite differences.
    @Test func secondDerivatives() {
        let x = smooth([2, 5], seed: 21)
        expectGradient("gelu″", gradientNormSquared { $0[0].gelu() }, [x])
        expectGradient("layer norm″", gradientNormSquared { $0[0].layerNormalized(weight: $0[1]) }, [smooth([2, 5], seed: 22), smooth([5], seed: 23)])
        expectGradient("LSTM cell″", gradientNormSquared { Tensor.lstmCell(gates: $0[0], cell: $0[1]) }, [smooth([2, 8], seed: 29), smooth([2, 2], seed: 30)])
        expectGradient("LSTM layer″", gradientNormSquared { Tensor.lstmLayer(inputGates: $0[0], weightHH: $0[1], hidden0: $0[2], cell0: $0[3]).hidden },
                       [smooth([2, 1, 8], seed: 35), smooth([8, 2], seed: 36, scale: 0.5), smooth([1, 2], seed: 37), smooth([1, 2], seed: 38)])
        expectGradient("cross-entropy″", gradientNormSquared { $0[0].softmaxCrossEntropy(labels: [3, 1]) }, [x])
        let q = smooth([1, 1, 3, 2], seed: 24), k = smooth([1, 1, 3, 2], seed: 25), v = smooth([1, 1, 3, 2], seed: 26)
        expectGradient("attention″", gradientNormSquared { Tensor.causalAttention(query: $0[0], key: $0[1], value: $0[2]) }, [q, k, v])
        var maskRNG = RandomGenerator(seed: 6)
        let mask = Tensor.dropoutMask([1, 3, 3], p: 0.3, using: &maskRNG)
        expectGradient("attention with dropout″", gradientNormSquared { Tensor.causalAttention(query: $0[0], key: $0[1], value: $0[2], dropoutMask: mask) }, [q, k, v])
    }

    /// The fused attention against the composite formula on a size that takes several threads and
    /// the GEMM's blocked path (time 40, head 24).
    @Test func fusedAttentionMatchesComposite() {
        var rng = RandomGenerator(seed: 3)
        let q = Tensor.normal([3, 4, 40, 24], using: &rng), k = Tensor.normal([3, 4, 40, 24], using: &rng)
        let v = Tensor.normal([3, 4, 40, 24], using: &rng), g = Tensor.normal([3, 4, 40, 24], using: &rng)
        let fused = [q, k, v].map { $0.requiringGrad() }, naive = [q, k, v].map { $0.requiringGrad() }
        let a = Tensor.causalAttention(query: fused[0], key: fused[1], value: fused[2])
        let b = Tensor.causalAttentionComposite(query: naive[0], key: naive[1], value: naive[2])
        #expect(closeness(a, b, atol: 1e-5, rtol: 1e-4) == nil)
        let ga = gradients(of: (a * g).sum(), with: fused), gb = gradients(of: (b * g).sum(), with: naive)
        for (x, y) in zip(ga, gb) { #expect(closeness(x, y, atol: 1e-4, rtol: 1e-4) == nil) }
        // With a dropout mask on the probabilities (nanoGPT's attention dropout).
        var maskRNG = RandomGenerator(seed: 4)
        let mask = Tensor.dropoutMask([12, 40, 40], p: 0.2, using: &maskRNG)
        let fusedM = [q, k, v].map { $0.requiringGrad() }, naiveM = [q, k, v].map { $0.requiringGrad() }
        let am = Tensor.causalAttention(query: fusedM[0], key: fusedM[1], value: fusedM[2], dropoutMask: mask)
        let bm = Tensor.causalAttentionComposite(query: naiveM[0], key: naiveM[1], value: naiveM[2], dropoutMask: mask)
        #expect(closeness(am, bm, atol: 1e-5, rtol: 1e-4) == nil && closeness(am, a, atol: 1e-3, rtol: 1e-3) != nil)
        for (x, y) in zip(gradients(of: (am * g).sum(), with: fusedM), gradients(of: (bm * g).sum(), with: naiveM)) {
            #expect(closeness(x, y, atol: 1e-4, rtol: 1e-4) == nil)
        }
        // A query at position t sees nothing after t: the output at 0..<t ignores keys ≥ t.
        let leaves = [q, k, v].map { $0.requiringGrad() }
        let early = Tensor.causalAttention(query: leaves[0], key: leaves[1], value: leaves[2]).sliced(axis: 2, 0..<10)
        let gk = gradients(of: early.sum(), with: [leaves[1]])[0]
        #expect(gk.sliced(axis: 2, 10..<40).scalars.allSatisfy { $0 == 0 })
    }

    /// Layer norm's fused backward pass (16 lanes, a tail) against the same formula in
    /// differentiable ops on 1,200 rows of 16, 37 and 128, on one and two threads (two chunks of
    /// partial weight and bias sums).
    @Test(arguments: [1, 2]) func layerNormBackwardMatchesComposite(_ threads: Int) {
        Parallel.withThreadCount(threads) {
            var rng = RandomGenerator(seed: 6)
            for width in [16, 37, 128] {
                let x = Tensor.normal([40, 30, width], using: &rng) * 3 + 1, g = Tensor.normal([40, 30, width], using: &rng)
                let w = Tensor.normal([width], using: &rng), b = Tensor.normal([width], using: &rng)
                let fused = [x, w, b].map { $0.requiringGrad() }, naive = [x, w, b].map { $0.requiringGrad() }
                let y = fused[0].layerNormalized(weight: fused[1], bias: fused[2])
                let mean = naive[0].mean(axes: [2], keepDims: true), centered = naive[0] - mean
                let z = centered / ((centered.square().mean(axes: [2], keepDims: true) + 1e-5).sqrt()) * naive[1] + naive[2]
                #expect(closeness(y, z, atol: 1e-5, rtol: 1e-4) == nil, "width \(width)")
                let gf = gradients(of: (y * g).sum(), with: fused), gn = gradients(of: (z * g).sum(), with: naive)
                for (f, n) in zip(gf, gn) { #expect(closeness(f, n, atol: 1e-4, rtol: 1e-4) == nil, "width \(width)") }
            }
        }
    }

    /// Fewer queries than keys (a cache's prompt continuation) on sizes with partial register
    /// tiles and vectors (21 queries over 45 keys, head 40; one query over 37 keys), against the
    /// composite formula; a row of infinite scores gives what the composite gives (NaN).
    @Test func fewerQueriesThanKeysMatchComposite() {
        var rng = RandomGenerator(seed: 5)
        for (tq, tk, d) in [(21, 45, 40), (1, 37, 16)] {
            let q = Tensor.normal([2, 3, tq, d], using: &rng), k = Tensor.normal([2, 3, tk, d], using: &rng)
            let v = Tensor.normal([2, 3, tk, d], using: &rng), g = Tensor.normal([2, 3, tq, d], using: &rng)
            let fused = [q, k, v].map { $0.requiringGrad() }, naive = [q, k, v].map { $0.requiringGrad() }
            let a = Tensor.causalAttention(query: fused[0], key: fused[1], value: fused[2])
            let b = Tensor.causalAttentionComposite(query: naive[0], key: naive[1], value: naive[2])
            #expect(closeness(a, b, atol: 1e-5, rtol: 1e-4) == nil, "\(tq) queries, \(tk) keys")
            let ga = gradients(of: (a * g).sum(), with: fused), gb = gradients(of: (b * g).sum(), with: naive)
            for (x, y) in zip(ga, gb) { #expect(closeness(x, y, atol: 1e-4, rtol: 1e-4) == nil, "\(tq) queries, \(tk) keys") }
        }
        var scalars = Tensor.normal([1, 1, 20, 16], using: &rng).scalars
        scalars[3 * 16] = .infinity  // query 3's scores are ±∞ or NaN
        let q = Tensor(shape: [1, 1, 20, 16], scalars: scalars), k = Tensor.normal([1, 1, 20, 16], using: &rng)
        let a = Tensor.causalAttention(query: q, key: k, value: k), b = Tensor.causalAttentionComposite(query: q, key: k, value: k)
        #expect(a.scalars.map(\.isNaN) == b.scalars.map(\.isNaN) && a.sliced(axis: 2, 3..<4).scalars.allSatisfy(\.isNaN))
    }

    /// The sequence LSTM op against the step-by-step composite (values, every gradient, on a size
    /// with a partial vector), finite differences, and a second derivative through it.
    @Test func lstmLayerMatchesTheStepwiseFormula() {
        var rng = RandomGenerator(seed: 9)
        let (time, batch, hidden) = (5, 3, 20)
        let xg = Tensor.normal([time, batch, 4 * hidden], using: &rng), w = Tensor.normal([4 * hidden, hidden], using: &rng) * 0.3
        let h0 = Tensor.normal([batch, hidden], using: &rng), c0 = Tensor.normal([batch, hidden], using: &rng)
        let g = Tensor.normal([time, batch, hidden], using: &rng)
        let fused = [xg, w, h0, c0].map { $0.requiringGrad() }, naive = [xg, w, h0, c0].map { $0.requiringGrad() }
        let (a, lastCell) = Tensor.lstmLayer(inputGates: fused[0], weightHH: fused[1], hidden0: fused[2], cell0: fused[3])
        let b = Tensor.lstmLayerComposite(inputGates: naive[0], weightHH: naive[1], hidden0: naive[2], cell0: naive[3])
        #expect(closeness(a, b, atol: 1e-5, rtol: 1e-4) == nil)
        for (x, y) in zip(gradients(of: (a * g).sum(), with: fused), gradients(of: (b * g).sum(), with: naive)) {
            #expect(closeness(x, y, atol: 1e-4, rtol: 1e-4) == nil)
        }
        // The last cell state continues the sequence: one more step from it matches a 6-step run.
        let extra = Tensor.normal([1, batch, 4 * hidden], using: &rng)
        let six = Tensor.lstmLayer(inputGates: Tensor.concat([xg, extra], axis: 0), weightHH: w, hidden0: h0, cell0: c0).hidden
        let one = Tensor.lstmLayer(inputGates: extra, weightHH: w, hidden0: a.detached().sliced(axis: 0, 4..<5).reshaped([batch, hidden]),
                                   cell0: lastCell).hidden
        #expect(closeness(one, six.sliced(axis: 0, 5..<6), atol: 1e-6, rtol: 1e-5) == nil)
        expectGradient("LSTM layer", { Tensor.lstmLayer(inputGates: $0[0], weightHH: $0[1], hidden0: $0[2], cell0: $0[3]).hidden },
                       [smooth([3, 2, 8], seed: 31), smooth([8, 2], seed: 32, scale: 0.5), smooth([2, 2], seed: 33), smooth([2, 2], seed: 34)])
    }

    /// The layer's products split across threads and its cell steps by rows: the same values and
    /// gradients on one, two and three threads, bit for bit, with partial vectors and tiles.
    @Test func lstmLayerIsTheSameOnAnyThreadCount() {
        for (batch, hidden) in [(50, 24), (51, 16), (20, 20)] {
            var rng = RandomGenerator(seed: 12)
            let time = 4
            let inputs = [Tensor.normal([time, batch, 4 * hidden], using: &rng), Tensor.normal([4 * hidden, hidden], using: &rng) * 0.3,
                          Tensor.normal([batch, hidden], using: &rng), Tensor.normal([batch, hidden], using: &rng)]
            let g = Tensor.normal([time, batch, hidden], using: &rng)
            var results: [[[Float]]] = []
            for threads in [1, 2, 3] {
                results.append(Parallel.withThreadCount(threads) {
                    let x = inputs.map { $0.requiringGrad() }
                    let (h, lastCell) = Tensor.lstmLayer(inputGates: x[0], weightHH: x[1], hidden0: x[2], cell0: x[3])
                    return [h.scalars, lastCell.scalars] + gradients(of: (h * g).sum(), with: x).map(\.scalars)
                })
            }
            #expect(results[1] == results[0], "batch \(batch), 2 threads")
            #expect(results[2] == results[0], "batch \(batch), 3 threads")
        }
    }

    /// GPT's attention over its packed projection against splitting it into heads, the primitive
    /// and merging the heads: the same values bit for bit (zeros' signs aside), with and without
    /// dropout, on 1 and 2 threads; PyTorch's values (the `attention_causal` fixture, packed);
    /// finite-difference first and second derivatives.
    @Test func packedSelfAttention() {
        func separate(_ packed: Tensor, heads: Int, mask: Tensor? = nil) -> Tensor {
            let (q, k, v) = Tensor.splitHeads(packed, heads: heads)
            let (b, t, c) = (packed.shape[0], packed.shape[1], packed.shape[2] / 3)
            return Tensor.causalAttention(query: q, key: k, value: v, dropoutMask: mask).permuted([0, 2, 1, 3]).reshaped([b, t, c])
        }
        var rng = RandomGenerator(seed: 31)
        let packed = Tensor.normal([3, 40, 3 * 4 * 24], using: &rng), g = Tensor.normal([3, 40, 4 * 24], using: &rng)
        var maskRNG = RandomGenerator(seed: 32)
        let mask = Tensor.dropoutMask([12, 40, 40], p: 0.2, using: &maskRNG)
        for threads in [1, 2] {
            for m in [nil, mask] {
                Parallel.withThreadCount(threads) {
                    let a = packed.requiringGrad(), b = packed.requiringGrad()
                    let ya = Tensor.causalSelfAttention(packed: a, heads: 4, dropoutMask: m), yb = separate(b, heads: 4, mask: m)
                    #expect(ya.scalars == yb.scalars, "output, threads \(threads), mask \(m != nil)")
                    let ga = gradients(of: (ya * g).sum(), with: [a])[0], gb = gradients(of: (yb * g).sum(), with: [b])[0]
                    #expect(ga.scalars == gb.scalars, "gradient, threads \(threads), mask \(m != nil)")
                }
            }
        }
        // PyTorch: the fixture's [b, h, t, d] queries, keys and values packed as c_attn lays them out.
        if let c = named("attention_causal") {
            let (b, h, t, d) = (c.tensor("q").shape[0], c.tensor("q").shape[1], c.tensor("q").shape[2], c.tensor("q").shape[3])
            func pack(_ x: Tensor) -> Tensor { x.permuted([0, 2, 1, 3]).reshaped([b, t, h * d]) }
            let leaves = ["q", "k", "v"].map { c.tensor($0).requiringGrad() }
            let y = Tensor.causalSelfAttention(packed: Tensor.concat(leaves.map(pack), axis: 2), heads: h)
            #expect(closeness(y, pack(c.tensor("y"))) == nil)
            let grads = gradients(of: (y * pack(c.tensor("grad_output"))).sum(), with: leaves)
            for (grad, name) in zip(grads, ["grad_q", "grad_k", "grad_v"]) { #expect(closeness(grad, c.tensor(name)) == nil, "\(name)") }
        } else {
            Issue.record("no attention_causal fixture")
        }
        let small = smooth([2, 3, 3 * 2 * 2], seed: 33)
        expectGradient("packed attention", { Tensor.causalSelfAttention(packed: $0[0], heads: 2) }, [small])
        expectGradient("packed attention″", { xs in
            let y = Tensor.causalSelfAttention(packed: xs[0], heads: 2)
            return gradients(of: (y * y).sum() * 0.5, with: xs, createGraph: true)[0].square().sum().reshaped([1])
        }, [small])
    }

    @Test func crossEntropyOfExtremeScores() {
        let x = Tensor(shape: [2, 3], scalars: [1000, -1000, 0, -.infinity, 5, -.infinity])
        let loss = x.softmaxCrossEntropy(labels: [0, 1]).scalars
        #expect(loss[0] == 0)
        #expect(loss[1] == 0)
    }
}
