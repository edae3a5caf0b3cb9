import ArgumentParser
import DeepGenTraining
import Foundation

/// The processes of a data-parallel run when `deepgen train` runs under `mpirun` (seen from the
/// launcher's environment) or with `--distributed`; `nil` for a process training alone (also
/// `mpirun -np 1`).
func dataParallelGroup(requested: Bool) throws -> MPICommunicator? {
    guard requested || MPICommunicator.isLaunchedByMPI() else { return nil }
    if let reason = MPICommunicator.unavailableReason {
        throw RuntimeError("data-parallel training runs on Open MPI, and \(reason)")
    }
    let group: MPICommunicator
    do { group = try MPICommunicator.world() } catch { throw RuntimeError("cannot start MPI: \(error)") }
    // `mpirun -np 1`: one process trains alone; MPI is finalized so that mpirun sees a clean exit.
    guard group.size > 1 else {
        try? group.finalize()
        return nil
    }
    StopRequest.installForTermination()
    return group
}

/// Where a rank other than 0 keeps its throwaway run files; removed when it exits.
func scratchFolder(for group: MPICommunicator) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-rank\(group.rank)-\(ProcessInfo.processInfo.processIdentifier)")
}

/// Runs `body` as this process's part of `group` (or alone): the other ranks' scratch folders go
/// afterwards. After a normal end or a stop (Ctrl-C, exit status 130), every process waits for
/// the others (rank 0 may still be writing its checkpoint: mpirun would kill it when another
/// exits first) and MPI is finalized; after an error the exit is left to mpirun.
func withDataParallelGroup<T>(_ group: MPICommunicator?, _ body: () throws -> T) throws -> T {
    guard let group else { return try body() }
    let scratch = scratchFolder(for: group)
    defer { if group.rank != 0 { try? FileManager.default.removeItem(at: scratch) } }
    func leave() {
        try? group.barrier()
        try? group.finalize()
    }
    do {
        let result = try body()
        leave()
        return result
    } catch let code as ExitCode where code == ExitCode(130) {
        leave()
        throw code
    }
}
