import DeepGen
import DeepGenData
import DeepGenModels
import Foundation

/// The data of one run: the training split, built once and described, and the test split, built
/// once when first asked for. The trainer, the evaluator and the commands all take their data
/// from here.
public final class RunData {
    public let options: DataOptions
    public let request: DataRequest
    /// The seed procedural datasets are drawn from (the run's).
    public let seed: UInt64
    public let train: any Dataset
    /// What the training split yields.
    public let description: DataDescription
    private var cachedTest: (any Dataset)?

    /// Builds the training split `options` names, as `request` asks.
    public init(options: DataOptions, request: DataRequest, seed: UInt64) throws {
        self.options = options
        self.request = request
        self.seed = seed
        let loaded = try DatasetRegistry.load(options, request: request, split: .train, seed: seed)
        train = loaded.dataset
        description = loaded.description
    }

    /// The data a model was trained on (from `options`, as its family asks for it).
    public convenience init(for config: ModelConfig, options: DataOptions) throws {
        try self.init(options: options, request: config.family().dataNeeds(config.model).request, seed: config.training.seed)
    }

    /// The test split (built on first use).
    public func test() throws -> any Dataset {
        if let cachedTest { return cachedTest }
        let t = try DatasetRegistry.load(options, request: request, split: .test, seed: seed).dataset
        cachedTest = t
        return t
    }

    /// The test split where the dataset has one, else the training split (image folders).
    public func testOrTrain() -> any Dataset { (try? test()) ?? train }
}

/// The first `count` samples of `dataset` (all if it has fewer) as one `[N] + sampleShape` tensor.
public func firstSamples(of dataset: any Dataset, count: Int, offset: Int = 0) throws -> Tensor {
    let n = min(count, dataset.count - offset)
    guard n > 0 else { throw DataError.invalidArgument("the dataset has only \(dataset.count) samples") }
    var rng = RandomGenerator(seed: 0)
    var values: [Float] = []
    values.reserveCapacity(n * dataset.sampleShape.reduce(1, *))
    for i in offset..<(offset + n) { values += try dataset.sample(at: i, using: &rng).values }
    return Tensor(shape: [n] + dataset.sampleShape, scalars: values)
}
