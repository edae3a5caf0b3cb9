import DeepGen
import DeepGenData
import DeepGenNN
import Foundation

/// A chain of planar or radial flows fitted to an energy `U` by minimizing the reverse KL
/// divergence `KL(q‖p) = E_q[log q(x) + U(x)] + log Z` (Rezende & Mohamed 2015): base noise `z₀`
/// through the flow gives `x` and `log q(x) = log N(z₀) − Σ log |det J|`. `U` is weighted by
/// `β = min(1, 0.01 + step/annealingSteps)` during training, as in the paper.
public final class EnergyFlowModel: GenerativeModel, TemperatureSampling, TestSetEvaluating, TargetDensityFitting {
    public let config: ModelConfig
    public let flow: FlowSequence
    public let network: TrainableNetwork
    public var networks: [TrainableNetwork] { [network] }
    public var lossNames: [String] { ["loss"] }
    public let energy: Energy2D
    let annealingSteps: Int
    /// log Z of the target, computed on first use (sampling never needs it).
    public private(set) lazy var logNormalizer: Double = energy.logNormalizer()

    public init(config: ModelConfig, hyperparameters h: FlowHyperparameters, using rng: inout RandomGenerator) throws {
        self.config = config
        guard let length = h.flowLength, let steps = h.annealingSteps, let name = h.energy, let energy = Energy2D(rawValue: name) else {
            throw ConfigurationError(message: "\(config.model) needs its flow length, annealing steps and target energy")
        }
        self.energy = energy
        annealingSteps = steps
        var layers: [any FlowLayer] = []
        for _ in 0..<length {
            layers.append(config.model == "radial" ? RadialFlow(features: 2, using: &rng) : PlanarFlow(features: 2, using: &rng))
        }
        flow = FlowSequence(layers)
        network = TrainableNetwork(name: "flow", module: flow, optimizer: config.training.optimizer.makeOptimizer())
    }

    /// Per example: `x = f(z₀)`, `log q(x)` and `U(x)`.
    func transport(_ z0: Tensor) -> (x: Tensor, logQ: Tensor, energy: Tensor) {
        let (x, logDet) = flow.forward(z0)
        return (x, standardNormalLogDensity(z0) - logDet, energy.energy(x))
    }

    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        let beta = Float(min(1, 0.01 + Double(network.optimizer.stepCount) / Double(annealingSteps)))
        let (_, logQ, u) = transport(batch.inputs)
        return ["loss": optimize((logQ + beta * u).mean(), [network])]
    }

    public func sample(count: Int, label: Int?, using rng: inout RandomGenerator) -> Tensor {
        sample(count: count, label: label, temperature: 1, using: &rng)
    }

    public func sample(count: Int, label: Int?, temperature: Float, using rng: inout RandomGenerator) -> Tensor {
        precondition(label == nil, "[EnergyFlowModel] \(config.model) is unconditional")
        return evaluating { flow.forward(Tensor.normal([count, 2], using: &rng) * temperature).z }
    }

    public var testMetricColumns: [String] { ["test_kl"] }

    /// KL(q‖p) in nats, `E[log q(x) + U(x)] + log Z`, over the rows of base noise `z0`.
    func reverseKL(base z0: Tensor) -> Double {
        let (_, logQ, u) = transport(z0)
        return (logQ + u).scalars.reduce(0) { $0 + Double($1) } / Double(max(z0.shape[0], 1)) + logNormalizer
    }

    public func reverseKL(samples: Int, using rng: inout RandomGenerator) throws -> Double {
        var total = 0.0, done = 0
        try evaluating {
            while done < samples {
                let n = min(10_000, samples - done)
                let kl = reverseKL(base: Tensor.normal([n, 2], using: &rng))
                guard kl.isFinite else { throw ConfigurationError(message: "KL(q‖p) is not finite: the flow has diverged") }
                total += kl * Double(n)
                done += n
            }
        }
        return total / Double(max(samples, 1))
    }

    /// KL(q‖p) in nats on the test split's base noise (fixed points, so epochs compare).
    public func evaluateTestSet(_ test: any Dataset) throws -> [EpochMetric] {
        let loader = try DataLoader(dataset: test, batchSize: 1000, shuffle: false, dropLast: false, prefetch: false)
        var total = 0.0, count = 0
        try evaluating {
            while let batch = try loader.next() {
                total += reverseKL(base: batch.images) * Double(batch.count)
                count += batch.count
            }
        }
        let kl = total / Double(max(count, 1))
        return [EpochMetric(column: "test_kl", tag: "test/kl", value: Float(kl), message: String(format: "KL(q‖p) %.4f nats", kl))]
    }

    /// The target density and a histogram of 100,000 samples side by side, each on [−4, 4]² and
    /// scaled to its maximum (the paper's Fig. 3 layout).
    public func preview() -> Preview {
        let side = 128, e = Double(Energy2D.extent)
        var grid = [Float]()
        grid.reserveCapacity(side * side * 2)
        for row in 0..<side {
            for col in 0..<side {  // row 0 at the top: z₂ = +4
                grid += [Float(-e + (Double(col) + 0.5) * 2 * e / Double(side)), Float(e - (Double(row) + 0.5) * 2 * e / Double(side))]
            }
        }
        let u = withoutGrad { energy.energy(Tensor(shape: [side * side, 2], scalars: grid)) }.scalars
        let lowest = u.min() ?? 0
        let target = u.map { Float(exp(-Double($0 - lowest))) }
        var rng = RandomGenerator(seed: config.training.seed)
        var histogram = [Float](repeating: 0, count: side * side)
        for _ in 0..<10 {
            let points = sample(count: 10_000, label: nil, using: &rng).scalars
            for i in stride(from: 0, to: points.count, by: 2) {
                let col = Int(((Double(points[i]) + e) / (2 * e) * Double(side)).rounded(.down))
                let row = Int(((e - Double(points[i + 1])) / (2 * e) * Double(side)).rounded(.down))
                if (0..<side).contains(col) && (0..<side).contains(row) { histogram[row * side + col] += 1 }
            }
        }
        let top = max(histogram.max() ?? 1, 1)
        let images = Tensor(shape: [2, 1, side, side], scalars: target + histogram.map { $0 / top })
        guard let png = try? ImageGrid(images, nrow: 2, padding: 2, padValue: 0.5, range: .zeroToOne).pngData() else { return .none }
        return .file(Data(png), fileExtension: "png")
    }
}
