import Foundation

/// Appends rows of named numbers to `metrics.csv`. The header is written once; on resume the
/// existing file is kept and rows past the resumed step are dropped so the log stays consistent.
public final class MetricsLog {
    public let url: URL
    public let columns: [String]
    private let handle: FileHandle

    /// Opens (or creates) the CSV with `columns` (`step` and `epoch` come first automatically).
    /// - Parameter truncateAfterStep: Drop existing rows with a step greater than this (resuming).
    public init(url: URL, columns: [String], truncateAfterStep: Int? = nil) throws {
        self.url = url
        self.columns = columns
        let header = (["step", "epoch"] + columns).joined(separator: ",")
        let fm = FileManager.default
        if let keepUpTo = truncateAfterStep, let text = try? String(contentsOf: url, encoding: .utf8) {
            // Any line ending (a file saved on Windows has CRLF) splits a line.
            var lines = text.split(whereSeparator: \.isNewline).map(String.init)
            guard lines.first == header else {
                throw TrainingError.invalidRun("\(url.path) has columns '\((lines.first ?? "").prefix(300))', expected '\(header)'")
            }
            lines = [header] + lines.dropFirst().filter { Int($0.split(separator: ",").first ?? "") ?? Int.max <= keepUpTo }
            try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        } else {
            try (header + "\n").write(to: url, atomically: true, encoding: .utf8)
        }
        guard fm.isWritableFile(atPath: url.path) else { throw TrainingError.invalidRun("cannot write \(url.path)") }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    /// Writes one row; missing columns are left empty.
    public func append(step: Int, epoch: Int, values: [String: Float]) throws {
        let fields = [String(step), String(epoch)] + columns.map { values[$0].map { String($0) } ?? "" }
        try handle.write(contentsOf: Data((fields.joined(separator: ",") + "\n").utf8))
    }
}
