import DeepGen
import DeepGenData
import DeepGenNN
import DeepGenOptimizers
import Foundation

/// A character-level language model in training: next-character cross-entropy at every position
/// of each window, the learning rate warmed up and decayed per step, a sample of text after
/// every epoch, and the validation loss in `metrics.csv`.
public final class TextModel: GenerativeModel, TextGenerating, StepwiseLearningRate, TestSetEvaluating {
    public let config: ModelConfig
    public let hyperparameters: TextHyperparameters
    /// The GPT (saved as `gpt.*`) or the char-rnn LSTM (`char_rnn.*`).
    public let network: any CharacterNetwork
    public let networks: [TrainableNetwork]
    public let vocabulary: [Unicode.Scalar]
    public var lossNames: [String] { ["loss"] }
    /// Optimizer steps per epoch, known once the training data is (for the cosine's length).
    var stepsPerEpoch: Int?

    public init(config: ModelConfig, hyperparameters h: TextHyperparameters, using rng: inout RandomGenerator) throws {
        self.config = config
        hyperparameters = h
        vocabulary = Array((config.data.vocabulary ?? "").unicodeScalars)
        if config.model == "char-rnn" {
            network = CharRNN(vocabulary: h.vocabularySize, embedding: h.embedding, hiddenSize: h.hiddenSize ?? 128, layers: h.layers,
                              dropout: h.dropout, using: &rng)
        } else {
            network = GPT(vocabulary: h.vocabularySize, blockSize: h.blockSize, layers: h.layers, heads: h.heads ?? 1, embedding: h.embedding,
                          dropout: h.dropout, bias: h.bias ?? false, using: &rng)
        }
        networks = [TrainableNetwork(name: config.model == "char-rnn" ? "char_rnn" : "gpt", module: network,
                                     optimizer: config.training.optimizer.makeOptimizer())]
    }

    public func prepare(trainingData: any Dataset) throws {
        stepsPerEpoch = trainingData.count / config.training.batchSize
    }

