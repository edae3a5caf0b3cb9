import DeepGen
import DeepGenData
import DeepGenNN
import Foundation

/// WaveNet in training: windows of audio μ-law encoded, the cross-entropy of every next sample
/// given those before it, a few generated clips after every epoch, and the test clips' negative
/// log-likelihood in `metrics.csv`.
public final class WaveNetModel: GenerativeModel, AudioGenerating, TestSetEvaluating {
    public let config: ModelConfig
    public let hyperparameters: WaveNetHyperparameters
    public let network: WaveNet
    public let networks: [TrainableNetwork]
    public var lossNames: [String] { ["loss"] }
    public let sampleRate: Int

    public init(config: ModelConfig, hyperparameters h: WaveNetHyperparameters, using rng: inout RandomGenerator) {
        self.config = config
        hyperparameters = h
        sampleRate = config.data.sampleRate ?? WaveNetHyperparameters.defaultSampleRate
        network = WaveNet(dilations: h.dilations, residualChannels: h.residualChannels, dilationChannels: h.dilationChannels,
                          skipChannels: h.skipChannels, conditioningClasses: h.conditioningClasses,
                          conditioningSpeakers: h.conditioningSpeakers ?? 0, using: &rng)
        networks = [TrainableNetwork(name: "wavenet", module: network, optimizer: config.training.optimizer.makeOptimizer())]
    }

    public var receptiveField: Int { network.receptiveField }

    public var conditioningClasses: [Int]? {
        guard hyperparameters.conditioningClasses > 0 else { return nil }
        return config.data.classLabels ?? Array(0..<hyperparameters.conditioningClasses)
    }

    /// The class names of the conditioning labels where the data has them ("0"…"9" for digits).
    public var classNames: [String]? { config.data.classNames }

    public var speakerNames: [String]? {
        guard let count = hyperparameters.conditioningSpeakers, count > 0 else { return nil }
        return config.data.speakerNames ?? (0..<count).map(String.init)
    }

    /// Splits `[N, 1, L]` windows into the μ-law classes of samples `0..<L−1` (inputs) and `1..<L`
    /// (targets).
    static func split(_ windows: Tensor) -> (inputs: [Int], targets: [Int], batch: Int, time: Int) {
        let n = windows.shape[0], length = windows.count / Swift.max(n, 1)
        let classes = MuLaw.encode(windows.scalars)
        var inputs: [Int] = [], targets: [Int] = []
        inputs.reserveCapacity(n * (length - 1))
        targets.reserveCapacity(n * (length - 1))
        for i in 0..<n {
            inputs += classes[(i * length) ..< (i * length + length - 1)]
            targets += classes[(i * length + 1) ..< (i * length + length)]
        }
        return (inputs, targets, n, length - 1)
    }

    /// Mean cross-entropy (nats) of `targets` under the logits `[N, 256, T]`.
    static func crossEntropy(_ logits: Tensor, targets: [Int]) -> Tensor {
        let (n, q, t) = (logits.shape[0], logits.shape[1], logits.shape[2])
        return logits.permuted(0, 2, 1).reshaped([n * t, q]).softmaxCrossEntropy(labels: targets)
    }

    func labels(_ batch: [Int]) -> [Int]? { hyperparameters.conditioningClasses > 0 ? batch : nil }

