import Dispatch
import Foundation
import Synchronization

/// Persistent worker threads for `Parallel`: each worker spins for a short while after a job
/// before it sleeps, so back-to-back kernel calls start their chunks within about a microsecond
/// instead of the tens of microseconds a sleeping `concurrentPerform` worker takes to wake.
/// Spinning threads call `sched_yield` regularly so that, when other processes keep the cores
/// busy, a waiting thread hands its core over instead of burning its time slice.
///
/// One job at a time: the submitting thread runs chunk 0 itself, worker `w` runs chunk `w + 1`,
/// and the submitter returns once every chunk is done. A submission that finds the pool busy (a
/// nested call, or a second thread calling a kernel concurrently) falls back to
/// `DispatchQueue.concurrentPerform`. Chunk boundaries never depend on which path runs them.
@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, *)
@usableFromInline final class WorkerPool: @unchecked Sendable {
    @usableFromInline static let shared = WorkerPool()

    /// How long an idle worker spins before it blocks (seconds).
    static let spinSeconds = 0.0003

    private final class Worker: @unchecked Sendable {
        let ticket = Atomic<Int>(0)  // bumped by the submitter for each job this worker takes part in
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    private let busy = Atomic<Bool>(false)
    private let remaining = Atomic<Int>(0)
    private var workers: [Worker] = []  // only touched by the submitter holding `busy`
    // The current job; written before the tickets are bumped, read by workers after they see them.
    nonisolated(unsafe) private var job: ((Int) -> Void)?

    /// Runs `body(i)` for `i` in `0..<chunks`, in parallel; returns when all are done.
    @usableFromInline func run(chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 1 { if chunks == 1 { body(0) }; return }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        while workers.count < chunks - 1 { startWorker(index: workers.count) }
        withoutActuallyEscaping(body) { body in
            job = body
            remaining.store(chunks - 1, ordering: .relaxed)
            for w in 0..<(chunks - 1) {
                let worker = workers[w]
                worker.ticket.add(1, ordering: .sequentiallyConsistent)
                if worker.sleeping.compareExchange(
                    expected: true, desired: false, ordering: .sequentiallyConsistent
                ).exchanged {
                    worker.wake.signal()
                }
            }
            body(0)
            // Spin briefly, then yield the core each round: if the machine is oversubscribed the
            // worker we wait for may be queued behind us on this very core.
            var spins = 0
            while remaining.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 256 { sched_yield() }
            }
            job = nil
        }
    }

    private func startWorker(index: Int) {
        let worker = Worker()
        workers.append(worker)
        let thread = Thread { [unowned self] in self.workerLoop(worker, chunk: index + 1) }
        thread.name = "DeepGen worker \(index + 1)"
        thread.start()
    }

    private func workerLoop(_ worker: Worker, chunk: Int) {
        var seen = 0
        while true {
            // Wait for a new ticket: spin, then sleep until the submitter wakes us.
            var spins = 0
            var deadline = 0.0
            while worker.ticket.load(ordering: .acquiring) == seen {
                spins += 1
                if spins & 1023 != 0 { continue }
                sched_yield()  // nearly free when the core is otherwise idle; polite when it is not
                let now = Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
                if deadline == 0 { deadline = now + Self.spinSeconds; continue }
                if now < deadline { continue }
                worker.sleeping.store(true, ordering: .sequentiallyConsistent)
                if worker.ticket.load(ordering: .sequentiallyConsistent) != seen {
                    // A job arrived meanwhile: cancel the sleep unless the submitter already
                    // claimed it (then it has signalled, and the signal must be consumed).
                    if !worker.sleeping.compareExchange(
                        expected: true, desired: false, ordering: .sequentiallyConsistent
                    ).exchanged {
                        worker.wake.wait()
                    }
                } else {
                    worker.wake.wait()
                }
                spins = 0; deadline = 0
            }
            seen = worker.ticket.load(ordering: .acquiring)
            job!(chunk)
            remaining.subtract(1, ordering: .releasing)
        }
    }
}

extension Parallel {
    /// Runs `body(c)` for each chunk index `c < chunks` on the worker pool (or inline for one).
    @usableFromInline
    static func runChunks(_ chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 1 { if chunks == 1 { body(0) }; return }
        if #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, *) {
            WorkerPool.shared.run(chunks: chunks, body)
        } else {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
        }
    }
}
