import Foundation
import Testing
import DeepGen
import DeepGenData
import DeepGenNN
import DeepGenOptimizers
import _DeepGenTestSupport
@testable import DeepGenModels

/// The character GPT against PyTorch's nanoGPT-layout model (Scripts/make_text_fixtures.py):
/// its `state_dict` loads by name, logits, loss, every gradient and one AdamW step match; the
/// key/value cache gives the full forward pass's logits; the learning-rate schedule is nanoGPT's.
@Suite struct GPTTests {
    static func makeGPT(bias: Bool, dropout: Float = 0) -> GPT {
        var rng = RandomGenerator(seed: 1)
        return GPT(vocabulary: 11, blockSize: 8, layers: 2, heads: 2, embedding: 16, dropout: dropout, bias: bias, using: &rng)
    }

    /// Loads PyTorch's weights (`<file>.safetensors`, keys under `prefix`) into `network` by name,
    /// checks its logits, loss and every gradient against `<file>_io.safetensors`, and returns the
    /// fixture's tensors, ids, targets and the loss (for further checks).
    @discardableResult
    static func expectMatchesPyTorch(_ network: any CharacterNetwork, file: String, prefix: String)
        throws -> (io: [String: Tensor], ids: [Int], targets: [Int], loss: Tensor) {
        let io = try PyTorchInteropTests.file(file + "_io").tensors
        let state = try PyTorchInteropTests.file(file).tensors
        let stripped = Dictionary(uniqueKeysWithValues: state.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
        #expect(Set(network.stateDict().keys) == Set(stripped.keys), "\(file): state_dict names differ from PyTorch's: \(network.stateDict().keys.sorted())")
        try network.load(stateDict: stripped)
        network.eval()
        let ids = try #require(io["ids"]).scalars.map { Int($0) }, targets = try #require(io["targets"]).scalars.map { Int($0) }
        let logits = network.logits(ids, batch: 3, time: 8)
        PyTorchInteropTests.expectClose(logits.detached(), io["logits"], "\(file) logits")
        let loss = logits.softmaxCrossEntropy(labels: targets).mean()
        #expect(Swift.abs(loss.scalar - io["loss"]!.scalars[0]) <= 1e-5)
        let parameters = network.namedParameters()
        for ((key, _), g) in zip(parameters, gradients(of: loss, with: parameters.map(\.1.value))) {
            PyTorchInteropTests.expectClose(g, io["grad." + key], "\(file) gradient of \(key)")
        }
        return (io, ids, targets, loss)
    }

    @Test(arguments: ["bias", "nobias"])
    func matchesPyTorch(_ name: String) throws {
        let gpt = Self.makeGPT(bias: name == "bias", dropout: name == "bias" ? 0.1 : 0)
        let (io, ids, targets, _) = try Self.expectMatchesPyTorch(gpt, file: "gpt_\(name)", prefix: "gpt.")

        // One step of the recipe's optimizer: AdamW with decay on matrices only, clipping by global norm.
        var settings = OptimizerSettings(kind: .adamw, learningRate: 1e-2, beta1: 0.9, beta2: 0.99, weightDecay: 0.1, maxGradientNorm: 0.5)
        settings.decayMatricesOnly = true
        let network = TrainableNetwork(name: "gpt", module: gpt, optimizer: settings.makeOptimizer())
        optimize(gpt.logits(ids, batch: 3, time: 8).softmaxCrossEntropy(labels: targets).mean(), [network])
        for (key, p) in gpt.namedParameters() { PyTorchInteropTests.expectClose(p.value, io["adamw." + key], "\(name) \(key) after AdamW") }
    }

    /// Feeding a sequence through the cache — a prompt of 3, then one character at a time —
    /// gives each position the logits of the full forward pass.
    @Test(arguments: [true, false])
    func cachedLogitsEqualTheFullPass(bias: Bool) {
        let gpt = Self.makeGPT(bias: bias)
        var rng = RandomGenerator(seed: 5)
        for p in gpt.namedParameters().map(\.1) { p.value = p.value + Tensor.normal(p.shape, using: &rng) * 0.3 }
        gpt.eval()
        let ids = [3, 1, 4, 1, 5, 9, 2, 6]
        let full = withoutGrad { gpt.logits(ids, batch: 1, time: 8) }
        let cache = GPTCache(layers: 2)
        var rows = [withoutGrad { gpt.logits(appending: Array(ids[0..<3]), to: cache) }]
        for t in 3..<8 { rows.append(withoutGrad { gpt.logits(appending: [ids[t]], to: cache) }) }
        #expect(cache.length == 8)
        for (i, row) in rows.enumerated() {
            let position = i == 0 ? 2 : i + 2
            let expected = full.sliced(axis: 0, position..<(position + 1))
            #expect(closeness(row, expected, atol: 1e-5, rtol: 1e-4) == nil, "position \(position)")
        }
    }

    /// The char-rnn against PyTorch's Embedding + nn.LSTM + Linear: names, logits, loss and every
    /// gradient, and one more step from the LSTM's final state through the generation state.
    @Test func charRNNMatchesPyTorch() throws {
        var rng = RandomGenerator(seed: 1)
        let rnn = CharRNN(vocabulary: 11, embedding: 6, hiddenSize: 7, layers: 2, dropout: 0, using: &rng)
        let (io, ids, _, _) = try Self.expectMatchesPyTorch(rnn, file: "char_rnn", prefix: "char_rnn.")
        // Each sequence fed through a generation state, then one more id: PyTorch's next logits.
        let next = try #require(io["next_ids"]).scalars.map { Int($0) }
        for b in 0..<3 {
            let s = rnn.startGeneration()
            _ = withoutGrad { rnn.logits(appending: Array(ids[(b * 8)..<(b * 8 + 8)]), to: s) }
            let row = withoutGrad { rnn.logits(appending: [next[b]], to: s) }
            PyTorchInteropTests.expectClose(row, io["next_logits"]!.sliced(axis: 0, b..<(b + 1)), "char-rnn next logits of sequence \(b)")
        }
    }

    static func textModel(steps: Int? = 2000, warmup: Int = 100, minimum: Double? = 1e-4, decay: Int? = nil) throws -> TextModel {
        let vocabulary = String(String.UnicodeScalarView((0..<11).map { Unicode.Scalar(UInt8(97 + $0)) }))
        var config = try ModelConfig.defaults(for: "gpt", dataset: "synthetic", data: DataDescription(kind: .text, shape: [65], vocabulary: vocabulary))
        config.training.steps = steps
        config.updateHyperparameters(TextHyperparameters.self) {
            $0.vocabularySize = 11
            $0.warmupSteps = warmup
            $0.minLearningRate = minimum
            $0.decaySteps = decay
        }
        var rng = RandomGenerator(seed: 0)
        return try TextModel(config: config, hyperparameters: config.hyperparameters(as: TextHyperparameters.self), using: &rng)
    }

    /// nanoGPT's `get_lr`: (it + 1)/(warmup + 1) of the rate, then a cosine to the minimum at the
    /// decay's end, constant after.
    @Test func learningRateScheduleIsNanoGPTs() throws {
        let model = try Self.textModel()
        func expected(_ it: Int) -> Double {
            if it < 100 { return 1e-3 * Double(it + 1) / 101 }
            if it > 2000 { return 1e-4 }
            return 1e-4 + 0.5 * (1 + cos(Double.pi * Double(it - 100) / 1900)) * (1e-3 - 1e-4)
        }
        for step in [0, 50, 99, 100, 101, 1050, 1999, 2000, 2500] {
            #expect(Swift.abs(model.learningRate(step: step, base: 1e-3) - expected(step)) <= 1e-15, "step \(step)")
        }
        let constant = try Self.textModel(warmup: 0, minimum: nil)
        #expect(constant.learningRate(step: 700, base: 3e-4) == 3e-4)
        let decaying = try Self.textModel(steps: 5000, warmup: 10, decay: 110)
        #expect(decaying.learningRate(step: 60, base: 1e-3) == 1e-4 + 0.5 * (1e-3 - 1e-4))
        #expect(decaying.learningRate(step: 111, base: 1e-3) == 1e-4)
    }

    /// Drawing with top-k never returns a character outside the k most likely; a low temperature
    /// concentrates on the most likely.
    @Test func drawingRespectsTopKAndTemperature() {
        let logits = Tensor(shape: [1, 5], scalars: [0.5, 2, -1, 1.9, 0])
        var rng = RandomGenerator(seed: 2)
        var seen = Set<Int>()
        for _ in 0..<500 { seen.insert(TextModel.draw(from: logits, temperature: 1, topK: 2, using: &rng)) }
        #expect(seen == [1, 3])
        var counts = [0, 0, 0, 0, 0]
        for _ in 0..<500 { counts[TextModel.draw(from: logits, temperature: 0.01, topK: nil, using: &rng)] += 1 }
        #expect(counts[1] == 500)
    }
}
