import DeepGen
import DeepGenData
import DeepGenMetrics
import Foundation

/// A normalizing flow trained by maximum likelihood: log-likelihoods, samples through the
/// inverse (with a temperature), and the test split's negative log-likelihood every epoch.
/// On points the likelihood is exact; on 8-bit images the flow models dequantized, logit-
/// transformed pixels (``LogitDequantization``) and the figures are the discrete pixels'
/// dequantization bound, in nats per image and bits per dimension.
public final class FlowModel: GenerativeModel, TemperatureSampling, LikelihoodScoring, TestSetEvaluating, DivergenceExplaining,
    Reconstructing {
    public let config: ModelConfig
    public let flow: any FlowNetwork
    public let network: TrainableNetwork
    public var networks: [TrainableNetwork] { [network] }
    public var lossNames: [String] { ["nll"] }
    public private(set) var nonFiniteSource: String?
    /// For images: the dequantization and logit transform in front of the flow.
    let dequantization: LogitDequantization?

    /// Values per example.
    var dimensions: Int { config.sampleShape.reduce(1, *) }

    public init(config: ModelConfig, hyperparameters h: FlowHyperparameters, using rng: inout RandomGenerator) throws {
        self.config = config
        let shape = config.sampleShape
        if config.model == "glow" {
            guard shape.count == 3, let levels = h.levels, let steps = h.stepsPerLevel, let hidden = h.hiddenChannels, let alpha = h.logitAlpha else {
                throw ConfigurationError(message: "glow needs images and its levels, steps, hidden channels and logit α")
            }
            flow = MultiScaleFlow.glow(shape: shape, levels: levels, steps: steps, hiddenChannels: hidden, actNorm: h.actNorm, using: &rng)
            dequantization = LogitDequantization(alpha: alpha)
        } else if shape.count == 3 {
            guard let scales = h.scales, let hidden = h.hiddenChannels, let blocks = h.residualBlocks, let alpha = h.logitAlpha else {
                throw ConfigurationError(message: "realnvp on images needs its scales, hidden channels, residual blocks and logit α")
            }
            flow = MultiScaleFlow.realNVP(shape: shape, scales: scales, hiddenChannels: hidden, blocks: blocks,
                                          normalization: h.effectiveNormalization, using: &rng)
            dequantization = LogitDequantization(alpha: alpha)
        } else {
            guard shape.count == 1, let couplings = h.couplings, let hidden = h.hiddenSize, let layers = h.hiddenLayers else {
                throw ConfigurationError(message: "\(config.model) needs vectors (2-D points) and its couplings, hidden size and hidden layers")
            }
            flow = RealNVPPoints(features: shape[0], couplings: couplings, hiddenSize: hidden, hiddenLayers: layers,
                                normalization: h.effectiveNormalization, using: &rng)
            dequantization = nil
        }
        network = TrainableNetwork(name: "flow", module: flow, optimizer: config.training.optimizer.makeOptimizer())
    }

    /// What the flow models for `x`, and the log-determinant of getting there: for images the
    /// dequantized logits (one draw from `rng`), for points `x` itself (`nil`).
    func flowInput(_ x: Tensor, using rng: inout RandomGenerator) -> (v: Tensor, logDet: Tensor?) {
        guard let dequantization else { return (x, nil) }
        return dequantization.forward(x, using: &rng)
    }

    /// D·log 256: what uniform dequantization adds to a density of [0, 1]-scaled pixels to bound
    /// the discrete pixels' −log P.
    var discretization: Float { Float(Double(dimensions) * log(256)) }

    /// log p of each example in the data's own terms (nats): exact for points; for images the
    /// discrete pixels' bound `log p(y) − D·log 256` for one dequantization draw from `rng`.
    func logLikelihood(_ x: Tensor, using rng: inout RandomGenerator) -> Tensor {
        let (v, logDet) = flowInput(x, using: &rng)
        guard let logDet else { return flow.logProbability(v) }
        return flow.logProbability(v) + logDet - discretization
    }

    /// Minimizes the negative log-likelihood in nats per example.
    public func trainStep(_ batch: TrainingBatch, using rng: inout RandomGenerator) -> [String: Float] {
        let (v, logDet) = flowInput(batch.inputs, using: &rng)
        let loss = logDet.map { -(flow.logProbability(v) + $0).mean() + discretization } ?? -flow.logProbability(v).mean()
        let value = optimize(loss, [network])
        // Only a process whose loss is not finite looks: without the others (no shared statistics).
        nonFiniteSource = value.isFinite ? nil : CrossProcessStatistics.locally { flow.firstNonFiniteLayer(v) }.map { "first non-finite output: \($0)" }
        return ["nll": value]
    }

    public func sample(count: Int, label: Int?, using rng: inout RandomGenerator) -> Tensor {
        sample(count: count, label: label, temperature: 1, using: &rng)
    }

    public func sample(count: Int, label: Int?, temperature: Float, using rng: inout RandomGenerator) -> Tensor {
        precondition(label == nil, "[FlowModel] \(config.model) is unconditional")
        precondition(temperature > 0 && temperature.isFinite, "[FlowModel] the temperature must be positive, got \(temperature)")
        return evaluating {
            let v = flow.sample(count: count, temperature: temperature, using: &rng)
            return dequantization?.inverse(v) ?? v
        }
    }

    public func preview() -> Preview {
        var rng = RandomGenerator(seed: config.training.seed)
        if dequantization != nil { return .images(sample(count: 64, label: nil, temperature: 0.7, using: &rng), columns: 8) }
        return .points(sample(count: 500, label: nil, using: &rng))
    }

    /// The latents of examples (images: of each pixel's bin middle).
    func latents(_ x: Tensor) -> [Tensor] { flow.latents(dequantization?.midpoint(x) ?? x) }

    /// Examples from latents, in the data's units.
    func decode(_ latents: [Tensor]) -> Tensor {
        let v = flow.decode(latents)
        return dequantization?.inverse(v) ?? v
    }

    /// Through the latents and back: the input again (a flow is invertible; images come back
    /// as their bins' middles).
    public func reconstruct(_ images: Tensor) -> Tensor { evaluating { decode(latents(images)) } }

    /// `steps` examples along the straight line between the latents of `a` and `b`.
    public func interpolate(from a: Tensor, to b: Tensor, steps: Int) -> Tensor {
        evaluating {
            let (za, zb) = (latents(a), latents(b))
            let rows = (0..<steps).map { i -> Tensor in
                let t = Float(i) / Float(max(steps - 1, 1))
                return decode(zip(za, zb).map { (1 - t) * $0 + t * $1 })
            }
            return Tensor.concat(rows, axis: 0)
        }
    }

    public var likelihoodIsExact: Bool { dequantization == nil }
    public var defaultImportanceSamples: Int { 1 }

    /// Points: exact. Images: per image, the mean (bound) and the log-mean-exp (estimate) over
    /// `samples` dequantization draws of the discrete pixels' log-likelihood bound.
    public func logLikelihood(_ x: Tensor, indices: [Int], samples: Int, using rng: inout RandomGenerator) throws -> (bound: [Double], estimate: [Double]) {
        try evaluating {
            guard dequantization != nil else {
                let exact = flow.logProbability(x).scalars.map { Double($0) }
                return (exact, exact)
            }
            let draws = (0..<max(samples, 1)).map { _ in logLikelihood(x, using: &rng).scalars.map { Double($0) } }
            let n = x.shape[0]
            let bound = (0..<n).map { i in draws.reduce(0) { $0 + $1[i] } / Double(draws.count) }
            let estimate = (0..<n).map { i in logMeanExp(draws.map { $0[i] }) }
            return (bound, estimate)
        }
    }

    public var testMetricColumns: [String] { ["test_nll", "test_bits_per_dim"] }

    /// The negative log-likelihood of the whole test split (one dequantization draw per image,
    /// from a fixed seed), in nats per example and bits per dimension.
    public func evaluateTestSet(_ test: any Dataset) throws -> [EpochMetric] {
        let loader = try DataLoader(dataset: test, batchSize: dequantization == nil ? 1000 : 200, shuffle: false, dropLast: false, prefetch: true)
        var rng = RandomGenerator(seed: 0x7E57)
        var total = 0.0, count = 0
        try evaluating {
            while let batch = try loader.next() {
                total -= logLikelihood(batch.images, using: &rng).scalars.reduce(0) { $0 + Double($1) }
                count += batch.count
            }
        }
        let nll = total / Double(max(count, 1))
        let bits = nll / (Double(dimensions) * log(2))
        let unit = dequantization == nil ? "nats per example" : "nats per image"
        return [
            EpochMetric(column: "test_nll", tag: "test/nll", value: Float(nll),
                        message: String(format: "test NLL %.4f \(unit) (%.4f bits per dimension)", nll, bits)),
            EpochMetric(column: "test_bits_per_dim", tag: "test/bits_per_dim", value: Float(bits), message: ""),
        ]
    }
}
