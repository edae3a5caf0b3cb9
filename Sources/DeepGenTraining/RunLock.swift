import Foundation

/// An exclusive lock on a run folder (`RUN/.lock`, `flock`), held while a trainer trains in it, so
/// a second `deepgen train` into the folder cannot replace or write into a live run. The lock
/// goes with the process, so a killed run leaves none behind.
final class RunLock {
    private let fd: Int32

    /// Takes the lock, or throws naming the folder when another process (or trainer) holds it.
    init(_ run: RunDirectory) throws {
        try FileManager.default.createDirectory(at: run.url, withIntermediateDirectories: true)
        let path = run.url.appendingPathComponent(".lock").path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Trainer.cannotWrite(URL(fileURLWithPath: path), POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO), kept: nil) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw TrainingError.invalidRun("another deepgen process is training in \(run.url.path)")
        }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Fails when a live run holds the folder's lock (takes and drops it otherwise).
    static func checkFree(_ run: RunDirectory) throws {
        guard FileManager.default.fileExists(atPath: run.url.path) else { return }
        _ = try RunLock(run)
    }
}
