import DeepGen
import DeepGenKernels
import Foundation

/// WaveNet's fast generation (Paine et al. 2016, "Fast Wavenet"): each layer keeps a queue of its
/// last `dilation` inputs, so a new sample costs one step of every layer (a few small matrix
/// products over the batch) instead of a pass over the receptive field.
///
/// The weights are copied out of the network when the generator is made; activations are rows
/// `[batch, channels]`. Feeding the classes of a sequence one step at a time gives the logits the
/// full forward pass gives at each position (the queues start empty, as the causal padding does).
public final class WaveNetGenerator {
    public let batch: Int
    let residual: Int, dilation: Int, skip: Int
    let levels = WaveNet.quantizationLevels
    /// `[2·256 + 1, residual]`: tap 1's rows, tap 0's rows, a zero row for "no previous sample".
    let inputTable: [Float], inputBias: [Float]
    var layers: [Layer]
    /// Every layer's skip weight side by side, `[skip, layers · dilation channels]`, and their
    /// biases' sum: the skip sum is one product with the gated outputs of all layers.
    let skipWeights: [Float], skipBias: [Float]
    let end1: [Float], end1Bias: [Float], end2: [Float], end2Bias: [Float]
    var previous: [Int]
    // Scratch rows.
    var h: [Float], pre: [Float], skipSum: [Float], hidden: [Float]
    /// Each sequence's gated outputs of every layer, `[batch, layers · dilation channels]`.
    var gated: [Float]
    public private(set) var logits: [Float]

    struct Layer {
        let dilation: Int
        /// Taps 0 (`t − dilation`) and 1 (`t`) of the dilated convolution, `[2·dilation channels, residual]`.
        let tap0: [Float], tap1: [Float]
        /// Bias plus each sequence's class and speaker vectors: `[batch, 2·dilation channels]`.
        let bias: [Float]
        let residual: [Float]?, residualBias: [Float]?
        /// The last `dilation` inputs, `[dilation, batch, residual]`, oldest at `position`.
        var queue: [Float]
        var position = 0
    }

    /// A generator for `labels.count` sequences (`labels` must be `nil` entries exactly when the
    /// model has no classes; `speakers`, one per sequence, likewise for speakers).
    public init(_ net: WaveNet, labels: [Int?], speakers: [Int?]? = nil) {
        precondition(!labels.isEmpty, "[WaveNetGenerator] no sequences")
        let speakers = speakers ?? [Int?](repeating: nil, count: labels.count)
        precondition(speakers.count == labels.count, "[WaveNetGenerator] \(labels.count) labels but \(speakers.count) speakers")
        batch = labels.count
        (residual, dilation, skip) = (net.residualChannels, net.dilationChannels, net.skipChannels)
        let q = WaveNet.quantizationLevels, r = residual
        inputTable = Tensor.concat([net.inputConv.weight.value.permuted(2, 1, 0).reshaped([2 * q, r]), Tensor(zeros: [1, r])], axis: 0).scalars
        inputBias = net.inputConv.bias?.value.scalars ?? [Float](repeating: 0, count: r)
        let b = labels.count, twice = 2 * net.dilationChannels
        layers = net.layers.map { l in
            let w = l.dilated.weight.value  // [2·dc, r, 2]
            let bias0 = l.dilated.bias?.value.scalars ?? [Float](repeating: 0, count: twice)
            var bias: [Float] = []
            let table = l.condition?.weight.value.scalars, voices = l.speaker?.weight.value.scalars
            for (label, speaker) in zip(labels, speakers) {
                var row = bias0
                if let table, let label { for j in 0..<twice { row[j] += table[label * twice + j] } }
                if let voices, let speaker { for j in 0..<twice { row[j] += voices[speaker * twice + j] } }
                bias += row
            }
            return Layer(dilation: l.dilation,
                         tap0: w.sliced(axis: 2, 0..<1).scalars, tap1: w.sliced(axis: 2, 1..<2).scalars, bias: bias,
                         residual: l.residual?.weight.value.scalars, residualBias: l.residual?.bias?.value.scalars,
                         queue: [Float](repeating: 0, count: l.dilation * b * r))
        }
        let stacked = net.stackedSkip()
        skipWeights = stacked.weight.scalars
        skipBias = stacked.bias?.scalars ?? [Float](repeating: 0, count: net.skipChannels)
        end1 = net.endConv1.weight.value.scalars
        end1Bias = net.endConv1.bias?.value.scalars ?? [Float](repeating: 0, count: net.skipChannels)
        end2 = net.endConv2.weight.value.scalars
        end2Bias = net.endConv2.bias?.value.scalars ?? [Float](repeating: 0, count: q)
        previous = [Int](repeating: 2 * q, count: b)
        h = [Float](repeating: 0, count: b * r)
        pre = [Float](repeating: 0, count: b * twice)
        gated = [Float](repeating: 0, count: b * net.layers.count * net.dilationChannels)
        skipSum = [Float](repeating: 0, count: b * net.skipChannels)
        hidden = [Float](repeating: 0, count: b * net.skipChannels)
        logits = [Float](repeating: 0, count: b * q)
    }

