import Foundation

/// Replaces a file so that a crash at any moment leaves either the old contents or the new.
///
/// The bytes go to a temporary file in the same directory (a rename is only atomic within one
/// file system), which is flushed to disk with `fsync` before it is renamed over the target; the
/// directory is then synced so the rename itself survives a power loss.
enum AtomicFile {
    /// The step after which a test's injected failure fires.
    enum Stage { case written, synced }

    static func write(_ data: Data, to url: URL, failAfter: ((Stage) throws -> Void)? = nil) throws {
        let path = url.path
        func fail(_ what: String, _ code: Int32 = errno) -> SafetensorsError {
            SafetensorsError(file: path, problem: .io("\(what): \(String(cString: strerror(code)))"))
        }
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw fail("cannot create temporary file in '\(directory)'") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            defer { close(fd) }
            try data.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw fail("cannot write temporary file")
                    }
                    done += n
                }
            }
            try failAfter?(.written)
            guard fsync(fd) == 0 else { throw fail("cannot flush temporary file") }
            try failAfter?(.synced)
        }
        guard rename(temporary, path) == 0 else { throw fail("cannot rename temporary file into place") }
        renamed = true
        let dirfd = open(directory, O_RDONLY)
        if dirfd >= 0 {
            // Best effort: some file systems refuse fsync on a directory; the data is already safe.
            _ = fsync(dirfd)
            close(dirfd)
        }
    }
}
