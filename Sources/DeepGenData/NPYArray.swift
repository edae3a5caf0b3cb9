import DeepGen
import Foundation

/// An array in numpy's `.npy` format (little-endian float32, uint8 or int64; C order).
public struct NPYArray: Sendable, Equatable {
    /// The element values, by type.
    public enum Elements: Sendable, Equatable {
        case float32([Float])
        case uint8([UInt8])
        case int64([Int64])

        var count: Int {
            switch self {
            case .float32(let a): return a.count
            case .uint8(let a): return a.count
            case .int64(let a): return a.count
            }
        }

        var descr: String {
            switch self {
            case .float32: return "<f4"
            case .uint8: return "|u1"
            case .int64: return "<i8"
            }
        }
    }

    public var shape: [Int]
    public var elements: Elements

    /// - Precondition: the number of elements is the product of `shape`.
    public init(shape: [Int], elements: Elements) {
        precondition(shape.reduce(1, *) == elements.count, "[NPYArray] \(elements.count) elements for shape \(shape)")
        self.shape = shape
        self.elements = elements
    }

    /// A float32 array holding a tensor's values.
    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, elements: .float32(tensor.scalars))
    }

    /// The values as a tensor (uint8 and int64 converted to `Float`).
    public var tensor: Tensor {
        switch elements {
        case .float32(let a): return Tensor(shape: shape, scalars: a)
        case .uint8(let a): return Tensor(shape: shape, scalars: a.map(Float.init))
        case .int64(let a): return Tensor(shape: shape, scalars: a.map(Float.init))
        }
    }
}

