import DeepGen
import Foundation

/// Batches a dataset in a seeded order, preparing the next batch on a background thread.
///
/// Epoch `e`'s order and sample `i`'s augmentation in epoch `e` are derived from `(seed, e)` and
/// `(seed, e, i)` directly, so a batch is a pure function of `(seed, epoch, step)`: resuming at
/// any position needs no replay, and prefetching cannot change the numbers. Call ``next()`` from
/// one thread at a time; ``batch(epoch:step:)`` may be called from any thread.
public final class DataLoader: @unchecked Sendable {
    public let dataset: any Dataset
    public let batchSize: Int
    /// Whether each epoch visits the samples in a new random order (else in index order).
    public let shuffle: Bool
    /// Whether a final batch smaller than `batchSize` is skipped.
    public let dropLast: Bool
    /// Whether the next batch is prepared on a background thread while the caller works.
    public let prefetch: Bool
    /// The position of the next batch ``next()`` returns; save it to resume a run.
    public private(set) var state: LoaderState
    /// The part of every batch this loader yields: in a data-parallel run each process takes an
    /// equal, contiguous share of the same global batch (whose samples and augmentations do not
    /// depend on the share).
    public let shard: Shard

    /// Share `index` of `count` equal shares of every batch.
    public struct Shard: Equatable, Sendable {
        public let index: Int, count: Int
        public static let whole = Shard(index: 0, count: 1)
        public init(index: Int, count: Int) {
            precondition(count >= 1 && (0..<count).contains(index), "[DataLoader.Shard] share \(index) of \(count)")
            (self.index, self.count) = (index, count)
        }
    }

    private let lock = NSLock()
    private var cachedOrder: (seed: UInt64, epoch: Int, order: [Int])?
    private var pending: (epoch: Int, step: Int, result: PendingBatch)?

    /// - Parameters:
    ///   - dataset: the samples.
    ///   - batchSize: samples per batch.
    ///   - shuffle: a new seeded order every epoch.
    ///   - dropLast: skip a final partial batch.
    ///   - prefetch: prepare the next batch in the background.
    ///   - state: where to start: the seed, and the epoch and step to resume at.
    ///   - shard: the share of every (global) batch to yield; `batchSize` is the global batch's.
    /// - Throws: ``DataError/invalidArgument(_:)`` for a non-positive batch size, an epoch with no
    ///   batch, a start position outside the epoch, or a batch the shares cannot split evenly.
    public init(dataset: any Dataset, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
                prefetch: Bool = true, state: LoaderState = LoaderState(seed: 0), shard: Shard = .whole) throws {
        guard batchSize > 0 else { throw DataError.invalidArgument("batch size must be positive, got \(batchSize)") }
        guard batchSize % shard.count == 0 else {
            throw DataError.invalidArgument("a batch of \(batchSize) does not split evenly over \(shard.count) processes: give a multiple of \(shard.count)")
        }
        // A last partial batch could not be split evenly either.
        guard shard.count == 1 || dropLast else {
            throw DataError.invalidArgument("a batch shared by \(shard.count) processes needs every batch whole (dropLast)")
        }
        self.shard = shard
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.prefetch = prefetch
        self.state = state
        guard batchesPerEpoch > 0 else {
            throw DataError.invalidArgument("a dataset of \(dataset.count) samples gives no batch of \(batchSize) with dropLast")
        }
        try seek(to: state)
    }

    /// Convenience for starting at epoch 0 with `seed`.
    public convenience init(dataset: any Dataset, batchSize: Int, seed: UInt64, shuffle: Bool = true,
                            dropLast: Bool = false, prefetch: Bool = true) throws {
        try self.init(dataset: dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast,
                      prefetch: prefetch, state: LoaderState(seed: seed))
    }

    /// Batches in one epoch.
    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// Moves to `state` (its seed included) so the next batch is the one at that position.
    public func seek(to state: LoaderState) throws {
        guard state.epoch >= 0, state.step >= 0, state.step <= batchesPerEpoch else {
            throw DataError.invalidArgument("loader position epoch \(state.epoch), step \(state.step) is outside 0...\(batchesPerEpoch) steps")
        }
        lock.lock()
        self.state = state
        cachedOrder = nil
        lock.unlock()
        pending = nil
    }

