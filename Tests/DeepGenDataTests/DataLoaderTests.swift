import DeepGen
import Foundation
import Testing
@testable import DeepGenData

/// A dataset whose sample `i` is `[i, random]`, to see order and augmentation randomness.
struct CountingDataset: Dataset {
    var count: Int
    var sampleShape: [Int] { [2] }
    func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
        Sample(values: [Float(index), rng.nextUniform()], label: index % 3)
    }
}

@Suite struct DataLoaderTests {
    func epoch(_ loader: DataLoader) throws -> [Batch] {
        var batches = [Batch]()
        try loader.forEachBatch { batches.append($0) }
        return batches
    }

    @Test func batchesCoverTheDatasetOncePerEpoch() throws {
        let loader = try DataLoader(dataset: CountingDataset(count: 10), batchSize: 4, seed: 1)
        #expect(loader.batchesPerEpoch == 3)
        let batches = try epoch(loader)
        #expect(batches.map(\.count) == [4, 4, 2])
        #expect(batches[0].images.shape == [4, 2])
        let seen = batches.flatMap(\.indices)
        #expect(seen.sorted() == Array(0..<10))
        #expect(seen != Array(0..<10))  // shuffled (1 chance in 10! of failing by accident)
        #expect(batches.flatMap { $0.images.scalars.enumerated().filter { $0.offset % 2 == 0 }.map { Int($0.element) } } == seen)
        #expect(batches[0].labels == batches[0].indices.map { $0 % 3 })
        #expect(loader.state == LoaderState(seed: 1, epoch: 1, step: 0))
        let second = try epoch(loader)
        #expect(second.flatMap(\.indices) != seen)
        #expect(second[0].epoch == 1)
    }

    @Test func dropLastSkipsThePartialBatch() throws {
        let loader = try DataLoader(dataset: CountingDataset(count: 10), batchSize: 4, seed: 1, dropLast: true)
        #expect(try epoch(loader).map(\.count) == [4, 4])
        #expect(throws: DataError.self) { _ = try DataLoader(dataset: CountingDataset(count: 3), batchSize: 4, seed: 0, dropLast: true) }
        #expect(throws: DataError.self) { _ = try DataLoader(dataset: CountingDataset(count: 3), batchSize: 0, seed: 0) }
    }

    @Test func sameSeedSameNumbersWithOrWithoutPrefetch() throws {
        let a = try DataLoader(dataset: CountingDataset(count: 23), batchSize: 5, seed: 42, prefetch: true)
        let b = try DataLoader(dataset: CountingDataset(count: 23), batchSize: 5, seed: 42, prefetch: false)
        let c = try DataLoader(dataset: CountingDataset(count: 23), batchSize: 5, seed: 43)
        for _ in 0..<3 {
            let (ea, eb, ec) = (try epoch(a), try epoch(b), try epoch(c))
            #expect(ea.map(\.images.scalars) == eb.map(\.images.scalars))
            #expect(ea.map(\.indices) != ec.map(\.indices))
        }
    }

    @Test func resumingMidEpochReproducesTheRest() throws {
        let full = try DataLoader(dataset: CountingDataset(count: 30), batchSize: 4, seed: 7)
        _ = try epoch(full)
        var reference = [Batch]()
        while let batch = try full.next() {
            reference.append(batch)
            if reference.count == 3 { break }
        }
        let saved = try JSONDecoder().decode(LoaderState.self, from: JSONEncoder().encode(full.state))
        #expect(saved == LoaderState(seed: 7, epoch: 1, step: 3))
        let rest = try epoch(full)
        let resumed = try DataLoader(dataset: CountingDataset(count: 30), batchSize: 4, state: saved)
        let again = try epoch(resumed)
        #expect(again.map(\.images.scalars) == rest.map(\.images.scalars))
        #expect(again.first?.step == 3 && again.first?.epoch == 1)
        #expect(try resumed.batch(epoch: 1, step: 0).images.scalars == reference[0].images.scalars)
        #expect(throws: DataError.self) { _ = try DataLoader(dataset: CountingDataset(count: 30), batchSize: 4, state: LoaderState(seed: 7, epoch: 0, step: 99)) }
    }

    @Test func unshuffledOrderIsIndexOrder() throws {
        let loader = try DataLoader(dataset: CountingDataset(count: 5), batchSize: 2, seed: 3, shuffle: false)
        #expect(try epoch(loader).flatMap(\.indices) == [0, 1, 2, 3, 4])
    }

    @Test func sampleErrorsSurfaceFromTheBackgroundThread() throws {
        struct Failing: Dataset {
            var count: Int { 4 }
            var sampleShape: [Int] { [1] }
            func sample(at index: Int, using rng: inout RandomGenerator) throws -> Sample {
                if index == 3 { throw DataError.corrupt(file: "img3.png", reason: "bad") }
                return Sample(values: [0], label: 0)
            }
        }
        let loader = try DataLoader(dataset: Failing(), batchSize: 1, seed: 0, shuffle: false)
        _ = try loader.next(); _ = try loader.next(); _ = try loader.next()
        #expect(throws: DataError.corrupt(file: "img3.png", reason: "bad")) { _ = try loader.next() }
    }
}