    /// Splits `[N, T + 1]` windows into `N·T` input ids and the `N·T` next ids.
    static func split(_ windows: Tensor) -> (inputs: [Int], targets: [Int], batch: Int, time: Int) {
        let n = windows.shape[0], length = windows.shape[1], values = windows.scalars
        var inputs: [Int] = [], targets: [Int] = []
        inputs.reserveCapacity(n * (length - 1))
        targets.reserveCapacity(n * (length - 1))
        for i in 0..<n {
            for t in 0..<(length - 1) {
                inputs.append(Int(values[i * length + t]))
                targets.append(Int(values[i * length + t + 1]))
            }
        }
        return (inputs, targets, n, length - 1)
    }

    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        let (inputs, targets, n, t) = Self.split(batch.inputs)
        let loss = network.logits(inputs, batch: n, time: t).softmaxCrossEntropy(labels: targets).mean()
        return ["loss": optimize(loss, networks)]
    }

    // MARK: Learning rate

    /// nanoGPT's schedule: linear warm-up over `warmupSteps`, then a cosine from the run's rate
    /// down to `minLearningRate` at `decaySteps` (default: the run's last step), constant after.
    public func learningRate(step: Int, base: Double) -> Double {
        let h = hyperparameters
        if step < h.warmupSteps { return base * Double(step + 1) / Double(h.warmupSteps + 1) }
        guard let minimum = h.minLearningRate else { return base }
        let total = h.decaySteps ?? config.training.steps ?? config.training.totalEpochs * (stepsPerEpoch ?? 1)
        if step > total { return minimum }
        let ratio = Double(step - h.warmupSteps) / Double(Swift.max(1, total - h.warmupSteps))
        return minimum + 0.5 * (1 + Foundation.cos(Double.pi * Swift.min(ratio, 1))) * (base - minimum)
    }

    // MARK: Generation

    public func generate(prompt: [Int], length: Int, temperature: Float, topK: Int?, using rng: inout RandomGenerator,
                         emit: (Int) throws -> Void) rethrows {
        precondition(temperature > 0, "[TextModel.generate] temperature \(temperature) must be positive")
        try evaluating {
            var context = prompt.isEmpty ? [vocabulary.firstIndex(of: "\n") ?? 0] : prompt
            let limit = network.contextLimit
            var state = network.startGeneration()
            var held = limit.map { Swift.min($0, context.count) } ?? context.count
            var logits = network.logits(appending: Array(context.suffix(held)), to: state)
            for produced in 0..<length {
                let next = Self.draw(from: logits, temperature: temperature, topK: topK, using: &rng)
                try emit(next)
                context.append(next)
                if produced == length - 1 { break }
                if let limit, held >= limit {
                    // The context is full: positions are absolute, so the last block is run again.
                    state = network.startGeneration()
                    logits = network.logits(appending: Array(context.suffix(limit)), to: state)
                } else {
                    logits = network.logits(appending: [next], to: state)
                    held += 1
                }
            }
        }
    }

    /// One id drawn from `softmax(logits / temperature)` over the `topK` largest logits.
    static func draw(from logits: Tensor, temperature: Float, topK: Int?, using rng: inout RandomGenerator) -> Int {
        let scores = logits.scalars.map { Double($0 / temperature) }
        var threshold = -Double.infinity
        if let topK, topK < scores.count { threshold = scores.sorted(by: >)[topK - 1] }
        let top = scores.max() ?? 0
        let weights = scores.map { $0 >= threshold ? Foundation.exp($0 - top) : 0 }
        let total = weights.reduce(0, +)
        var u = (Double(rng.next() >> 11) * 0x1p-53) * total
        for (i, w) in weights.enumerated() where w > 0 {
            u -= w
            if u < 0 { return i }
        }
        return weights.lastIndex { $0 > 0 } ?? 0
    }

    // MARK: Scoring

    public func crossEntropy(_ windows: TextWindows) throws -> (nats: Double, characters: Int) {
        var rng = RandomGenerator(seed: 0)
        let perBatch = Swift.max(1, 4096 / windows.length)
        var nats = 0.0, characters = 0
        try evaluating {
            for start in stride(from: 0, to: windows.count, by: perBatch) {
                let end = Swift.min(windows.count, start + perBatch)
                var values: [Float] = []
                values.reserveCapacity((end - start) * windows.length)
                for i in start..<end { values += try windows.sample(at: i, using: &rng).values }
                let (inputs, targets, n, t) = Self.split(Tensor(shape: [end - start, windows.length], scalars: values))
                for v in network.logits(inputs, batch: n, time: t).softmaxCrossEntropy(labels: targets).scalars { nats += Double(v) }
                characters += targets.count
            }
        }
        return (nats, characters)
    }

    public var testMetricColumns: [String] { ["val_loss"] }

    public func evaluateTestSet(_ test: any Dataset) throws -> [EpochMetric] {
        guard let windows = test as? TextWindows else { return [] }
        let (nats, n) = try crossEntropy(windows.with(sequential: true))
        let loss = nats / Double(Swift.max(n, 1))
        return [EpochMetric(column: "val_loss", tag: "eval/val_loss", value: Float(loss),
                            message: String(format: "validation loss %.4f nats/char (%.3f bits/char) over %d characters", loss, loss / M_LN2, n))]
    }

    // MARK: Preview

    /// 500 characters after a newline, temperature 0.8, the same draws every epoch.
    public func preview() -> Preview {
        var rng = RandomGenerator(seed: 0)
        var text = String.UnicodeScalarView()
        generate(prompt: [], length: 500, temperature: 0.8, topK: nil, using: &rng) { text.append(vocabulary[$0]) }
        return .file(Data(String(text).utf8), fileExtension: "txt")
    }
}
