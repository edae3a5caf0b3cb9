import Foundation
import Testing
import DeepGen
import DeepGenData
import DeepGenNN
import _DeepGenTestSupport
@testable import DeepGenModels

/// What a dataset of `shape` would yield for `model` (labels 0–3 when it needs labels).
func testData(_ model: String, shape: [Int]) -> DataDescription {
    let needs = ModelFamilies.family(named: model)!.dataNeeds(model)
    let points = shape.count == 1
    return DataDescription(kind: points ? .points : .image, shape: shape, range: points ? nil : needs.range,
                           classLabels: needs.labels ? [0, 1, 2, 3] : nil, domains: needs.domains)
}

/// Small configurations so the steps run quickly in a debug build.
func tinyConfig(_ model: String, shape: [Int] = [1, 28, 28]) -> ModelConfig {
    var c = try! ModelConfig.defaults(for: model, dataset: "test", data: testData(model, shape: shape))
    c.training.seed = 3
    c.updateHyperparameters(GANHyperparameters.self) { h in
        h.latentSize = 16
        h.width = h.width.map { _ in 4 }
        h.hiddenSize = h.hiddenSize.map { _ in 32 }
        if model == "cdcgan" { h.classCount = 4 }
    }
    // The 28×28 (conditional) DCGAN's and the image MLP GAN's networks and optimizers as the papers have them:
    // tests that want their default recipes (β₁ = 0 at 1e-3, R1, a moving average, the minibatch
    // statistic, the MLP generator's BatchNorm) ask for them. The 2-D GAN keeps its recipe.
    if (model == "dcgan" && shape == [1, 28, 28]) || model == "cdcgan" || (model == "gan" && shape.count == 3) {
        GANFamily.usePaperRecipe(&c)
    }
    c.updateHyperparameters(VAEHyperparameters.self) { h in
        h.latentSize = 8
        h.width = h.width.map { _ in 4 }
        h.hiddenSize = h.hiddenSize.map { _ in 32 }
    }
    c.updateHyperparameters(CycleGANHyperparameters.self) { h in
        h.width = 4
        h.residualBlocks = 1
        h.patchLayers = 2
    }
    c.updateHyperparameters(ClassifierHyperparameters.self) { h in
        h.width = 4
        h.featureSize = 32
        h.classCount = 4
    }
    return c
}

func fixedImages(_ n: Int, seed: UInt64, channels: Int = 1) -> Tensor {
    // Smooth blobs in [0, 1]: learnable structure, not noise.
    var rng = RandomGenerator(seed: seed)
    var t = Tensor(zeros: [n, channels, 28, 28])
    t.withUnsafeMutableBufferPointer { b in
        for i in 0..<n {
            let cx = Float(8 + rng.nextInt(below: 12)), cy = Float(8 + rng.nextInt(below: 12))
            for c in 0..<channels { for y in 0..<28 { for x in 0..<28 {
                let d = ((Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy)) / 30
                b[((i * channels + c) * 28 + y) * 28 + x] = Foundation.exp(-d)
            } } }
        }
    }
    return t
}

@Suite struct TrainingStepTests {
    @Test func vaeOverfitsAFixedBatch() throws {
        let model = try VAEModel(config: tinyConfig("vae"), using: &Self.rng)
        let batch = TrainingBatch(inputs: fixedImages(16, seed: 1), labels: [])
        var rng = RandomGenerator(seed: 5)
        let first = model.trainStep(batch, using: &rng)["loss"]!
        var last = first
        for _ in 0..<40 { last = model.trainStep(batch, using: &rng)["loss"]! }
        #expect(last < 0.7 * first, "negative ELBO \(first) → \(last)")
    }

    @Test func convVAEStepLowersLoss() throws {
        let model = try VAEModel(config: tinyConfig("conv-vae"), using: &Self.rng)
        let batch = TrainingBatch(inputs: fixedImages(8, seed: 2), labels: [])
        var rng = RandomGenerator(seed: 5)
        let first = model.trainStep(batch, using: &rng)["loss"]!
        var last = first
        for _ in 0..<10 { last = model.trainStep(batch, using: &rng)["loss"]! }
        #expect(last < first, "negative ELBO \(first) → \(last)")
    }

    @Test func dcganDiscriminatorLearnsTheFixedBatch() throws {
        let model = try GANModel(config: tinyConfig("dcgan"), using: &Self.rng)
        let batch = TrainingBatch(inputs: fixedImages(8, seed: 3) * 2 - 1, labels: [])
        var rng = RandomGenerator(seed: 6)
        let first = model.trainStep(batch, using: &rng)
        var last = first
        for _ in 0..<8 { last = model.trainStep(batch, using: &rng) }
        #expect(last["loss_d"]! < first["loss_d"]!, "\(first) → \(last)")
        #expect(last["d_real"]! > first["d_real"]!)
        guard case .images(let preview, 8) = model.preview() else { Issue.record("a DCGAN previews an 8-column grid"); return }
        #expect(preview.shape == [64, 1, 28, 28])
    }