    /// Feeds one class per sequence and leaves the logits of each sequence's next sample in
    /// ``logits`` (`[batch, 256]`).
    public func step(_ inputs: [Int]) {
        precondition(inputs.count == batch && inputs.allSatisfy { (0..<levels).contains($0) },
                     "[WaveNetGenerator.step] need \(batch) classes in 0..<\(levels)")
        let (b, r, dc, sc, q) = (batch, residual, dilation, skip, levels)
        // Input convolution: rows of the table, as the network's lookup does.
        for i in 0..<b {
            for j in 0..<r { h[i * r + j] = inputBias[j] + inputTable[(q + inputs[i]) * r + j] + inputTable[previous[i] * r + j] }
        }
        previous = inputs
        let width = layers.count * dc
        for l in layers.indices {
            layers[l].advance(h: &h, pre: &pre, gated: &gated, column: l * dc, width: width, batch: b, residual: r, dilationChannels: dc)
        }
        Self.dense(gated, skipWeights, skipBias, &skipSum, rows: b, inputs: width, outputs: sc)
        for i in 0..<(b * sc) { skipSum[i] = Swift.max(skipSum[i], 0) }
        Self.dense(skipSum, end1, end1Bias, &hidden, rows: b, inputs: sc, outputs: sc)
        for i in 0..<(b * sc) { hidden[i] = Swift.max(hidden[i], 0) }
        Self.dense(hidden, end2, end2Bias, &logits, rows: b, inputs: sc, outputs: q)
    }

    /// `out[rows, outputs] = x · Wᵀ + bias` with `W` `[outputs, inputs]`.
    static func dense(_ x: [Float], _ w: [Float], _ bias: [Float], _ out: inout [Float], rows: Int, inputs: Int, outputs: Int, accumulate: Bool = false) {
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { po in
                    if !accumulate {
                        for i in 0..<rows { (po.baseAddress! + i * outputs).update(from: bias, count: outputs) }
                    } else {
                        for i in 0..<rows { for j in 0..<outputs { po[i * outputs + j] += bias[j] } }
                    }
                    sgemm(transA: false, transB: true, m: rows, n: outputs, k: inputs, a: px.baseAddress!, lda: inputs,
                          b: pw.baseAddress!, ldb: inputs, beta: 1, c: po.baseAddress!, ldc: outputs)
                }
            }
        }
    }

    /// Draws each sequence's next class from `softmax(logits / temperature)`.
    public func draw(temperature: Float, using rng: inout RandomGenerator) -> [Int] {
        precondition(temperature > 0, "[WaveNetGenerator.draw] temperature \(temperature) must be positive")
        let q = levels
        var out = [Int](repeating: 0, count: batch)
        var weights = [Float](repeating: 0, count: q)
        for i in 0..<batch {
            var top = -Float.infinity
            for j in 0..<q { top = Swift.max(top, logits[i * q + j]) }
            logits.withUnsafeBufferPointer { pl in
                weights.withUnsafeMutableBufferPointer { pw in
                    let scale = 1 / temperature
                    VectorMath.apply(pl.baseAddress! + i * q, pw.baseAddress!, count: q, TemperedExponential(top: top, scale: scale))
                }
            }
            var total: Double = 0
            for w in weights { total += Double(w) }
            var u = (Double(rng.next() >> 11) * 0x1p-53) * total
            var pick = q - 1
            for j in 0..<q {
                u -= Double(weights[j])
                if u < 0 { pick = j; break }
            }
            out[i] = pick
        }
        return out
    }
}

extension WaveNetGenerator.Layer {
    /// One step: reads the input `dilation` steps back from the queue, pushes the current one,
    /// writes the gated output into columns `column ..< column + dilationChannels` of `gated`
    /// (rows `width` wide), and updates the residual stream `h` in place.
    mutating func advance(h: inout [Float], pre: inout [Float], gated: inout [Float], column: Int, width: Int,
                          batch b: Int, residual r: Int, dilationChannels dc: Int) {
        let twice = 2 * dc, offset = position * b * r
        pre.withUnsafeMutableBufferPointer { pp in
            pp.baseAddress!.update(from: bias, count: b * twice)
            queue.withUnsafeBufferPointer { pq in
                tap0.withUnsafeBufferPointer { pw in
                    sgemm(transA: false, transB: true, m: b, n: twice, k: r, a: pq.baseAddress! + offset, lda: r,
                          b: pw.baseAddress!, ldb: r, beta: 1, c: pp.baseAddress!, ldc: twice)
                }
            }
            h.withUnsafeBufferPointer { ph in
                tap1.withUnsafeBufferPointer { pw in
                    sgemm(transA: false, transB: true, m: b, n: twice, k: r, a: ph.baseAddress!, lda: r,
                          b: pw.baseAddress!, ldb: r, beta: 1, c: pp.baseAddress!, ldc: twice)
                }
                queue.withUnsafeMutableBufferPointer { pq in (pq.baseAddress! + offset).update(from: ph.baseAddress!, count: b * r) }
            }
            gated.withUnsafeMutableBufferPointer { pg in
                for i in 0..<b { GatedKernels.forward(pp.baseAddress! + i * twice, pg.baseAddress! + i * width + column, outer: 1, half: dc) }
            }
        }
        position = (position + 1) % dilation
        guard let residual, let residualBias else { return }
        gated.withUnsafeBufferPointer { pg in
            residual.withUnsafeBufferPointer { pw in
                h.withUnsafeMutableBufferPointer { ph in
                    for i in 0..<b { for j in 0..<r { ph[i * r + j] += residualBias[j] } }
                    sgemm(transA: false, transB: true, m: b, n: r, k: dc, a: pg.baseAddress! + column, lda: width,
                          b: pw.baseAddress!, ldb: dc, beta: 1, c: ph.baseAddress!, ldc: r)
                }
            }
        }
    }
}

/// `exp((x − top) · scale)`: softmax numerators at a temperature, the largest logit `top` first.
private struct TemperedExponential: UnaryVectorFunction {
    let top: VectorMath.V, scale: VectorMath.V

    init(top: Float, scale: Float) {
        self.top = VectorMath.V(repeating: top)
        self.scale = VectorMath.V(repeating: scale)
    }

    @_transparent func callAsFunction(_ v: VectorMath.V) -> VectorMath.V { VectorMath.exp((v - top) * scale) }
}
