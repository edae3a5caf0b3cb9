import CDeepGenMPI
import Foundation

/// A failure of MPI itself (the library missing, a collective failing because a rank died), or a
/// rank that cannot take part.
public struct DistributedError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The processes `mpirun` started, as one group: ranks `0..<size`, rank 0 the one that writes.
/// Open MPI is loaded on first use (``unavailableReason`` says why it cannot be), so DeepGen
/// builds and runs without it. Collectives are called from the thread that made the group.
public final class MPICommunicator: @unchecked Sendable {
    public let rank: Int
    public let size: Int

    /// The environment variables by which `mpirun` (Open MPI's, or a PMI/PMIx launcher such as
    /// Slurm's `srun`) tells a process it is one rank of several.
    static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"]

    /// Whether this process was started by an MPI launcher.
    public static func isLaunchedByMPI(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        launcherVariables.contains { environment[$0] != nil }
    }

    /// Why Open MPI cannot be loaded here (`nil` when it can).
    public static var unavailableReason: String? {
        var err = [CChar](repeating: 0, count: 512)
        return dg_mpi_available(&err, err.count) == 0 ? nil : String(cString: err)
    }

    nonisolated(unsafe) private static var shared: MPICommunicator?
    private static let lock = NSLock()

    /// The process group (MPI initialized on the first call).
    /// - Throws: ``DistributedError`` when Open MPI is missing or cannot start.
    public static func world() throws -> MPICommunicator {
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        var rank: Int32 = 0, size: Int32 = 0
        try check { dg_mpi_init(&rank, &size, $0, $1) }
        let made = MPICommunicator(rank: Int(rank), size: Int(size))
        shared = made
        return made
    }

    private init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    /// The loaded library's version ("Open MPI v4.1.4, …").
    public static func libraryVersion() throws -> String {
        var out = [CChar](repeating: 0, count: 256)
        try check { dg_mpi_library_version(&out, out.count, $0, $1) }
        return String(cString: out)
    }

    /// Sums `values` over all ranks, in place.
    public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = values.baseAddress, !values.isEmpty else { return try barrierIfEmpty() }
        try Self.check { dg_mpi_allreduce_sum_float(base, Int64(values.count), $0, $1) }
    }

    public func sum(_ values: inout [Float]) throws {
        try values.withUnsafeMutableBufferPointer { try sum($0) }
    }

    public func sum(_ values: inout [Double]) throws {
        try values.withUnsafeMutableBufferPointer { try sum($0) }
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        guard let base = values.baseAddress, !values.isEmpty else { return try barrierIfEmpty() }
        try Self.check { dg_mpi_allreduce_sum_double(base, Int64(values.count), $0, $1) }
    }

    /// A sum over all ranks begun by ``startSum(_:)``, running while this process computes.
    public final class PendingSum {
        fileprivate var request: UnsafeMutableRawPointer?
        public fileprivate(set) var isComplete = false
        fileprivate init() {}
    }

    /// Begins summing `values` over all ranks in place (every rank begins its sums in the same
    /// order); the memory must stay put until ``wait(for:)`` returns. At most `Int32.max` values.
    public func startSum(_ values: UnsafeMutableBufferPointer<Float>) throws -> PendingSum {
        precondition(values.count <= Int(Int32.max), "[MPICommunicator] a nonblocking sum of \(values.count) values; at most \(Int32.max)")
        let pending = PendingSum()
        guard let base = values.baseAddress, !values.isEmpty else { pending.isComplete = true; return pending }
        try Self.check { dg_mpi_iallreduce_sum_float(base, Int32(values.count), &pending.request, $0, $1) }
        return pending
    }

    /// Moves a pending sum on (Open MPI progresses nonblocking collectives only inside MPI calls)
    /// and says whether it is complete.
    @discardableResult
    public func test(_ pending: PendingSum) throws -> Bool {
        guard !pending.isComplete else { return true }
        var done: Int32 = 0
        try Self.check { dg_mpi_test(&pending.request, &done, $0, $1) }
        pending.isComplete = done != 0
        return pending.isComplete
    }

    /// Waits until a pending sum is complete.
    public func wait(for pending: PendingSum) throws {
        guard !pending.isComplete else { return }
        try Self.check { dg_mpi_wait(&pending.request, $0, $1) }
        pending.isComplete = true
    }

    /// The element-wise maximum of `values` over all ranks, in place.
    public func maximum(_ values: inout [Int32]) throws {
        guard !values.isEmpty else { return try barrierIfEmpty() }
        try values.withUnsafeMutableBufferPointer { p in try Self.check { dg_mpi_allreduce_max_int(p.baseAddress!, Int64(p.count), $0, $1) } }
    }

    /// Rank `root`'s bytes on every rank (any length: the length goes first).
    public func broadcast(_ bytes: [UInt8], from root: Int = 0) throws -> [UInt8] {
        var count: [Int64] = [Int64(bytes.count)]
        try count.withUnsafeMutableBytes { p in try Self.check { dg_mpi_broadcast(p.baseAddress!, 8, Int32(root), $0, $1) } }
        guard count[0] >= 0 else { throw DistributedError("rank \(root) broadcast a negative length") }
        var data = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count[0]))
        if count[0] > 0 {
            try data.withUnsafeMutableBytes { p in try Self.check { dg_mpi_broadcast(p.baseAddress!, count[0], Int32(root), $0, $1) } }
        }
        return data
    }

    /// Waits for every rank.
    public func barrier() throws { try Self.check { dg_mpi_barrier($0, $1) } }

    /// Seconds on MPI's clock.
    public var time: Double { dg_mpi_wtime() }

    /// Ends every rank of the job at once with `code`: for an error that the other ranks cannot
    /// learn of otherwise (they may be waiting in a collective).
    public func abort(code: Int32) -> Never {
        dg_mpi_abort(code)
        fatalError("unreachable")
    }

    /// Finalizes MPI; every rank calls it before exiting normally.
    public func finalize() throws { try Self.check { dg_mpi_finalize($0, $1) } }

    private func barrierIfEmpty() throws { try barrier() }

    private static func check(_ call: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws {
        var err = [CChar](repeating: 0, count: 512)
        let code = err.withUnsafeMutableBufferPointer { call($0.baseAddress!, $0.count) }
        if code != 0 { throw DistributedError(String(cString: err)) }
    }
}
