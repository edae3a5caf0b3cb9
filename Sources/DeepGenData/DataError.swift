/// An error from reading or writing data: each case names the file (or folder) and the problem,
/// so a user can fix the input without a debugger.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened, read or written.
    case io(file: String, reason: String)
    /// The file does not start with the bytes its format requires.
    case badMagic(file: String, expected: String, found: String)
    /// The file ends before the data its header promises.
    case truncated(file: String, reason: String)
    /// The bytes are present but malformed (bad checksum, corrupt stream, invalid header).
    case corrupt(file: String, reason: String)
    /// A valid file in a format, type or layout that DeepGen does not read.
    case unsupported(file: String, reason: String)
    /// Two files that belong together disagree (image and label counts).
    case mismatch(file: String, reason: String)
    /// A folder holds no usable files.
    case emptyFolder(path: String, reason: String)
    /// A dataset or file that was asked for is not where it was looked for.
    case notFound(what: String, searched: [String])
    /// An argument is outside what the function accepts.
    case invalidArgument(String)

    /// The file or folder the error is about, if any.
    public var file: String? {
        switch self {
        case .io(let f, _), .badMagic(let f, _, _), .truncated(let f, _), .corrupt(let f, _),
             .unsupported(let f, _), .mismatch(let f, _):
            return f
        case .emptyFolder(let p, _): return p
        case .notFound, .invalidArgument: return nil
        }
    }

    public var description: String {
        switch self {
        case .io(let f, let r): return "\(f): cannot access file: \(r)"
        case .badMagic(let f, let e, let g): return "\(f): wrong magic number: expected \(e), found \(g)"
        case .truncated(let f, let r): return "\(f): truncated file: \(r)"
        case .corrupt(let f, let r): return "\(f): corrupt data: \(r)"
        case .unsupported(let f, let r): return "\(f): unsupported: \(r)"
        case .mismatch(let f, let r): return "\(f): mismatch: \(r)"
        case .emptyFolder(let p, let r): return "\(p): empty folder: \(r)"
        case .notFound(let w, let s): return "\(w) not found; looked in: \(s.joined(separator: ", "))"
        case .invalidArgument(let r): return "invalid argument: \(r)"
        }
    }
}

extension DataError {
    /// Renders bytes as hex for magic-number messages (`0x1f 0x8b`).
    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.isEmpty ? "nothing (empty file)" : bytes.map { "0x" + String($0, radix: 16, uppercase: false).leftPadded(2) }.joined(separator: " ")
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
