import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DeepGenCommand {
    /// Runs the command line, as swift-argument-parser's `main()` does, but writes a failure's
    /// message to standard error in one `write`: the parser's own writes it one byte per call, so
    /// under `mpirun` the messages of two ranks came out interleaved letter by letter.
    public static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty { write(message + "\n", to: code == .success ? STDOUT_FILENO : STDERR_FILENO) }
            terminate(code.rawValue)
        }
    }

    /// Writes `text` whole, retrying what a short write or a signal left out.
    static func write(_ text: String, to descriptor: Int32) {
        if descriptor == STDOUT_FILENO { fflush(stdout) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { writeOnce(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }
}

// The C library's functions under names the command's own `exit` and `write` do not shadow.
private func terminate(_ status: Int32) -> Never { exit(status) }
private func writeOnce(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int { write(descriptor, bytes, count) }
