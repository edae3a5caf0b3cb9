import Testing
import DeepGen
import DeepGenNN

/// `Sequential` runs a Linear or a convolution with the activation after it as one op: the
/// values and gradients of running each layer in turn, bit for bit (a negative slope is not fused).
@Suite struct SequentialFusionTests {
    @Test func fusedLayersEqualTheLayersOneByOne() {
        var rng = RandomGenerator(seed: 3)
        let net = Sequential([
            Conv2d(2, 4, kernelSize: 3, padding: 1, using: &rng), LeakyReLU(0.2),
            ConvTranspose2d(4, 3, kernelSize: 4, stride: 2, padding: 1, using: &rng), ReLU(),
            Conv2d(3, 2, kernelSize: 3, stride: 2, padding: 1, bias: false, using: &rng), LeakyReLU(-0.1),
            Flatten(), Linear(2 * 6 * 6, 5, using: &rng), Tanh(),
        ])
        let x = Tensor.normal([3, 2, 6, 6], using: &rng).requiringGrad()
        let fused = net(x)
        var y = x
        for layer in net.layers { y = layer.forward(y) }
        #expect(fused.scalars.map(\.bitPattern) == y.scalars.map(\.bitPattern))
        let params = [x] + net.parameters.map(\.value)
        let gf = gradients(of: fused.square().sum(), with: params), gs = gradients(of: y.square().sum(), with: params)
        for (a, b) in zip(gf, gs) { #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern)) }
    }
}
