import Foundation
import Testing
@testable import DeepGen

/// Builds a file from a header string and raw data bytes, without padding, so tests control
/// every byte.
private func file(header: String, data: [UInt8] = [], length: UInt64? = nil) -> Data {
    let h = Array(header.utf8)
    var out = Data()
    withUnsafeBytes(of: (length ?? UInt64(h.count)).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: h)
    out.append(contentsOf: data)
    return out
}

/// The problem reported for `data`, or `nil` when it decodes.
private func problem(_ data: Data) -> SafetensorsError.Problem? {
    do {
        _ = try SafetensorsFile(decoding: data, file: "test.safetensors")
        return nil
    } catch let e as SafetensorsError {
        return e.problem
    } catch {
        Issue.record("unexpected error type \(error)")
        return nil
    }
}

private func floats(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

@Suite struct SafetensorsFormat {
    static let sample: [String: Tensor] = [
        "b.weight": Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, .infinity, -0.0]),
        "a": Tensor(7),
        "empty": Tensor(zeros: [0, 4]),
        "c.bias": Tensor([Float.leastNonzeroMagnitude, .greatestFiniteMagnitude]),
    ]

    @Test func roundTripKeepsNamesShapesValuesAndMetadata() throws {
        let metadata = ["step": "12", "config": "{\"quote\": \"\\\"\", \"nl\": \"a\nb\"}", "ünï": "ċødé \u{1}"]
        let data = try SafetensorsFile(tensors: Self.sample, metadata: metadata).encoded()
        let back = try SafetensorsFile(decoding: data)
        #expect(back.metadata == metadata)
        #expect(Set(back.tensors.keys) == Set(Self.sample.keys))
        for (name, t) in Self.sample {
            #expect(back.tensors[name]!.shape == t.shape, "\(name)")
            #expect(back.tensors[name]!.scalars.map(\.bitPattern) == t.scalars.map(\.bitPattern), "\(name)")
        }
    }

    @Test func layoutIsSortedPaddedAndContiguous() throws {
        let data = try SafetensorsFile(tensors: ["z": Tensor([1, 2]), "a": Tensor([3])], metadata: ["k": "v"]).encoded()
        let n = Int(data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        #expect(n % 8 == 0)
        let header = String(decoding: data[8..<(8 + n)], as: UTF8.self)
        let expected = #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
            + #""z":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(header.trimmingCharacters(in: .whitespaces) == expected)
        #expect(header.count - expected.count < 8)
        #expect(Array(data[(8 + n)...]) == floats([3, 1, 2]))
    }

    @Test func everyTruncationIsRefused() throws {
        let data = try SafetensorsFile(tensors: Self.sample, metadata: ["a": "b"]).encoded()
        for length in 0..<data.count {
            #expect(problem(data.prefix(length)) != nil, "prefix of \(length) bytes decoded")
        }
        #expect(problem(data) == nil)
    }

    @Test func randomHeaderCorruptionNeverCrashes() throws {
        let original = try SafetensorsFile(tensors: Self.sample, metadata: ["step": "3"]).encoded()
        let headerEnd = 8 + Int(original.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var rng = RandomGenerator(seed: 42)
        var refused = 0
        for trial in 0..<3000 {
            var data = original
            for _ in 0...(trial % 4) {
                let i = rng.nextInt(below: headerEnd)
                data[i] = trial % 3 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : data[i] ^ (1 << UInt8(rng.nextInt(below: 8)))
            }
            do {
                let back = try SafetensorsFile(decoding: data)
                // Whatever decodes must be internally consistent.
                for t in back.tensors.values { #expect(t.count == t.shape.reduce(1, *)) }
            } catch is SafetensorsError {
                refused += 1
            }
        }
        #expect(refused > 1000)
    }

    @Test func randomBytesAreRefused() {
        var rng = RandomGenerator(seed: 9)
        for n in [0, 3, 8, 9, 64, 500] {
            for _ in 0..<50 {
                let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                #expect(problem(Data(bytes)) != nil)
            }
        }
    }

    @Test func headerProblemsAreNamed() {
        let ok = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        #expect(problem(file(header: ok, data: floats([1, 2]))) == nil)
        #expect(problem(Data([1, 2, 3])) == .fileTooShort(byteCount: 3))
        #expect(problem(file(header: ok, length: 1 << 40)) == .headerTooLarge(headerLength: 1 << 40))
        #expect(problem(file(header: ok, data: floats([1, 2]), length: 100)) == .headerExceedsFile(headerLength: 100, bytesAfterLength: 62))
        if case .invalidJSON(_, let offset)? = problem(file(header: #"{"a":"#)) { #expect(offset == 13) } else { Issue.record("expected invalidJSON") }
        if case .invalidJSON? = problem(file(header: String(repeating: "[", count: 100_000))) {} else { Issue.record("deep nesting not refused") }
        if case .invalidJSON? = problem(file(header: "{\"a\u{0}\":1}")) {} else { Issue.record("control char not refused") }
        if case .invalidHeader? = problem(file(header: "[1]")) {} else { Issue.record("array header not refused") }
        if case .invalidHeader(let m)? = problem(file(header: #"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#, data: floats([1, 2]))) {
            #expect(m.contains("'shape'"))
        } else { Issue.record("missing shape not refused") }
        if case .invalidHeader? = problem(file(header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#)) {} else {
            Issue.record("negative dimension not refused")
        }
        if case .invalidHeader? = problem(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#)) {} else {
            Issue.record("one offset not refused")
        }
        if case .invalidHeader? = problem(file(header: #"{"__metadata__":{"k":1}}"#)) {} else { Issue.record("numeric metadata not refused") }
        #expect(problem(file(header: #"{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, data: [0, 0]))
                == .unsupportedDType(tensor: "a", dtype: "F8_E4M3"))
        #expect(problem(file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: floats([1, 2])))
                == .sizeMismatch(tensor: "a", shape: [3], dtype: "F32", expectedBytes: 12, actualBytes: 8))
        if case .sizeMismatch? = problem(file(header: #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, data: floats([1, 2]))) {} else {
            Issue.record("overflowing shape not refused")
        }
        #expect(problem(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: floats([1, 2])))
                == .offsetsOutOfRange(tensor: "a", begin: 8, end: 16, dataLength: 8))
        #expect(problem(file(header: #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#, data: floats([1, 2])))
                == .offsetsOutOfRange(tensor: "a", begin: 8, end: 4, dataLength: 8))
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(problem(file(header: overlap, data: floats([1, 2, 3]))) == .offsetsNotContiguous(tensor: "b", begin: 4, expectedBegin: 8))
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        #expect(problem(file(header: gap, data: floats([1, 2, 3]))) == .offsetsNotContiguous(tensor: "b", begin: 8, expectedBegin: 4))
        #expect(problem(file(header: ok, data: floats([1, 2, 3]))) == .trailingData(covered: 8, dataLength: 12))
        let twice = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        #expect(problem(file(header: twice, data: floats([1, 2]))) == .duplicateName("a"))
    }

    @Test func errorsNameTheFileAndProblem() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-missing-\(UUID()).safetensors")
        do {
            _ = try SafetensorsFile(contentsOf: url)
            Issue.record("missing file read")
        } catch let e as SafetensorsError {
            #expect(e.file == url.path)
            #expect(e.description.contains(url.path))
        }
        let e = SafetensorsError(file: "x.safetensors", problem: .duplicateName("w"))
        #expect(e.description == "safetensors file 'x.safetensors': header names 'w' more than once")
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(tensors: ["__metadata__": Tensor(1)]).encoded() }
    }

    @Test func otherDTypesConvertOrAreRefused() throws {
        func one(_ dtype: String, _ shape: [Int], _ bytes: [UInt8]) -> Result<[Float], SafetensorsError> {
            let header = #"{"t":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[0,\#(bytes.count)]}}"#
            return Result { try SafetensorsFile(decoding: file(header: header, data: bytes)).tensors["t"]!.scalars }
                .mapError { $0 as! SafetensorsError }
        }
        func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
        // Binary16: 1, -2, 65504 (largest), 2^-24 (smallest subnormal), infinity.
        #expect(try one("F16", [5], le([UInt16(0x3C00), 0xC000, 0x7BFF, 0x0001, 0x7C00])).get()
                == [1, -2, 65504, 0x1p-24, .infinity])
        // bfloat16 is the top half of a Float.
        #expect(try one("BF16", [2], le([UInt16(0x3FC0), 0xC2F7])).get() == [1.5, -123.5])
        #expect(try one("F64", [2], le([(0.1).bitPattern, (-3.0).bitPattern])).get() == [Float(0.1), -3])
        #expect(try one("I64", [3], le([Int64(1), -7, 1 << 24])).get() == [1, -7, 16_777_216])
        #expect(try one("I32", [1], le([Int32(-5)])).get() == [-5])
        #expect(try one("U8", [3], [0, 7, 255]).get() == [0, 7, 255])
        #expect(try one("I8", [2], [0xFF, 0x80]).get() == [-1, -128])
        #expect(try one("BOOL", [2], [1, 0]).get() == [1, 0])
        if case .failure(let e) = one("I64", [1], le([Int64(1 << 24 + 1)])) {
            #expect(e.problem == .valueNotRepresentable(tensor: "t", dtype: "I64", value: "16777217"))
        } else { Issue.record("inexact I64 accepted") }
        if case .failure(let e) = one("F64", [1], le([(1e300).bitPattern])) {
            if case .valueNotRepresentable = e.problem {} else { Issue.record("wrong problem \(e.problem)") }
        } else { Issue.record("F64 overflow accepted") }
        if case .failure = one("BOOL", [1], [2]) {} else { Issue.record("BOOL 2 accepted") }
    }
}
