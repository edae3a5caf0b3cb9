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
    /// What the training split yields (for a trained model, what its configuration records).
    public let description: DataDescription
    private var cachedTrain: LoadedDataset?
    private var cachedTest: (any Dataset)?

    /// Builds the training split `options` names, as `request` asks, to learn what it yields.
    public init(options: DataOptions, request: DataRequest, seed: UInt64) throws {
        self.options = options
        self.request = request
        self.seed = seed
        let loaded = try DatasetRegistry.load(options, request: request, split: .train, seed: seed)
        cachedTrain = loaded
        description = loaded.description
    }

    /// The data a model was trained on (from `options`, as its family asks for it); no split is
    /// built until it is asked for.
    public init(for config: ModelConfig, options: DataOptions) throws {
        self.options = options
        request = try config.dataRequest()
        seed = config.training.seed
        description = config.data
    }

    /// The training split (built on first use).
    public func train() throws -> any Dataset { try loadedTrain().dataset }

    /// The training split with what it yields, as built.
    public func loadedTrain() throws -> LoadedDataset {
        if let cachedTrain { return cachedTrain }
        let loaded = try DatasetRegistry.load(options, request: request, split: .train, seed: seed)
        cachedTrain = loaded
        return loaded
    }

    /// The test split (built on first use).
    public func test() throws -> any Dataset {
        if let cachedTest { return cachedTest }
        let t = try DatasetRegistry.load(options, request: request, split: .test, seed: seed).dataset
        cachedTest = t
        return t
    }

    /// The test split where the dataset has one, else the training split (image folders).
    public func testOrTrain() throws -> any Dataset {
        if let test = try? test() { return test }
        return try train()
    }
}

/// The first `count` samples of `dataset` (all if it has fewer) as one `[N] + sampleShape` tensor.
public func firstSamples(of dataset: any Dataset, count: Int) throws -> Tensor {
    let n = min(count, dataset.count)
    guard n > 0 else { throw DataError.invalidArgument("the dataset has only \(dataset.count) samples") }
    var rng = RandomGenerator(seed: 0)
    var values: [Float] = []
    values.reserveCapacity(n * dataset.sampleShape.reduce(1, *))
    for i in 0..<n { values += try dataset.sample(at: i, using: &rng).values }
    return Tensor(shape: [n] + dataset.sampleShape, scalars: values)
}
