import Dispatch
import Foundation
import Testing
@testable import DeepGenKernels

/// The worker pool behind `Parallel.forEachChunk`: every chunk runs exactly once, including after
/// the workers have gone to sleep and when several threads submit at once (busy-pool fallback).
@Suite struct ParallelTests {
    /// Sums `0..<count` through `forEachChunk(count, chunks:)`; each chunk writes only its slot.
    private func chunkedSum(_ count: Int, chunks: Int) -> (sum: Int, calls: Int) {
        var partial = [Int](repeating: 0, count: chunks)
        var calls = [Int](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { p in
            calls.withUnsafeMutableBufferPointer { cl in
                Parallel.forEachChunk(count, chunks: chunks) { c, range in
                    p[c] = range.reduce(0, +)
                    cl[c] += 1
                }
            }
        }
        return (partial.reduce(0, +), calls.reduce(0, +))
    }

    @Test func everyChunkOnceAcrossSleeps() {
        for round in 0..<12 {
            let chunks = 2 + round % 3
            let r = chunkedSum(1000 + round, chunks: chunks)
            #expect(r.sum == (1000 + round) * (999 + round) / 2)
            #expect(r.calls == chunks)
            if round % 4 == 3 { usleep(2000) }  // long enough for idle workers to block
        }
    }

    @Test func concurrentSubmitters() {
        let ok = [Bool](repeating: false, count: 6)
        ok.withUnsafeBufferPointer { okp in
            let flags = UnsafeMutablePointer(mutating: okp.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: 6) { i in
                var good = true
                for j in 0..<200 {
                    let r = chunkedSum(500 + i + j, chunks: 2)
                    good = good && r.sum == (500 + i + j) * (499 + i + j) / 2 && r.calls == 2
                }
                flags[i] = good
            }
        }
        #expect(ok.allSatisfy { $0 })
    }

    @Test func chunkRangesCoverExactly() {
        for count in [1, 2, 7, 64] {
            for chunks in 1...5 where chunks <= count {
                let ranges = (0..<chunks).map { Parallel.chunkRange($0, of: chunks, count: count) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
                for i in 1..<chunks { #expect(ranges[i - 1].upperBound == ranges[i].lowerBound) }
            }
        }
    }

    /// A count bound with `withThreadCount` holds in its task only: a test that compares one thread
    /// with two does not change what concurrently running tests use.
    @Test func aBoundThreadCountIsTheTasksOwn() async {
        let process = Parallel.threadCount
        let bound = process == 1 ? 3 : 1
        await withTaskGroup(of: (Int, Int).self) { group in
            group.addTask { Parallel.withThreadCount(bound) { usleep(50_000); return (bound, Parallel.threadCount) } }
            group.addTask { usleep(10_000); return (process, Parallel.threadCount) }
            for await (expected, seen) in group { #expect(seen == expected) }
        }
        #expect(Parallel.threadCount == process)
        #expect(Parallel.withThreadCount(0) { Parallel.threadCount } == 1)
    }
}
