import DeepGen
import DeepGenNN

/// WaveNet (van den Oord et al. 2016) over 256 μ-law classes: a causal convolution of the
/// one-hot input, stacks of dilated causal convolutions with gated activations, residual and
/// skip connections, and two 1×1 layers to the next sample's logits. Global conditioning on a
/// class (a spoken digit), and optionally on a speaker, adds per-layer vectors to the filter and
/// gate pre-activations.
///
/// Names follow common PyTorch ports (`input_conv`, `layers.N.dilated`, `…residual`, `…skip`,
/// `end_conv1`, `end_conv2`; weights `[out, in, k]` as `nn.Conv1d`'s), with the filter and the
/// gate stacked in one convolution of twice the channels (filter first).
public final class WaveNet: Module {
    public static let quantizationLevels = 256
    /// `nn.Conv1d(256, residual, 2)` on the one-hot input; run as two row lookups.
    public let inputConv: Conv1d
    public let layers: [WaveNetLayer]
    public let endConv1: Conv1d
    public let endConv2: Conv1d
    public let residualChannels: Int, dilationChannels: Int, skipChannels: Int
    public let conditioningClasses: Int
    /// Speakers the model is conditioned on (0: none).
    public let conditioningSpeakers: Int

    public init(dilations: [Int], residualChannels: Int, dilationChannels: Int, skipChannels: Int, conditioningClasses: Int,
                conditioningSpeakers: Int = 0, using rng: inout RandomGenerator) {
        let q = Self.quantizationLevels
        self.residualChannels = residualChannels
        self.dilationChannels = dilationChannels
        self.skipChannels = skipChannels
        self.conditioningClasses = conditioningClasses
        self.conditioningSpeakers = conditioningSpeakers
        inputConv = Conv1d(q, residualChannels, kernelSize: 2, using: &rng)
        layers = dilations.enumerated().map { i, d in
            WaveNetLayer(dilation: d, residualChannels: residualChannels, dilationChannels: dilationChannels, skipChannels: skipChannels,
                         classes: conditioningClasses, speakers: conditioningSpeakers, last: i == dilations.count - 1, using: &rng)
        }
        endConv1 = Conv1d(skipChannels, skipChannels, kernelSize: 1, using: &rng)
        endConv2 = Conv1d(skipChannels, q, kernelSize: 1, using: &rng)
    }

    /// Samples the output at time `t` depends on: `t − receptiveField + 1 … t`.
    public var receptiveField: Int { 2 + layers.reduce(0) { $0 + $1.dilation } }

    /// Logits `[N, 256, T]` of the sample after each of `inputs` (`N` sequences of `T` μ-law
    /// classes, row-major), conditioned on `labels` (one per sequence) when the model has classes
    /// and on `speakers` (one per sequence) when it has speakers.
    public func logits(_ inputs: [Int], batch n: Int, time t: Int, labels: [Int]?, speakers: [Int]? = nil) -> Tensor {
        logits(embedded: embed(inputs, batch: n, time: t), labels: labels, speakers: speakers)
    }

    /// The logits from the input convolution's output `[N, residual, T]` on.
    public func logits(embedded: Tensor, labels: [Int]?, speakers: [Int]? = nil) -> Tensor {
        var x = embedded
        var gated: [Tensor] = []
        for layer in layers {
            let (next, z) = layer(x, labels: labels, speakers: speakers)
            x = next
            gated.append(z)
        }
        // The skip outputs' sum Σ Wₗ·zₗ + bₗ is one convolution of the stacked gated outputs with
        // the stacked skip weights: one product with 30 × 32 inputs instead of 30 with 32 inputs
        // each adding into a [N, skip, T] sum.
        let (weight, bias) = stackedSkip()
        let skip = Tensor.concat(gated, axis: 1).conv1d(weight, bias: bias)
        return endConv2.forward(endConv1.forward(skip.relu()).relu())
    }