    /// The discriminator step's joint pass over real and fake gives what two passes give (the
    /// weight gradients' sums run in another order, so weights agree to rounding).
    /// (Only MLP discriminators take it by default; it is forced on here for the convolutional ones.)
    @Test(arguments: ["gan", "dcgan", "cdcgan", "wgan-gp"])
    func jointDiscriminatorPassEqualsTwoPasses(_ kind: String) throws {
        var rngA = RandomGenerator(seed: 21), rngB = RandomGenerator(seed: 21)
        let joint = try GANModel(config: tinyConfig(kind), using: &rngA)
        let separate = try GANModel(config: tinyConfig(kind), using: &rngB)
        #expect(joint.discriminatorTakesJointBatch == (kind == "gan"))
        joint.discriminatorTakesJointBatch = true
        separate.discriminatorTakesJointBatch = false
        let batch = TrainingBatch(inputs: fixedImages(6, seed: 4) * 2 - 1, labels: kind == "cdcgan" ? [0, 1, 2, 3, 0, 1] : [])
        var stepA = RandomGenerator(seed: 8), stepB = RandomGenerator(seed: 8)
        for _ in 0..<3 {
            let a = joint.trainStep(batch, using: &stepA), b = separate.trainStep(batch, using: &stepB)
            for (name, value) in a { #expect(abs(value - b[name]!) <= 1e-5 * max(1, abs(value)), "\(kind) \(name): \(value) vs \(b[name]!)") }
        }
        let wa = Dictionary(uniqueKeysWithValues: joint.discriminator.module.namedParameters().map { ($0.0, $0.1.value) })
        for (name, p) in separate.discriminator.module.namedParameters() {
            #expect(closeness(wa[name]!, p.value, atol: 1e-5, rtol: 1e-4) == nil, "\(kind) \(name)")
        }
        var sn = tinyConfig(kind)
        sn.updateHyperparameters(GANHyperparameters.self) { $0.spectralNorm = true }
        #expect(try !GANModel(config: sn, using: &rngA).discriminatorTakesJointBatch)
    }

    @Test(arguments: ["dcgan", "cdcgan"])
    func r1PenaltyJoinsTheDiscriminatorLoss(_ kind: String) throws {
        let plainConfig = tinyConfig(kind)
        var r1Config = plainConfig
        r1Config.updateHyperparameters(GANHyperparameters.self) { $0.r1Weight = 10 }
        let plain = try GANModel(config: plainConfig, using: &Self.rng)
        let withR1 = try GANModel(config: r1Config, using: &Self.rng)
        // Same weights, same batch, same draws: the losses differ by exactly γ/2 · R1.
        try withR1.restore(from: plain.checkpoint())
        let batch = TrainingBatch(inputs: fixedImages(4, seed: 12) * 2 - 1, labels: [0, 1, 2, 3])
        var rngA = RandomGenerator(seed: 13), rngB = rngA
        let a = plain.trainStep(batch, using: &rngA), b = withR1.trainStep(batch, using: &rngB)
        #expect(a["r1"] == nil && withR1.lossNames.contains("r1") && !plain.lossNames.contains("r1"))
        let r1 = try #require(b["r1"])
        #expect(r1 > 0 && r1.isFinite)
        #expect(abs(b["loss_d"]! - (a["loss_d"]! + 5 * r1)) <= 1e-4 * max(1, abs(b["loss_d"]!)), "\(a) vs \(b)")
    }

    @Test func dataScaleTrainsInScaledUnitsAndSamplesInTheData() throws {
        var unscaled = tinyConfig("gan", shape: [2])
        unscaled.updateHyperparameters(GANHyperparameters.self) { $0.dataScale = nil }
        var scaled = unscaled
        scaled.updateHyperparameters(GANHyperparameters.self) { $0.dataScale = 4 }
        let a = try GANModel(config: unscaled, using: &Self.rng), b = try GANModel(config: scaled, using: &Self.rng)
        try b.restore(from: a.checkpoint())
        // Samples come back multiplied by the scale…
        var rngA = RandomGenerator(seed: 14), rngB = rngA
        let sa = a.sample(count: 16, using: &rngA).scalars, sb = b.sample(count: 16, using: &rngB).scalars
        for (x, y) in zip(sa, sb) { #expect(abs(y - 4 * x) <= 1e-5 * max(1, abs(y))) }
        // …and data 4× larger trains the scaled model exactly as the plain model trains on the original.
        var draw = RandomGenerator(seed: 15)
        let points = Tensor.normal([32, 2], using: &draw)
        var rngC = RandomGenerator(seed: 16), rngD = rngC
        let la = a.trainStep(TrainingBatch(inputs: points, labels: []), using: &rngC)
        let lb = b.trainStep(TrainingBatch(inputs: points * 4, labels: []), using: &rngD)
        #expect(abs(la["loss_d"]! - lb["loss_d"]!) <= 1e-5 && abs(la["loss_g"]! - lb["loss_g"]!) <= 1e-5, "\(la) vs \(lb)")
    }

    @Test func ganOnPointsAndConditionalGAN() throws {
        let gan = try GANModel(config: tinyConfig("gan", shape: [2]), using: &Self.rng)
        var rng = RandomGenerator(seed: 7)
        let points = Tensor.normal([32, 2], using: &rng)
        let losses = gan.trainStep(TrainingBatch(inputs: points, labels: []), using: &rng)
        #expect(losses["loss_d"]!.isFinite && losses["loss_g"]!.isFinite)
        guard case .points(let points) = gan.preview() else { Issue.record("a GAN on points previews points"); return }
        #expect(points.shape == [1000, 2])

        let cgan = try GANModel(config: tinyConfig("cdcgan"), using: &Self.rng)
        let batch = TrainingBatch(inputs: fixedImages(4, seed: 4) * 2 - 1, labels: [0, 1, 2, 3])
        let c = cgan.trainStep(batch, using: &rng)
        #expect(c["loss_d"]!.isFinite && c["loss_g"]!.isFinite)
        #expect(cgan.sample(count: 3, label: 2, using: &rng).shape == [3, 1, 28, 28])
    }

    @Test func wganGPStepsGeneratorEveryFifthCriticStep() throws {
        let model = try GANModel(config: tinyConfig("wgan-gp"), using: &Self.rng)
        let batch = TrainingBatch(inputs: fixedImages(4, seed: 5) * 2 - 1, labels: [])
        var rng = RandomGenerator(seed: 8)
        let before = model.generator.module.stateDict()
        for _ in 0..<4 { _ = model.trainStep(batch, using: &rng) }
        #expect(model.generator.optimizer.stepCount == 0)
        #expect(model.generator.module.stateDict()["main.0.weight"]!.scalars == before["main.0.weight"]!.scalars)
        let losses = model.trainStep(batch, using: &rng)
        #expect(model.generator.optimizer.stepCount == 1 && model.discriminator.optimizer.stepCount == 5)
        #expect(losses["gradient_penalty"]!.isFinite && losses["gradient_penalty"]! >= 0)
        // The critic has no BatchNorm (a per-sample penalty forbids it) and no dropout.
        #expect(!model.discriminator.module.namedModules().contains { $0.1 is BatchNorm || $0.1 is Dropout })
    }

    @Test func cycleGANCycleLossFalls() throws {
        let model = try CycleGANModel(config: tinyConfig("cyclegan"), using: &Self.rng)
        let a = fixedImages(2, seed: 6) * 2 - 1, b = fixedImages(2, seed: 7) * 2 - 1
        var rng = RandomGenerator(seed: 9)
        let batch = TrainingBatch(inputs: a, labels: [], secondInputs: b)
        let first = model.trainStep(batch, using: &rng)
        var last = first
        for _ in 0..<12 { last = model.trainStep(batch, using: &rng) }
        #expect(last["cycle_a"]! < first["cycle_a"]! && last["cycle_b"]! < first["cycle_b"]!, "\(first) → \(last)")
        #expect(model.poolA.images.count == 26 && model.poolB.images.count == 26)
        model.previewInputs = (a, b)
        guard case .images(let preview, 4) = model.preview() else { Issue.record("CycleGAN previews a 4-column grid"); return }
        #expect(preview.shape == [8, 1, 28, 28])
        #expect(model.translate(a, aToB: true).shape == [2, 1, 28, 28])
    }

    @Test(arguments: ["dcgan", "vae", "cyclegan"])
    func checkpointRestoresExactly(_ kind: String) throws {
        let config = tinyConfig(kind)
        let model = try makeModel(config)
        let images = fixedImages(4, seed: 10) * 2 - 1
        let batch = TrainingBatch(inputs: images, labels: [0, 1, 2, 3], secondInputs: kind == "cyclegan" ? images.flipped() : nil)
        var rng = RandomGenerator(seed: 11)
        for _ in 0..<2 { _ = model.trainStep(batch, using: &rng) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-ckpt-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.checkpoint().save(to: url)
        let saved = rng

        let restored = try makeModel(config)
        try restored.restore(from: Checkpoint.load(from: url))
        var rngA = saved, rngB = saved
        let next = model.trainStep(batch, using: &rngA), again = restored.trainStep(batch, using: &rngB)
        #expect(next == again)
        for (n1, n2) in zip(model.networks, restored.networks) {
            let s1 = n1.module.stateDict(), s2 = n2.module.stateDict()
            #expect(s1.keys.sorted() == s2.keys.sorted())
            for k in s1.keys { #expect(s1[k]!.scalars == s2[k]!.scalars, "\(n1.name).\(k)") }
        }
    }

    /// A fresh generator for each model (the suite's tests run in parallel, so a shared mutable
    /// generator would be a data race); writes are dropped.
    static var rng: RandomGenerator {
        get { RandomGenerator(seed: 1) }
        set {}
    }
}

extension Tensor {
    /// Mirror images horizontally (test data for a second domain).
    func flipped() -> Tensor {
        var out = self
        let w = shape[3], rows = count / w
        let src = scalars
        out.withUnsafeMutableBufferPointer { b in
            for r in 0..<rows { for x in 0..<w { b[r * w + x] = src[r * w + (w - 1 - x)] } }
        }
        return out
    }
}
