import Testing
import DeepGen
import DeepGenNN

/// Plain gradient descent, enough to show the layers learn.
func sgdStep(_ model: Module, loss: Tensor, lr: Float) {
    let params = model.parameters
    let grads = gradients(of: loss, with: params.map(\.value))
    for (p, g) in zip(params, grads) { p.value = withoutGrad { p.value - lr * g } }
}

@Suite struct LearningTests {
    @Test func mlpLearnsXOR() {
        var rng = RandomGenerator(seed: 2)
        let model = Sequential([Linear(2, 8, using: &rng), Tanh(), Linear(8, 1, using: &rng)])
        let x = Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
        let y = Tensor(shape: [4, 1], scalars: [0, 1, 1, 0])
        var loss = Tensor(1)
        for _ in 0..<1500 {
            loss = Loss.binaryCrossEntropyWithLogits(model(x), y)
            sgdStep(model, loss: loss, lr: 0.5)
        }
        #expect(loss.scalar < 0.05)
        let predictions = model(x).sigmoid().scalars.map { $0 > 0.5 ? 1 : 0 }
        #expect(predictions == [0, 1, 1, 0])
    }

    @Test func convnetSeparatesTwoImageClasses() {
        // Class 0: a vertical bar; class 1: a horizontal bar; at random positions with noise.
        var rng = RandomGenerator(seed: 8)
        func batch(_ n: Int) -> (Tensor, [Int]) {
            var images = Tensor.normal([n, 1, 8, 8], std: 0.1, using: &rng)
            var labels: [Int] = []
            images.withUnsafeMutableBufferPointer { b in
                for i in 0..<n {
                    let label = i % 2, at = 1 + rng.nextInt(below: 6)
                    labels.append(label)
                    for k in 1..<7 { b[i * 64 + (label == 0 ? k * 8 + at : at * 8 + k)] += 1 }
                }
            }
            return (images, labels)
        }
        let model = Sequential([
            Conv2d(1, 4, kernelSize: 3, padding: 1, using: &rng), ReLU(),
            Conv2d(4, 8, kernelSize: 3, stride: 2, padding: 1, using: &rng), ReLU(),
            Flatten(), Linear(8 * 4 * 4, 2, using: &rng),
        ])
        for _ in 0..<60 {
            let (x, labels) = batch(16)
            sgdStep(model, loss: Loss.crossEntropy(model(x), labels: labels), lr: 0.1)
        }
        let (x, labels) = batch(64)
        let logits = model(x)
        let predicted = (0..<64).map { logits[$0, 0] > logits[$0, 1] ? 0 : 1 }
        let accuracy = Float(zip(predicted, labels).filter { $0 == $1 }.count) / 64
        #expect(accuracy >= 0.95, "held-out accuracy \(accuracy)")
    }
}