    /// Every layer's skip weight side by side, `[skip, layers · dilation channels, 1]`, and the
    /// sum of their biases.
    func stackedSkip() -> (weight: Tensor, bias: Tensor?) {
        let weight = Tensor.concat(layers.map { $0.skip.weight.value }, axis: 1)
        let biases = layers.compactMap { $0.skip.bias?.value }
        return (weight, biases.isEmpty ? nil : biases.dropFirst().reduce(biases[0], +))
    }

    /// The input convolution of one-hot vectors: tap 1 looks up the current class, tap 0 the
    /// previous one (nothing before the first), so no `[N, 256, T]` one-hot tensor is built.
    func embed(_ inputs: [Int], batch n: Int, time t: Int) -> Tensor {
        let q = Self.quantizationLevels, c = residualChannels
        // [c, 256, 2] → rows [2·256, c] (tap-major), plus a zero row for "before the start".
        let table = Tensor.concat([inputConv.weight.value.permuted(2, 1, 0).reshaped([2 * q, c]), Tensor(zeros: [1, c])], axis: 0)
        var rows: [Int] = []
        rows.reserveCapacity(2 * n * t)
        for i in 0..<n {
            for s in 0..<t { rows.append(q + inputs[i * t + s]) }
        }
        for i in 0..<n {
            for s in 0..<t { rows.append(s == 0 ? 2 * q : inputs[i * t + s - 1]) }
        }
        let both = table.gatheringRows(rows).reshaped([2, n, t, c])
        let summed = both.sliced(axis: 0, 0..<1) + both.sliced(axis: 0, 1..<2)
        var x = summed.reshaped([n, t, c]).permuted(0, 2, 1)
        if let b = inputConv.bias { x = x + b.value.reshaped([1, c, 1]) }
        return x
    }
}

/// One residual layer: the dilated causal convolution to filter and gate, the class's (and
/// speaker's) vector added, `tanh(filter)·σ(gate)`, a 1×1 convolution to the skip output and one back to the
/// residual stream (absent in the last layer, whose residual output nothing reads).
public final class WaveNetLayer: Module {
    public let dilated: Conv1d
    /// `nn.Embedding(classes, 2·dilation channels)`: a 1×1 convolution of the one-hot class.
    public let condition: Embedding?
    /// `nn.Embedding(speakers, 2·dilation channels)`, for a model conditioned on speakers.
    public let speaker: Embedding?
    public let residual: Conv1d?
    public let skip: Conv1d
    public let dilation: Int

    init(dilation: Int, residualChannels: Int, dilationChannels: Int, skipChannels: Int, classes: Int, speakers: Int, last: Bool,
         using rng: inout RandomGenerator) {
        self.dilation = dilation
        dilated = Conv1d(residualChannels, 2 * dilationChannels, kernelSize: 2, dilation: dilation, using: &rng)
        // As a 1×1 convolution of the one-hot class would start (PyTorch's default), not N(0, 1).
        func table(_ count: Int) -> Embedding? {
            guard count > 0 else { return nil }
            let e = Embedding(count, 2 * dilationChannels, using: &rng)
            e.weight.value = Initializer.pytorchDefault([count, 2 * dilationChannels], fanIn: count, using: &rng)
            return e
        }
        condition = table(classes)
        speaker = table(speakers)
        residual = last ? nil : Conv1d(dilationChannels, residualChannels, kernelSize: 1, using: &rng)
        skip = Conv1d(dilationChannels, skipChannels, kernelSize: 1, using: &rng)
    }

    /// The next residual stream and this layer's gated output (which the network's `skip`
    /// convolutions, run together, take).
    func callAsFunction(_ x: Tensor, labels: [Int]?, speakers: [Int]?) -> (Tensor, Tensor) {
        var pre = dilated.forward(x)
        if let condition, let labels {
            pre = pre + condition(labels).reshaped([labels.count, pre.shape[1], 1])
        }
        if let speaker, let speakers {
            pre = pre + speaker(speakers).reshaped([speakers.count, pre.shape[1], 1])
        }
        let z = pre.gatedActivation(axis: 1)
        let out = residual.map { x + $0.forward(z) } ?? x
        return (out, z)
    }
}