    func speakers(_ batch: [Int]?) -> [Int]? {
        guard network.conditioningSpeakers > 0 else { return nil }
        guard let batch else { preconditionFailure("[WaveNetModel] a model conditioned on speakers got a batch without them") }
        return batch
    }

    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        let (inputs, targets, n, t) = Self.split(batch.inputs)
        let logits = network.logits(inputs, batch: n, time: t, labels: labels(batch.labels), speakers: speakers(batch.speakers))
        return ["loss": optimize(Self.crossEntropy(logits, targets: targets).mean(), networks)]
    }

    // MARK: Generation

    public func generate(labels: [Int?], speakers: [Int?], samples: Int, temperature: Float, using rng: inout RandomGenerator,
                         progress: ((Int) -> Void)? = nil) -> [[Float]] {
        precondition(samples >= 0 && !labels.isEmpty, "[WaveNetModel.generate] need sequences and a length")
        precondition(network.conditioningSpeakers == 0 || speakers.allSatisfy { $0 != nil },
                     "[WaveNetModel.generate] a model conditioned on speakers needs one for every clip")
        let generator = WaveNetGenerator(network, labels: labels.map { hyperparameters.conditioningClasses > 0 ? $0 : nil },
                                         speakers: speakers.map { network.conditioningSpeakers > 0 ? $0 : nil })
        var clips = [[Float]](repeating: [], count: labels.count)
        for i in clips.indices { clips[i].reserveCapacity(samples) }
        // Generation starts after silence, as every training window does.
        var current = [Int](repeating: MuLaw.silence, count: labels.count)
        for s in 0..<samples {
            generator.step(current)
            current = generator.draw(temperature: temperature, using: &rng)
            for i in clips.indices { clips[i].append(MuLaw.decode(current[i])) }
            if let progress, (s + 1) % 1000 == 0 || s + 1 == samples { progress(s + 1) }
        }
        return clips
    }

    // MARK: Scoring

    /// Silence before each scored clip, as the test split's windows start: the model predicts
    /// the clip's first sample after this many silent ones (at least one).
    public var leadingSilence: Int {
        Swift.max(1, AudioWindow.maxLeadingSilence(windowLength: hyperparameters.windowLength, sampleRate: sampleRate))
    }

    /// Outputs per forward pass when scoring: long clips go in overlapping chunks (each with the
    /// receptive field's samples before it, so every output sees what it would in one pass).
    static let scoringChunk = 32_768

    public func negativeLogLikelihood(_ clip: [Float], label: Int?, speaker: Int?) -> Double {
        guard !clip.isEmpty else { return 0 }
        let classes = MuLaw.encode([Float](repeating: 0, count: leadingSilence) + clip)
        let inputs = Array(classes.dropLast()), targets = Array(classes.dropFirst())
        let context = receptiveField - 1, scoredFrom = targets.count - clip.count
        var nats = 0.0
        evaluating {
            var start = scoredFrom
            while start < targets.count {
                let end = Swift.min(targets.count, start + Self.scoringChunk), first = Swift.max(0, start - context)
                let logits = network.logits(Array(inputs[first..<end]), batch: 1, time: end - first, labels: labels([label ?? 0]),
                                            speakers: speakers(speaker.map { [$0] }))
                let perSample = Self.crossEntropy(logits, targets: Array(targets[first..<end])).scalars
                for v in perSample[(start - first)...] { nats += Double(v) }
                start = end
            }
        }
        return nats
    }

    public var testMetricColumns: [String] { ["test_nll_bits"] }

    public func evaluateTestSet(_ test: any Dataset) throws -> [EpochMetric] {
        guard let clips = test as? any AudioClipDataset else { return [] }
        var nats = 0.0, count = 0
        for i in 0..<clips.count {
            let clip = try clips.clip(at: i)
            if let classes = conditioningClasses, !classes.contains(clip.label) {
                throw ConfigurationError(message: "\(clip.name) has label \(clip.label); the model was trained on \(classes)")
            }
            if let speakers = speakerNames, !(0..<speakers.count).contains(clip.speaker ?? -1) {
                throw ConfigurationError(message: "\(clip.name) has no speaker of the \(speakers.count) the model was trained on")
            }
            nats += negativeLogLikelihood(clip.clip.samples, label: clip.label, speaker: clip.speaker)
            count += clip.clip.samples.count
        }
        let bits = nats / Double(Swift.max(count, 1)) / M_LN2
        return [EpochMetric(column: "test_nll_bits", tag: "eval/test_nll_bits", value: Float(bits),
                            message: String(format: "test NLL %.4f bits/sample over %d clips (%d samples)", bits, clips.count, count))]
    }

    // MARK: Preview

    /// One second of each of up to four classes (or four unconditional clips) at temperature 1,
    /// the same draws every epoch (speakers in turn for a model conditioned on them).
    public func preview() -> Preview {
        var rng = RandomGenerator(seed: 0)
        let labels: [Int?] = conditioningClasses.map { Array($0.prefix(4)) } ?? [nil, nil, nil, nil]
        let speakers = speakersInTurn(labels.count)
        let clips = evaluating { generate(labels: labels, speakers: speakers, samples: sampleRate, temperature: 1, using: &rng) }
        let names = zip(labels, speakers).map { l, s in
            [l.map { classNames?[safe: $0] ?? String($0) }, s.flatMap { speakerNames?[safe: $0] }].compactMap { $0 }.joined(separator: " ")
        }
        return .audio(clips, sampleRate: sampleRate, labels: names)
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
