import Testing
import DeepGen
@testable import DeepGenNN
import _DeepGenTestSupport

final class TwoLayer: Module, Layer {
    let encoder: Sequential
    let headLayer: Linear
    let extras: [Linear]
    let maybe: Linear?

    init(using rng: inout RandomGenerator) {
        encoder = Sequential([Linear(4, 3, using: &rng), ReLU(), BatchNorm1d(3)])
        headLayer = Linear(3, 2, bias: false, using: &rng)
        extras = [Linear(2, 2, using: &rng)]
        maybe = nil
    }

    func forward(_ x: Tensor) -> Tensor { extras[0](headLayer(encoder(x))) }
}

@Suite struct ModuleTests {
    @Test func namesFollowPyTorchStateDict() {
        var rng = RandomGenerator(seed: 0)
        let m = TwoLayer(using: &rng)
        #expect(m.namedParameters().map(\.0) == [
            "encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias",
            "head_layer.weight", "extras.0.weight", "extras.0.bias",
        ])
        #expect(m.namedBuffers().map(\.0) == ["encoder.2.running_mean", "encoder.2.running_var", "encoder.2.num_batches_tracked"])
        let block = ResidualBlock(4, using: &rng)
        #expect(block.namedParameters().map(\.0) == ["conv_block.1.weight", "conv_block.1.bias", "conv_block.5.weight", "conv_block.5.bias"])
        #expect(Set(m.stateDict().keys).count == 10)
    }

    @Test func loadReportsEveryProblemAndChangesNothing() throws {
        var rng = RandomGenerator(seed: 0)
        let m = TwoLayer(using: &rng)
        let before = m.stateDict()
        var state = before
        state["encoder.0.bias"] = nil
        state["head_layer.weight"] = Tensor(zeros: [2, 4])
        state["bogus.weight"] = Tensor(zeros: [1])
        state["extras.0.bias"] = Tensor(ones: [2])
        do {
            try m.load(stateDict: state)
            Issue.record("load should have failed")
        } catch let error as StateDictError {
            #expect(error.problems == [
                "head_layer.weight: checkpoint has shape [2, 4], model expects [2, 3]",
                "missing encoder.0.bias [3]",
                "unexpected bogus.weight [1]",
            ])
        }
        #expect(m.stateDict()["extras.0.bias"]!.scalars == before["extras.0.bias"]!.scalars)
        var good = before
        good["extras.0.bias"] = Tensor(ones: [2])
        try m.load(stateDict: good)
        #expect(m.stateDict()["extras.0.bias"]!.scalars == [1, 1])
        #expect(m.extras[0].bias!.value.requiresGrad)
    }

    @Test func trainEvalAndFreezePropagate() {
        var rng = RandomGenerator(seed: 0)
        let m = TwoLayer(using: &rng)
        m.eval()
        #expect(m.namedModules().allSatisfy { !$0.1.isTraining })
        m.train()
        #expect(m.namedModules().allSatisfy { $0.1.isTraining })
        m.encoder.freeze()
        #expect(m.parameters.count == 3)
        #expect(!m.encoder.layers.compactMap { $0 as? Linear }[0].weight.value.requiresGrad)
    }

    @Test func defaultInitializationMatchesPyTorchBounds() {
        var rng = RandomGenerator(seed: 1)
        let lin = Linear(400, 50, using: &rng)
        let bound = 1 / Float(400).squareRoot()
        #expect(lin.weight.value.abs().max().scalar <= bound)
        #expect(lin.weight.value.abs().max().scalar > 0.95 * bound)
        // U(−b, b) has variance b²/3.
        #expect(Swift.abs(lin.weight.value.variance().scalar / (bound * bound / 3) - 1) < 0.05)
        let conv = Conv2d(8, 4, kernelSize: 3, using: &rng)
        #expect(conv.weight.value.abs().max().scalar <= 1 / Float(72).squareRoot())
        let convT = ConvTranspose2d(8, 4, kernelSize: 3, using: &rng)
        #expect(convT.weight.shape == [8, 4, 3, 3])
        #expect(convT.weight.value.abs().max().scalar <= 1 / Float(36).squareRoot())
        let x = Initializer.xavierUniform([300, 200], using: &rng)
        #expect(x.abs().max().scalar <= (6 / Float(500)).squareRoot())
        let k = Initializer.kaimingNormal([1000, 500], nonlinearity: .relu, using: &rng)
        #expect(Swift.abs(k.variance().scalar / (2 / 500) - 1) < 0.02)
        do {
            let g = Sequential([ConvTranspose2d(4, 2, kernelSize: 4, using: &rng), BatchNorm2d(2)])
            g.apply { Initializer.dcgan($0, using: &rng) }
            let w = (g.layers[0] as! ConvTranspose2d).weight.value
            #expect(Swift.abs(w.variance().scalar.squareRoot() - 0.02) < 0.005)
            #expect((g.layers[1] as! BatchNorm2d).bias!.value.scalars == [0, 0])
        }
    }

    @Test func batchNormTrainingAndEvaluation() {
        let bn = BatchNorm2d(2, momentum: 0.5)
        // Channel 0 holds 1…4, channel 1 holds 10, 10, 10, 30 (batch 2, 1×2 images).
        let x = Tensor(shape: [2, 2, 1, 2], scalars: [1, 2, 10, 10, 3, 4, 10, 30])
        let y = bn(x)
        // Channel 0: mean 2.5, biased variance 1.25.
        #expect(Swift.abs(y[0, 0, 0, 0] - (1 - 2.5) / (1.25 + 1e-5).squareRoot()) < 1e-5)
        // Running variance uses the unbiased estimate: 1.25·4/3; momentum 0.5 from 1.
        #expect(closeness(bn.runningMean!.value, Tensor([1.25, 7.5])) == nil)
        #expect(closeness(bn.runningVar!.value, Tensor([0.5 + 0.5 * 1.25 * 4 / 3, 0.5 + 0.5 * 75 * 4 / 3])) == nil)
        #expect(bn.numBatchesTracked!.value.scalar == 1)
        bn.eval()
        let e = bn(x)
        #expect(Swift.abs(e[0, 0, 0, 0] - (1 - 1.25) / (bn.runningVar!.value[0] + 1e-5).squareRoot()) < 1e-5)
        #expect(bn.numBatchesTracked!.value.scalar == 1, "evaluation leaves statistics alone")
    }

    @Test func layersGradientCheck() {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.normal([2, 3, 6, 6], using: &rng)
        let inorm = InstanceNorm2d(3, affine: true)
        expectGradientOK("instanceNorm", at: [x]) { inorm($0[0]) }
        let bn = BatchNorm2d(3)
        expectGradientOK("batchNorm train", at: [x]) { bn($0[0]) }
        let block = ResidualBlock(3, using: &rng)
        // Small input: fewer outputs in the projected sum, less Float rounding at the small ε.
        expectGradientOK("residual block", at: [x.sliced(axis: 0, 0..<1).sliced(axis: 2, 0..<4).sliced(axis: 3, 0..<4)], epsilon: 1e-3) { block($0[0]) }
    }

    /// The body gets the parameters' only references: it writes into their buffers, and what it
    /// leaves becomes the parameters again (still leaves tracking gradients).
    @Test func updateTrainableLendsTheOnlyReferences() {
        var rng = RandomGenerator(seed: 4)
        let layer = Linear(3, 2, using: &rng)
        let before = layer.weight.value.scalars
        let address = layer.weight.value.withUnsafeBufferPointer { $0.baseAddress }
        layer.updateTrainable { values in
            #expect(Set(values.keys) == ["weight", "bias"])
            values["weight"]!.withUnsafeMutableBufferPointer { b in
                #expect(UnsafePointer(b.baseAddress) == address, "the body got a copy")
                for i in b.indices { b[i] *= 2 }
            }
        }
        #expect(layer.weight.value.scalars == before.map { $0 * 2 })
        #expect(layer.weight.value.withUnsafeBufferPointer { $0.baseAddress } == address)
        #expect(layer.weight.value.requiresGrad && layer.bias!.value.requiresGrad)
    }

    @Test func propertyNamesBecomeSnakeCase() {
        #expect(Module.snakeCase("convBlock") == "conv_block")
        #expect(Module.snakeCase("fcMu") == "fc_mu")
        #expect(Module.snakeCase("already_snake") == "already_snake")
        #expect(Module.snakeCase("ABc") == "a_bc")
        #expect(Module.snakeCase("caféBar") == "café_bar", "non-ASCII names take the Character path")
        #expect(Module.snakeCase("ÉtatNet") == "état_net")
    }
}

/// Normalization layers are smooth but large; ε = 1e-2 keeps Float rounding out of the estimate.
/// Layers with ReLU need a smaller ε so no perturbation crosses a kink.
func expectGradientOK(_ name: String, at inputs: [Tensor], epsilon: Float = 1e-2, _ f: @escaping ([Tensor]) -> Tensor) {
    let r = gradientCheck(f, at: inputs, epsilon: epsilon, atol: 2e-3, rtol: 2e-2)
    #expect(r.worstRatio <= 1, "\(name): \(r)")
}
