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

/// A fresh folder where a rank other than 0 keeps its throwaway run files, named after its rank
/// and process and made unique by `mkdtemp`: a folder left by a killed process whose process ID
/// this one reuses must not stop the run.
func makeScratchFolder(for group: MPICommunicator) throws -> URL {
    removeEndedScratchFolders()
    let template = FileManager.default.temporaryDirectory
        .appendingPathComponent("deepgen-rank\(group.rank)-\(ProcessInfo.processInfo.processIdentifier)-XXXXXX").path
    var bytes = Array(template.utf8CString)
    guard let made = mkdtemp(&bytes) else {
        throw RuntimeError("cannot make a scratch folder for rank \(group.rank) in \(FileManager.default.temporaryDirectory.path): \(String(cString: strerror(errno)))")
    }
    return URL(fileURLWithPath: String(cString: made), isDirectory: true)
}

/// Runs `body` as this process's part of `group` (or alone), handing it the scratch folder of a
/// rank other than 0 (removed afterwards; `nil` for rank 0 and a process alone). After a normal
/// end or a stop (Ctrl-C, exit status 130), every process waits for the others (rank 0 may still
/// be writing its checkpoint: mpirun would kill it when another exits first) and MPI is
/// finalized; after an error the exit is left to mpirun.
func withDataParallelGroup<T>(_ group: MPICommunicator?, _ body: (URL?) throws -> T) throws -> T {
    guard let group else { return try body(nil) }
    let scratch = group.rank == 0 ? nil : try makeScratchFolder(for: group)
    defer { if let scratch { try? FileManager.default.removeItem(at: scratch) } }
    func leave() {
        try? group.barrier()
        try? group.finalize()
    }
    do {
        let result = try body(scratch)
        leave()
        return result
    } catch let code as ExitCode where code == ExitCode(130) {
        leave()
        throw code
    }
}

/// Removes the scratch folders of ranks that ended without removing theirs (mpirun kills a rank
/// when another fails): a folder whose run lock (`.lock`, `flock`) no process holds. A folder
/// without a lock is one a rank has just made, and stays.
func removeEndedScratchFolders() {
    let fm = FileManager.default, temporary = fm.temporaryDirectory
    for name in (try? fm.contentsOfDirectory(atPath: temporary.path)) ?? [] where name.hasPrefix("deepgen-rank") {
        let folder = temporary.appendingPathComponent(name)
        let fd = open(folder.appendingPathComponent(".lock").path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { continue }
        let free = flock(fd, LOCK_EX | LOCK_NB) == 0
        if free { try? fm.removeItem(at: folder) }
        close(fd)
    }
}
