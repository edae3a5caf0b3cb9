import Foundation
import Testing
import DeepGen
import DeepGenData
import DeepGenNN
import _DeepGenTestSupport
@testable import DeepGenModels

/// WaveNet: the cached generator against the full forward pass, the receptive field, causality,
/// and that a training step learns.
@Suite struct WaveNetTests {
    static func makeNet(classes: Int = 3, speakers: Int = 0) -> WaveNet {
        var rng = RandomGenerator(seed: 7)
        return WaveNet(dilations: [1, 2, 4, 8, 1, 2, 4, 8], residualChannels: 8, dilationChannels: 6, skipChannels: 12,
                       conditioningClasses: classes, conditioningSpeakers: speakers, using: &rng)
    }

    static func randomClasses(_ n: Int, seed: UInt64) -> [Int] {
        var rng = RandomGenerator(seed: seed)
        return (0..<n).map { _ in rng.nextInt(below: WaveNet.quantizationLevels) }
    }

    /// PyTorch's WaveNet (Scripts/make_audio_fixtures.py, the benchmark's model): its state_dict
    /// loads by name, and the logits, loss and every gradient match.
    @Test func matchesPyTorch() throws {
        let io = try PyTorchInteropTests.file("wavenet_io").tensors
        let state = try PyTorchInteropTests.file("wavenet").tensors
        var rng = RandomGenerator(seed: 1)
        let net = WaveNet(dilations: [1, 2, 4, 8, 1, 2, 4, 8], residualChannels: 6, dilationChannels: 5, skipChannels: 7,
                          conditioningClasses: 3, using: &rng)
        let stripped = Dictionary(uniqueKeysWithValues: state.map { (String($0.key.dropFirst("wavenet.".count)), $0.value) })
        #expect(Set(net.stateDict().keys) == Set(stripped.keys), "names differ from PyTorch's: \(net.stateDict().keys.sorted())")
        try net.load(stateDict: stripped)
        let waves = try #require(io["waves"]), labels = try #require(io["labels"]).scalars.map { Int($0) }
        let (inputs, targets, n, t) = WaveNetModel.split(waves.reshaped([2, 1, 41]))
        let logits = net.logits(inputs, batch: n, time: t, labels: labels)
        PyTorchInteropTests.expectClose(logits.detached(), io["logits"], "logits")
        let loss = WaveNetModel.crossEntropy(logits, targets: targets).mean()
        #expect(Swift.abs(loss.scalar - io["loss"]!.scalars[0]) <= 1e-5)
        let parameters = net.namedParameters()
        for ((key, _), g) in zip(parameters, gradients(of: loss, with: parameters.map(\.1.value))) {
            PyTorchInteropTests.expectClose(g, io["grad." + key], "gradient of \(key)")
        }
    }

    /// Fast generation's queues give, step by step, the logits of the full forward pass at every
    /// position (≤ 1e-4), for a batch of sequences with different classes (and speakers) and
    /// without classes.
    @Test func cachedGeneratorMatchesTheFullForwardPass() {
        for (classes, speakers) in [(3, 0), (0, 0), (3, 4), (0, 4)] {
            let net = Self.makeNet(classes: classes, speakers: speakers)
            net.eval()
            let (batch, time) = (3, 70)
            let inputs = Self.randomClasses(batch * time, seed: 11)
            let labels = classes > 0 ? [2, 0, 1] : nil, voices = speakers > 0 ? [3, 3, 0] : nil
            let full = withoutGrad { net.logits(inputs, batch: batch, time: time, labels: labels, speakers: voices) }.scalars
            let generator = WaveNetGenerator(net, labels: labels ?? [nil, nil, nil], speakers: voices ?? [nil, nil, nil])
            var worst: Float = 0
            for t in 0..<time {
                generator.step((0..<batch).map { inputs[$0 * time + t] })
                for b in 0..<batch {
                    for q in 0..<WaveNet.quantizationLevels {
                        worst = max(worst, abs(generator.logits[b * 256 + q] - full[(b * 256 + q) * time + t]))
                    }
                }
            }
            #expect(worst <= 1e-4, "classes \(classes), speakers \(speakers): largest difference \(worst)")
        }
    }

    /// The output at `t` depends on inputs `t − receptiveField + 1 … t` and on nothing later:
    /// the gradient of one output column with respect to the input convolution's output is
    /// nonzero exactly over the `receptiveField − 1` positions the dilated layers reach (the
    /// input convolution adds one more sample), and zero everywhere after `t`.
    @Test func receptiveFieldAndCausality() {
        let net = Self.makeNet()
        #expect(net.receptiveField == 2 + 2 * (1 + 2 + 4 + 8))
        let time = 80, t = 60, span = net.receptiveField - 1
        let embedded = net.embed(Self.randomClasses(time, seed: 3), batch: 1, time: time).detached().requiringGrad()
        let out = net.logits(embedded: embedded, labels: [1])
        let gradient = gradients(of: out.sliced(axis: 2, t ..< t + 1).sum(), with: [embedded])[0]
        let reach = (0..<time).filter { s in (0..<8).contains { gradient.scalars[$0 * time + s] != 0 } }
        #expect(reach == Array((t - span + 1)...t), "positions reached: \(reach)")
        // And the input convolution reaches one sample further back.
        var edited = Self.randomClasses(time, seed: 3)
        let before = withoutGrad { net.logits(edited, batch: 1, time: time, labels: [1]) }.scalars
        edited[t + 1] = (edited[t + 1] + 128) % 256
        let after = withoutGrad { net.logits(edited, batch: 1, time: time, labels: [1]) }.scalars
        #expect((0..<256).allSatisfy { q in (0...t).allSatisfy { before[q * time + $0] == after[q * time + $0] } }, "a later input changed an output")
    }

    /// A few Adam steps on one conditioned window lower its loss by over a nat (the model can learn).
    @Test func trainingStepsLowerTheLoss() throws {
        var settings = TrainingSettings(epochs: 1, batchSize: 2, optimizer: .init(kind: .adam, learningRate: 3e-3))
        settings.seed = 1
        var h = WaveNetHyperparameters()
        (h.stacks, h.layersPerStack, h.residualChannels, h.dilationChannels, h.skipChannels, h.windowLength) = (1, 5, 8, 8, 16, 300)
        h.conditioningClasses = 2
        let data = DataDescription(kind: .audio, shape: [1, 300], classLabels: [0, 1], sampleRate: 8000, classNames: ["a", "b"])
        let config = ModelConfig(model: "wavenet", dataset: "test", data: data, training: settings, hyperparameters: h)
        var rng = RandomGenerator(seed: 2)
        let model = try WaveNetFamily.makeModel(config, hyperparameters: h, using: &rng)
        let wave = (0..<600).map { i in Float(0.6 * sin(Double(i) * (i < 300 ? 0.3 : 0.11))) }
        let batch = TrainingBatch(inputs: Tensor(shape: [2, 1, 300], scalars: wave), labels: [0, 1])
        let first = model.trainStep(batch, using: &rng)["loss"]!
        var last = first
        for _ in 0..<60 { last = model.trainStep(batch, using: &rng)["loss"]! }
        // Chance is ln 256 = 5.55 nats; 60 steps reach about 4.0.
        #expect(first > 5 && last < first - 1, "loss \(first) → \(last)")
    }
}