extension NPYArray {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Parses `.npy` bytes (format versions 1.0, 2.0 and 3.0).
    ///
    /// - Throws: ``DataError`` naming `file` for a wrong magic string, an unknown version, a header
    ///   or body cut short, Fortran order, or a dtype other than `<f4`, `|u1` or `<i8`.
    public static func parse(_ bytes: [UInt8], file: String) throws -> NPYArray {
        guard bytes.count >= 8 else {
            if !bytes.isEmpty && !magic.starts(with: bytes.prefix(6)) {
                throw DataError.badMagic(file: file, expected: "\\x93NUMPY", found: DataError.hex(bytes.prefix(6)))
            }
            throw DataError.truncated(file: file, reason: "npy preamble needs 8 bytes, file has \(bytes.count)")
        }
        guard Array(bytes[0..<6]) == magic else {
            throw DataError.badMagic(file: file, expected: "\\x93NUMPY", found: DataError.hex(bytes.prefix(6)))
        }
        let major = bytes[6], minor = bytes[7]
        let lengthBytes: Int
        switch major {
        case 1: lengthBytes = 2
        case 2, 3: lengthBytes = 4
        default: throw DataError.unsupported(file: file, reason: "npy format version \(major).\(minor); versions 1.0, 2.0 and 3.0 are read")
        }
        guard bytes.count >= 8 + lengthBytes else {
            throw DataError.truncated(file: file, reason: "npy \(major).\(minor) header length needs \(lengthBytes) bytes after the preamble, file has \(bytes.count - 8)")
        }
        var headerLength = 0
        for i in (0..<lengthBytes).reversed() { headerLength = headerLength << 8 | Int(bytes[8 + i]) }
        let dataStart = 8 + lengthBytes + headerLength
        guard bytes.count >= dataStart else {
            throw DataError.truncated(file: file, reason: "npy header of \(headerLength) bytes ends at byte \(dataStart), file has \(bytes.count)")
        }
        guard let header = String(bytes: bytes[(8 + lengthBytes)..<dataStart], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw DataError.corrupt(file: file, reason: "npy header is not valid text")
        }
        let (descr, fortran, shape) = try parseHeader(header, file: file)
        if fortran {
            throw DataError.unsupported(file: file, reason: "fortran_order is True; save the array in C order (np.ascontiguousarray)")
        }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= Int(Int32.max) * 8 else { throw DataError.corrupt(file: file, reason: "npy shape \(shape) is implausibly large") }
            count = p
        }
        let itemSize: Int
        switch descr {
        case "<f4": itemSize = 4
        case "|u1", "<u1", "u1": itemSize = 1
        case "<i8": itemSize = 8
        default:
            throw DataError.unsupported(file: file, reason: "npy dtype '\(descr)'; float32 ('<f4'), uint8 ('|u1') and int64 ('<i8') are read")
        }
        let body = bytes.count - dataStart
        guard body >= count * itemSize else {
            throw DataError.truncated(file: file, reason: "shape \(shape) of '\(descr)' needs \(count * itemSize) data bytes, file has \(body)")
        }
        guard body == count * itemSize else {
            throw DataError.corrupt(file: file, reason: "\(body - count * itemSize) bytes after the data of shape \(shape)")
        }
        let elements: Elements = bytes.withUnsafeBytes { raw in
            let data = UnsafeRawBufferPointer(rebasing: raw[dataStart...])
            switch itemSize {
            case 4: return .float32((0..<count).map { Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) })
            case 8: return .int64((0..<count).map { Int64(littleEndian: data.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) })
            default: return .uint8(Array(data))
            }
        }
        return NPYArray(shape: shape, elements: elements)
    }

    /// Reads a `.npy` file.
    public static func read(_ url: URL) throws -> NPYArray {
        try parse(FileBytes.read(url), file: url.path)
    }

    /// Parses the Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`
    /// strictly, as `numpy.lib.format` writes it: the three keys once each and nothing else, a
    /// shape tuple of non-negative integers (`()`, `(3,)`, `(2, 3)`), and after the closing
    /// brace only spaces and the final newline.
    static func parseHeader(_ header: String, file: String) throws -> (descr: String, fortran: Bool, shape: [Int]) {
        func fail(_ why: String) -> DataError { .corrupt(file: file, reason: "npy header \(why): \(header.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))") }
        let text = Array(header.unicodeScalars)
        var i = 0
        func skipSpaces() { while i < text.count, text[i] == " " || text[i] == "\t" { i += 1 } }
        func expect(_ c: Unicode.Scalar, _ what: String) throws {
            skipSpaces()
            guard i < text.count, text[i] == c else { throw fail("expects \(what)") }
            i += 1
        }
        func peek() -> Unicode.Scalar? { skipSpaces(); return i < text.count ? text[i] : nil }
        func string() throws -> String {
            skipSpaces()
            guard i < text.count, text[i] == "'" || text[i] == "\"" else { throw fail("expects a quoted string") }
            let quote = text[i]
            i += 1
            let start = i
            while i < text.count, text[i] != quote { i += 1 }
            guard i < text.count else { throw fail("has an unterminated string") }
            defer { i += 1 }
            return String(String.UnicodeScalarView(text[start..<i]))
        }
        func word() -> String {
            skipSpaces()
            let start = i
            while i < text.count, text[i].properties.isAlphabetic || ("0"..."9").contains(text[i]) { i += 1 }
            return String(String.UnicodeScalarView(text[start..<i]))
        }
        var descr: String?, fortran: Bool?, shape: [Int]?
        try expect("{", "'{' first")
        while peek() != "}" {
            let key = try string()
            try expect(":", "':' after '\(key)'")
            switch key {
            case "descr" where descr == nil:
                descr = try string()
            case "fortran_order" where fortran == nil:
                switch word() {
                case "True": fortran = true
                case "False": fortran = false
                default: throw fail("'fortran_order' is not True or False")
                }
            case "shape" where shape == nil:
                try expect("(", "'shape' to be a tuple")
                var dims = [Int](), trailingComma = false
                while peek() != ")" {
                    var digits = word()
                    if digits.hasSuffix("L") { digits.removeLast() }  // Python 2's long literals
                    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let d = Int(digits), d >= 0 else {
                        throw fail("'shape' has a bad dimension")
                    }
                    dims.append(d)
                    trailingComma = peek() == ","
                    if trailingComma { i += 1 } else if peek() != ")" { throw fail("'shape' needs ',' between dimensions") }
                }
                // A one-element tuple needs its comma: (3) is an int in Python, not a shape.
                if dims.count == 1 && !trailingComma { throw fail("'shape' (n) needs a trailing comma to be a tuple") }
                i += 1
                shape = dims
            case "descr", "fortran_order", "shape":
                throw fail("repeats '\(key)'")
            default:
                throw fail("has an unknown key '\(key)'")
            }
            if peek() == "," { i += 1 } else if peek() != "}" { throw fail("needs ',' between entries") }
        }
        i += 1
        // Padding: spaces, then one newline at the end.
        while i < text.count, text[i] == " " { i += 1 }
        if i < text.count, text[i] == "\n" { i += 1 }
        guard i == text.count else { throw fail("has text after the closing brace") }
        guard let descr else { throw fail("has no 'descr'") }
        guard let fortran else { throw fail("has no 'fortran_order'") }
        guard let shape else { throw fail("has no 'shape'") }
        return (descr, fortran, shape)
    }

    /// The `.npy` encoding: version 1.0, or 2.0 when the header exceeds 65535 bytes; the header is
    /// padded so the data starts on a 64-byte boundary, as numpy writes it.
    public func encoded() -> [UInt8] {
        var out = NPYArray.preamble(descr: elements.descr, shape: shape)
        switch elements {
        case .float32(let a): for v in a { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        case .uint8(let a): out += a
        case .int64(let a): for v in a { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        }
        return out
    }

    /// Magic string, version and header of a C-order `.npy` array of `shape` and dtype `descr`:
    /// everything before the data.
    public static func preamble(descr: String, shape: [Int]) -> [UInt8] {
        let dims = shape.map(String.init)
        let tuple = shape.count == 1 ? "(\(dims[0]),)" : "(\(dims.joined(separator: ", ")))"
        let header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tuple), }"
        var major: UInt8 = 1, lengthBytes = 2
        func padded(_ prefix: Int) -> String {
            let total = prefix + header.utf8.count + 1
            return header + String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        }
        var full = padded(8 + lengthBytes)
        if full.utf8.count > 65535 {
            major = 2
            lengthBytes = 4
            full = padded(8 + lengthBytes)
        }
        var out = NPYArray.magic + [major, 0]
        let length = full.utf8.count
        for i in 0..<lengthBytes { out.append(UInt8(length >> (8 * i) & 0xFF)) }
        return out + Array(full.utf8)
    }

    /// Writes the array as a `.npy` file.
    public func write(to url: URL) throws {
        try FileBytes.write(encoded(), to: url)
    }
}
