/// Why a safetensors file could not be read or written; always names the file.
public struct SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// What is wrong with the file.
    public enum Problem: Equatable, Sendable {
        /// Fewer than the 8 bytes that hold the header length.
        case fileTooShort(byteCount: Int)
        /// The header length is beyond the format's 100 MB limit (a corrupt or foreign file).
        case headerTooLarge(headerLength: UInt64)
        /// The header length runs past the end of the file.
        case headerExceedsFile(headerLength: UInt64, bytesAfterLength: Int)
        /// The header is not valid JSON; `offset` counts from the start of the file.
        case invalidJSON(message: String, offset: Int)
        /// The JSON is valid but not a safetensors header (wrong types, missing fields).
        case invalidHeader(String)
        /// Two entries with the same tensor name (or two metadata entries with the same key).
        case duplicateName(String)
        /// A dtype DeepGen does not read.
        case unsupportedDType(tensor: String, dtype: String)
        /// `data_offsets` do not span `shape`'s element count times the dtype's size.
        case sizeMismatch(tensor: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
        /// `data_offsets` point outside the data section or run backwards.
        case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataLength: Int)
        /// Tensor data overlap or leave a gap (they must tile the data section in order of offset).
        case offsetsNotContiguous(tensor: String, begin: Int, expectedBegin: Int)
        /// Bytes after the last tensor's data.
        case trailingData(covered: Int, dataLength: Int)
        /// An integer or double value that a `Float` cannot hold.
        case valueNotRepresentable(tensor: String, dtype: String, value: String)
        /// The name `__metadata__` is reserved for metadata and cannot name a tensor.
        case reservedName
        /// The operating system refused a read or write.
        case io(String)
    }

    /// The file's path (or a label such as `<memory>` for in-memory data).
    public var file: String
    /// What is wrong.
    public var problem: Problem

    /// An error about `file`.
    public init(file: String, problem: Problem) {
        self.file = file
        self.problem = problem
    }

    /// The file and the problem in words.
    public var description: String { "safetensors file '\(file)': \(explanation)" }

    private var explanation: String {
        switch problem {
        case .fileTooShort(let n):
            return "file is \(n) bytes long, shorter than the 8-byte header length"
        case .headerTooLarge(let n):
            return "header length \(n) exceeds the 100000000-byte limit (corrupt file or not safetensors)"
        case .headerExceedsFile(let n, let available):
            return "header length \(n) exceeds the \(available) bytes after the length field (truncated file?)"
        case .invalidJSON(let message, let offset):
            return "header is not valid JSON: \(message) at byte \(offset)"
        case .invalidHeader(let message):
            return "invalid header: \(message)"
        case .duplicateName(let name):
            return "header names '\(name)' more than once"
        case .unsupportedDType(let tensor, let dtype):
            return "tensor '\(tensor)' has dtype '\(dtype)', which DeepGen does not read "
                + "(supported: \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .sizeMismatch(let tensor, let shape, let dtype, let expected, let actual):
            return "tensor '\(tensor)' of shape \(shape) and dtype \(dtype) needs \(expected) bytes "
                + "but its data_offsets span \(actual)"
        case .offsetsOutOfRange(let tensor, let begin, let end, let length):
            return "tensor '\(tensor)' has data_offsets [\(begin), \(end)] outside the \(length)-byte data section"
        case .offsetsNotContiguous(let tensor, let begin, let expected):
            return "tensor '\(tensor)' data begins at byte \(begin) but the previous tensor ends at \(expected) "
                + "(\(begin < expected ? "overlap" : "gap"))"
        case .trailingData(let covered, let length):
            return "tensors cover \(covered) of the \(length) bytes of the data section"
        case .valueNotRepresentable(let tensor, let dtype, let value):
            return "tensor '\(tensor)' (\(dtype)) holds \(value), which Float32 cannot represent exactly enough"
        case .reservedName:
            return "'__metadata__' is reserved and cannot name a tensor"
        case .io(let message):
            return message
        }
    }
}
