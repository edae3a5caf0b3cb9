import DeepGen
import Foundation
import Testing
@testable import DeepGenData

@Suite struct NPYTests {
    @Test func readsFilesNumpyWrote() throws {
        let f = try NPYArray.read(Paths.fixture("float32_2x3.npy"))
        #expect(f.shape == [2, 3] && f.elements == .float32([1.5, -2, 0, 3.25, 1e-3, -7]))
        #expect(try NPYArray.read(Paths.fixture("uint8_4.npy")).elements == .uint8([0, 1, 254, 255]))
        let i = try NPYArray.read(Paths.fixture("int64_2x2.npy"))
        #expect(i.shape == [2, 2] && i.elements == .int64([-1, 1 << 40, 3, -(1 << 50)]))
        let scalar = try NPYArray.read(Paths.fixture("scalar_f4.npy"))
        #expect(scalar.shape == [] && scalar.tensor.scalar == 2.5)
        let v2 = try NPYArray.read(Paths.fixture("v2_float32.npy"))
        #expect(v2.shape == [3, 2] && v2.tensor.scalars == [0, 1, 2, 3, 4, 5])
    }

    @Test func writesWhatNumpyWrites() throws {
        // numpy's own bytes for these arrays: our encoder must reproduce them exactly.
        for name in ["float32_2x3.npy", "uint8_4.npy", "int64_2x2.npy", "scalar_f4.npy"] {
            let bytes = try FileBytes.read(Paths.fixture(name))
            #expect(try NPYArray.parse(bytes, file: name).encoded() == bytes, "\(name)")
        }
        let t = Tensor(shape: [2, 2, 1], scalars: [1, 2, 3, 4])
        let folder = try Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.npy")
        try NPYArray(t).write(to: url)
        #expect(try NPYArray.read(url).tensor.scalars == t.scalars)
    }

    @Test func largeHeadersUseVersion2() throws {
        let a = NPYArray(shape: Array(repeating: 1, count: 30_000), elements: .uint8([3]))
        let bytes = a.encoded()
        #expect(bytes[6] == 2 && bytes.count % 64 == 1)
        #expect(try NPYArray.parse(bytes, file: "big.npy") == a)
    }

    @Test func refusesFortranOrderAndOtherDtypes() {
        let fortran = expectDataError { _ = try NPYArray.read(Paths.fixture("fortran.npy")) }
        #expect(fortran?.description.contains("fortran_order") == true)
        #expect(fortran?.file?.hasSuffix("fortran.npy") == true)
        let f64 = expectDataError { _ = try NPYArray.read(Paths.fixture("float64.npy")) }
        #expect(f64?.description.contains("'<f8'") == true)
        let big = expectDataError { _ = try NPYArray.read(Paths.fixture("bigendian.npy")) }
        #expect(big?.description.contains("'>f4'") == true)
    }

    @Test func truncationAtEveryHeaderByteIsReported() throws {
        for name in ["float32_2x3.npy", "v2_float32.npy"] {
            let full = try FileBytes.read(Paths.fixture(name))
            for cut in 0..<full.count {
                let error = expectDataError("\(name) cut \(cut)") { _ = try NPYArray.parse(Array(full[..<cut]), file: "cut.npy") }
                guard case .truncated(let file, _) = error else { Issue.record("\(name) cut \(cut): got \(String(describing: error))"); continue }
                #expect(file == "cut.npy")
            }
        }
    }

    @Test func wrongMagicAndBadHeadersAreReported() throws {
        var bytes = try FileBytes.read(Paths.fixture("uint8_4.npy"))
        bytes[1] = UInt8(ascii: "X")
        let magic = expectDataError { _ = try NPYArray.parse(bytes, file: "m.npy") }
        guard case .badMagic = magic else { Issue.record("got \(String(describing: magic))"); return }
        bytes[1] = UInt8(ascii: "N")
        bytes[6] = 9
        let version = expectDataError { _ = try NPYArray.parse(bytes, file: "v.npy") }
        #expect(version?.description.contains("version 9.0") == true)
        bytes[6] = 1
        let shapeStart = bytes.indices.first { bytes[$0] == UInt8(ascii: "(") }!
        bytes[shapeStart] = UInt8(ascii: "[")
        let shape = expectDataError { _ = try NPYArray.parse(bytes, file: "s.npy") }
        guard case .corrupt(let f, _) = shape else { Issue.record("got \(String(describing: shape))"); return }
        #expect(f == "s.npy")
    }

    /// The header is read as strictly as numpy writes it: one tuple syntax, the three keys once,
    /// nothing but padding after the closing brace.
    @Test(arguments: [
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", [2, 3]),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", [6]),
        ("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1, 6)}", [1, 6]),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3,), }", [2, 3]),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,,3), }", nil),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", nil),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", nil),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }", nil),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), } x", nil),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'shape': (6,)}", nil),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'extra': 1}", nil),
        ("{'descr': '<f4', 'shape': (6,)}", nil),
        ("{'descr': '<f4' 'fortran_order': False, 'shape': (6,)}", nil),
        ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (6,)}", nil),
    ] as [(String, [Int]?)])
    func headersAreReadStrictly(_ dict: String, _ shape: [Int]?) throws {
        var header = Array(dict.utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(UInt8(ascii: " ")) }
        header.append(UInt8(ascii: "\n"))
        let count = (shape ?? [6]).reduce(1, *)
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header
            + [UInt8](repeating: 0, count: 4 * count)
        if let shape {
            #expect(try NPYArray.parse(bytes, file: "h.npy").shape == shape)
        } else {
            let error = expectDataError(dict) { _ = try NPYArray.parse(bytes, file: "h.npy") }
            guard case .corrupt(let file, _) = error else { Issue.record("\(dict): got \(String(describing: error))"); return }
            #expect(file == "h.npy")
        }
    }
}