    /// The sample indices of epoch `epoch` in visiting order.
    public func order(epoch: Int) -> [Int] { order(seed: currentSeed, epoch: epoch) }

    private var currentSeed: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return state.seed
    }

    private func order(seed: UInt64, epoch: Int) -> [Int] {
        lock.lock()
        if let cached = cachedOrder, cached.seed == seed, cached.epoch == epoch { lock.unlock(); return cached.order }
        lock.unlock()
        let order: [Int]
        if shuffle {
            var rng = RandomGenerator(seed: SeedMixer.mix(seed, 0, UInt64(epoch)))
            order = rng.permutation(dataset.count)
        } else {
            order = Array(0..<dataset.count)
        }
        lock.lock()
        cachedOrder = (seed, epoch, order)
        lock.unlock()
        return order
    }

    /// The batch at `step` of `epoch`, computed directly (no loader state is used or changed).
    public func batch(epoch: Int, step: Int) throws -> Batch { try batch(seed: currentSeed, epoch: epoch, step: step) }

    private func batch(seed: UInt64, epoch: Int, step: Int) throws -> Batch {
        precondition(step >= 0 && step < batchesPerEpoch, "[DataLoader.batch] step \(step) outside 0..<\(batchesPerEpoch)")
        let order = self.order(seed: seed, epoch: epoch)
        let global = order[step * batchSize ..< min((step + 1) * batchSize, order.count)]
        let share = global.count / shard.count, first = global.startIndex + shard.index * share
        let indices = Array(order[first ..< first + share])
        let shape = dataset.sampleShape
        let size = shape.reduce(1, *)
        var values = [Float]()
        values.reserveCapacity(indices.count * size)
        var labels = [Int](), second = [Int?]()
        for i in indices {
            var rng = RandomGenerator(seed: SeedMixer.mix(seed, 1, UInt64(epoch), UInt64(i)))
            let sample = try dataset.sample(at: i, using: &rng)
            guard sample.values.count == size else {
                throw DataError.invalidArgument("sample \(i) has \(sample.values.count) values, the dataset's shape \(shape) needs \(size)")
            }
            values += sample.values
            labels.append(sample.label)
            second.append(sample.secondLabel)
        }
        let secondLabels = second.allSatisfy { $0 != nil } ? second.map { $0! } : nil
        return Batch(images: Tensor(shape: [indices.count] + shape, scalars: values), labels: labels,
                     secondLabels: secondLabels, indices: indices, epoch: epoch, step: step)
    }

    /// The next batch of the current epoch, or `nil` when the epoch is over (the state then moves
    /// to step 0 of the next epoch, so the following call starts it).
    public func next() throws -> Batch? {
        let position = state
        guard position.step < batchesPerEpoch else {
            lock.lock()
            state = LoaderState(seed: position.seed, epoch: position.epoch + 1, step: 0)
            lock.unlock()
            return nil
        }
        let batch: Batch
        if let job = pending, job.epoch == position.epoch, job.step == position.step {
            pending = nil
            batch = try job.result.wait()
        } else {
            pending = nil
            batch = try self.batch(seed: position.seed, epoch: position.epoch, step: position.step)
        }
        lock.lock()
        state.step += 1
        lock.unlock()
        if prefetch {
            let nextPosition = state.step < batchesPerEpoch ? (position.epoch, state.step) : (position.epoch + 1, 0)
            pending = (nextPosition.0, nextPosition.1, PendingBatch { [self] in
                try self.batch(seed: position.seed, epoch: nextPosition.0, step: nextPosition.1)
            })
        }
        return batch
    }

    /// Calls `body` with each remaining batch of the current epoch, then moves to the next epoch.
    public func forEachBatch(_ body: (Batch) throws -> Void) throws {
        while let batch = try next() { try body(batch) }
    }
}

/// A batch being computed on a background queue.
private final class PendingBatch: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Batch, Error>?

    init(_ work: @escaping () throws -> Batch) {
        DispatchQueue.global(qos: .userInitiated).async {
            self.result = Result { try work() }
            self.done.signal()
        }
    }

    func wait() throws -> Batch {
        done.wait()
        // Let a later wait() (there is none today) still find the result.
        done.signal()
        return try result!.get()
    }
}
