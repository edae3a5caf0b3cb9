import Foundation
import Testing
import DeepGen
import DeepGenNN
import _DeepGenTestSupport
@testable import DeepGenModels

/// Weights saved by PyTorch (Scripts/make_nn_fixtures.py) load by their `state_dict` names into
/// the same architectures here and reproduce PyTorch's outputs.
@Suite struct PyTorchInteropTests {
    static func file(_ name: String) throws -> SafetensorsFile {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
        return try SafetensorsFile(contentsOf: url)
    }

    static func expectClose(_ a: Tensor, _ b: Tensor?, _ what: String) {
        guard let b else { Issue.record("fixture has no \(what)"); return }
        // Relative error of the whole tensor, as the issue states it: ‖a − b‖ / ‖b‖ ≤ 1e-4.
        let rel = ((a - b).square().sum().sqrt() / b.square().sum().sqrt()).scalar
        #expect(a.shape == b.shape && rel <= 1e-4, "\(what): relative error \(rel)")
    }

    @Test func dcganGeneratorTrainAndEval() throws {
        let io = try Self.file("interop_io")
        var rng = RandomGenerator(seed: 0)
        let g = DCGAN28Generator(latentSize: 8, width: 4, using: &rng)
        try g.load(stateDict: Self.file("dcgan_generator").tensors)
        let z = try #require(io.tensors["g.z"])
        g.eval()
        Self.expectClose(g(z), io.tensors["g.out_eval"], "generator eval output")
        g.train()
        Self.expectClose(g(z), io.tensors["g.out_train"], "generator train output")
        // One training-mode pass updates the running statistics as PyTorch's does.
        let state = g.stateDict()
        for (name, expected) in io.tensors where name.hasPrefix("g.after_train.") {
            Self.expectClose(try #require(state[String(name.dropFirst("g.after_train.".count))]), expected, name)
        }
        #expect(state["main.1.num_batches_tracked"]?.scalar == 4)
    }

    @Test func dcganDiscriminatorEval() throws {
        let io = try Self.file("interop_io")
        var rng = RandomGenerator(seed: 0)
        let d = DCGAN28Discriminator(width: 8, using: &rng)
        try d.load(stateDict: Self.file("dcgan_discriminator").tensors)
        d.eval()
        Self.expectClose(d(try #require(io.tensors["d.x"])), io.tensors["d.out_eval"], "discriminator output")
    }

    /// The same with a hidden dense layer (`--discriminator-hidden`): PyTorch's `main.7` and
    /// `main.9` load by name.
    @Test func dcganDiscriminatorWithAHiddenLayerEval() throws {
        let io = try Self.file("interop_io")
        var rng = RandomGenerator(seed: 0)
        let d = DCGAN28Discriminator(width: 8, hidden: 16, using: &rng)
        try d.load(stateDict: Self.file("dcgan_discriminator_hidden").tensors)
        d.eval()
        Self.expectClose(d(try #require(io.tensors["dh.x"])), io.tensors["dh.out_eval"], "discriminator output")
    }

    @Test func cycleGANResnetGenerator() throws {
        let io = try Self.file("interop_io")
        var rng = RandomGenerator(seed: 0)
        let r = ResnetGenerator(inputChannels: 1, outputChannels: 1, width: 8, blocks: 2, using: &rng)
        try r.load(stateDict: Self.file("resnet_generator").tensors)
        Self.expectClose(r(try #require(io.tensors["r.x"])), io.tensors["r.out"], "ResNet generator output")
    }

    /// The PyTorch RealNVP of Scripts/bench (Scripts/make_flow_fixtures.py) loads by its names
    /// into `RealNVPPoints` and gives the same log-densities, latents, inverses and gradients.
    @Test func realNVPPointsLogDensityInverseAndGradients() throws {
        let io = try Self.file("realnvp_points_io")
        var rng = RandomGenerator(seed: 0)
        let model = RealNVPPoints(features: 2, couplings: 3, hiddenSize: 16, hiddenLayers: 2, normalization: .actnorm, using: &rng)
        try model.load(stateDict: Self.file("realnvp_points").tensors)
        model.eval()
        let x = try #require(io.tensors["x"])
        Self.expectClose(withoutGrad { model.logProbability(x) }, io.tensors["log_prob"], "log p(x)")
        Self.expectClose(withoutGrad { model.flow.forward(x).z }, io.tensors["z"], "z = f(x)")
        Self.expectClose(withoutGrad { model.flow.inverse(try! #require(io.tensors["noise"])) }, io.tensors["inverse"], "f⁻¹(noise)")
        let named = model.namedParameters(trainableOnly: true)
        let grads = gradients(of: -model.logProbability(x).mean(), with: named.map(\.1.value))
        #expect(named.count == io.tensors.keys.filter { $0.hasPrefix("grad.") }.count)
        for ((name, _), g) in zip(named, grads) { Self.expectClose(g, io.tensors["grad." + name], "gradient of \(name)") }
    }

    /// The PyTorch image RealNVP (2 scales, batch normalization as the flow layer, ResNet
    /// conditioners; Scripts/make_flow_fixtures.py) loads by its names into DeepGen's
    /// `MultiScaleFlow.realNVP` and gives the same log-densities and inverses in evaluation mode
    /// and the same log-densities and gradients with batch statistics in training mode.
    @Test func realNVPImagesLogDensityInverseAndGradients() throws {
        let io = try Self.file("realnvp_images_io")
        var rng = RandomGenerator(seed: 0)
        let model = MultiScaleFlow.realNVP(shape: [1, 4, 4], scales: 2, hiddenChannels: 4, blocks: 1, normalization: .batchnorm, using: &rng)
        try model.load(stateDict: Self.file("realnvp_images").tensors)
        let x = try #require(io.tensors["x"])
        model.eval()
        Self.expectClose(withoutGrad { model.logProbability(x) }, io.tensors["log_prob_eval"], "log p(x) in evaluation mode")
        let latents = [try #require(io.tensors["latent0"]), try #require(io.tensors["latent1"])]
        Self.expectClose(withoutGrad { model.decode(latents) }, io.tensors["inverse"], "f⁻¹(latents)")
        model.train()
        let logp = model.logProbability(x)
        Self.expectClose(logp.detached(), io.tensors["log_prob_train"], "log p(x) with batch statistics")
        let named = model.namedParameters(trainableOnly: true)
        let grads = gradients(of: -logp.mean(), with: named.map(\.1.value))
        #expect(named.count == io.tensors.keys.filter { $0.hasPrefix("grad.") }.count)
        for ((name, _), g) in zip(named, grads) {
            // A bias before a batch normalization (the residual stream's convolutions) has a zero
            // gradient with batch statistics; both frameworks give rounding noise there.
            if name.hasSuffix("conv.bias") && !name.hasSuffix("out_conv.bias") || name.hasSuffix("conv1.bias") || name.hasSuffix("conv2.bias") {
                let reference = try #require(io.tensors["grad." + name])
                #expect(g.abs().max().scalar <= 1e-4 && reference.abs().max().scalar <= 1e-4, "gradient of \(name) should be 0")
            } else {
                Self.expectClose(g, io.tensors["grad." + name], "gradient of \(name)")
            }
        }
    }

    /// Spectral normalization against `torch.nn.utils.spectral_norm` (Scripts/make_spectral_norm_fixtures.py):
    /// PyTorch's names load; one training-mode forward gives the same output, power-iteration
    /// vectors and gradients (through σ); evaluation then uses the vectors as they are.
    @Test(arguments: ["linear", "conv"])
    func spectralNormMatchesPyTorch(_ name: String) throws {
        let io = try Self.file("spectral_norm_io").tensors
        let state = try Self.file("spectral_norm").tensors.filter { $0.key.hasPrefix(name + ".") }
        var rng = RandomGenerator(seed: 0)
        let layer: any Layer
        let weight: Parameter, bias: Parameter
        if name == "linear" {
            let l = Linear(5, 3, using: &rng)
            l.applySpectralNorm(using: &rng)
            (layer, weight, bias) = (l, l.weight, l.bias!)
        } else {
            let c = Conv2d(2, 4, kernelSize: 3, padding: 1, using: &rng)
            c.applySpectralNorm(using: &rng)
            (layer, weight, bias) = (c, c.weight, c.bias!)
        }
        #expect(Set(layer.stateDict().keys) == Set(state.keys.map { String($0.dropFirst(name.count + 1)) }))
        try layer.load(stateDict: Dictionary(uniqueKeysWithValues: state.map { (String($0.key.dropFirst(name.count + 1)), $0.value) }))
        let x = try #require(io[name + ".x"]), g = try #require(io[name + ".g"])
        let y = layer(x)
        Self.expectClose(y.detached(), io[name + ".train_out"], "\(name) training output")
        let buffers = Dictionary(uniqueKeysWithValues: layer.namedBuffers())
        Self.expectClose(buffers["weight_u"]!.value, io[name + ".u_after"], "\(name) u after one iteration")
        Self.expectClose(buffers["weight_v"]!.value, io[name + ".v_after"], "\(name) v after one iteration")
        let grads = gradients(of: (y * g).sum(), with: [weight.value, bias.value])
        Self.expectClose(grads[0], io[name + ".grad.weight_orig"], "\(name) gradient of weight_orig")
        Self.expectClose(grads[1], io[name + ".grad.bias"], "\(name) gradient of bias")
        layer.eval()
        Self.expectClose(withoutGrad { layer(x) }, io[name + ".eval_out"], "\(name) evaluation output")
        Self.expectClose(buffers["weight_u"]!.value, io[name + ".u_after"], "\(name) u unchanged in evaluation")
    }
}
