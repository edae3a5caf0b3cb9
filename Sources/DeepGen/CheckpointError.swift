/// Why a checkpoint's contents do not fit what the caller needs.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The tensors do not match the expected names and shapes; every problem is listed.
    case mismatch(file: String, missing: [String], unexpected: [String], misshaped: [ShapeMismatch])
    /// A metadata value is present but cannot be decoded.
    case invalidMetadata(file: String, key: String, reason: String)
    /// Written by a newer DeepGen with a layout this build does not know.
    case unsupportedVersion(file: String, version: Int, newestSupported: Int)

    /// A tensor whose shape differs from the expected one.
    public struct ShapeMismatch: Equatable, Sendable {
        /// The tensor's full name in the checkpoint.
        public var name: String
        /// The shape the model needs.
        public var expected: [Int]
        /// The shape in the file.
        public var found: [Int]
    }

    /// Every problem in words, naming the file.
    public var description: String {
        switch self {
        case let .mismatch(file, missing, unexpected, misshaped):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("unexpected \(unexpected.joined(separator: ", "))") }
            if !misshaped.isEmpty {
                parts.append("wrong shape " + misshaped.map { "\($0.name) (\($0.found), expected \($0.expected))" }
                    .joined(separator: ", "))
            }
            return "checkpoint '\(file)' does not match the model: \(parts.joined(separator: "; "))"
        case let .invalidMetadata(file, key, reason):
            return "checkpoint '\(file)': metadata '\(key)': \(reason)"
        case let .unsupportedVersion(file, version, newest):
            return "checkpoint '\(file)' has format version \(version); this build reads up to \(newest)"
        }
    }
}
