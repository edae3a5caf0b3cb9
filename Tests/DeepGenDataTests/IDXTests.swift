import DeepGen
import Foundation
import Testing
@testable import DeepGenData

@Suite struct IDXTests {
    @Test func readsRawAndGzipIdentically() throws {
        let raw = try IDXArray.read(Paths.fixture("tiny-images-idx3-ubyte"))
        let gz = try IDXArray.read(Paths.fixture("tiny-images-idx3-ubyte.gz"))
        #expect(raw.dimensions == [3, 4, 5])
        #expect(raw.bytes == (0..<60).map { UInt8($0 * 4) })
        #expect(gz == raw)
    }

    @Test func encodedRoundTrips() throws {
        let a = IDXArray(dimensions: [2, 3], bytes: [1, 2, 3, 4, 5, 6])
        #expect(try IDXArray.parse(a.encoded(), file: "x") == a)
    }

    @Test func datasetScalesPixelsAndKeepsLabels() throws {
        let d = try IDXDataset(images: Paths.fixture("tiny-images-idx3-ubyte.gz"), labels: Paths.fixture("tiny-labels-idx1-ubyte.gz"),
                               range: .zeroToOne)
        #expect(d.count == 3 && d.sampleShape == [1, 4, 5])
        let s = try d.sample(at: 1)
        #expect(s.label == 9)
        #expect(s.values.first == Float(80) / 255)
        var gan = d
        gan.range = .minusOneToOne
        #expect(try gan.sample(at: 0).values.first == -1)
        let sevens = try IDXDataset(images: Paths.fixture("tiny-images-idx3-ubyte"), labels: Paths.fixture("tiny-labels-idx1-ubyte"), classes: [7])
        #expect(sevens.count == 2)
        #expect(try sevens.sample(at: 1).values.first == PixelRange.minusOneToOne.scale(Float(160) / 255))
    }

    @Test func countMismatchNamesBothFiles() throws {
        let error = expectDataError {
            _ = try IDXDataset(images: Paths.fixture("tiny-images-idx3-ubyte"), labels: Paths.fixture("four-labels-idx1-ubyte"))
        }
        guard case .mismatch = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(error!.description.contains("tiny-images-idx3-ubyte"))
        #expect(error!.description.contains("four-labels-idx1-ubyte"))
        #expect(error!.description.contains("3 images but 4 labels"))
    }

    @Test func wrongMagicIsReported() {
        var bytes = IDXArray(dimensions: [2], bytes: [1, 2]).encoded()
        bytes[0] = 0x50
        let error = expectDataError { _ = try IDXArray.parse(bytes, file: "bad.idx") }
        guard case .badMagic(let file, _, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(file == "bad.idx")
        var floats = IDXArray(dimensions: [1], bytes: [0]).encoded()
        floats[2] = 0x0D
        let typeError = expectDataError { _ = try IDXArray.parse(floats, file: "f.idx") }
        #expect(typeError?.description.contains("float32") == true)
    }

    @Test func truncationAtEveryHeaderByteIsReported() throws {
        let full = try FileBytes.read(Paths.fixture("tiny-images-idx3-ubyte"))
        for cut in 0..<full.count {
            let error = expectDataError("cut at \(cut)") { _ = try IDXArray.parse(Array(full[..<cut]), file: "cut.idx") }
            guard case .truncated(let file, _) = error else { Issue.record("cut \(cut): got \(String(describing: error))"); continue }
            #expect(file == "cut.idx")
        }
        let extra = expectDataError { _ = try IDXArray.parse(full + [0], file: "long.idx") }
        guard case .corrupt = extra else { Issue.record("got \(String(describing: extra))"); return }
    }

    @Test func truncatedAndCorruptGzipAreReported() throws {
        let gz = try FileBytes.read(Paths.fixture("tiny-images-idx3-ubyte.gz"))
        for cut in 2..<gz.count {
            let error = expectDataError("cut at \(cut)") { _ = try IDXArray.parse(Array(gz[..<cut]), file: "cut.gz") }
            switch error {
            case .truncated(let f, _)?, .corrupt(let f, _)?: #expect(f == "cut.gz")
            default: Issue.record("cut \(cut): got \(String(describing: error))")
            }
        }
        var flipped = gz
        flipped[gz.count - 6] ^= 0xFF  // inside the CRC32 trailer
        let crc = expectDataError { _ = try Gzip.decompress(flipped, file: "crc.gz") }
        guard case .corrupt(_, let reason) = crc else { Issue.record("got \(String(describing: crc))"); return }
        #expect(reason.contains("gzip"))
        var garbage = gz
        garbage[12] ^= 0x55
        #expect(throws: DataError.self) { _ = try Gzip.decompress(garbage, file: "garbage.gz") }
    }

    @Test func directoryLookupFindsSplitFiles() throws {
        let folder = try Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (from, to) in [("tiny-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"), ("tiny-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz")] {
            try FileManager.default.copyItem(at: Paths.fixture(from), to: folder.appendingPathComponent(to))
        }
        let test = try IDXDataset(directory: folder, split: .test)
        #expect(test.count == 3)
        let missing = expectDataError { _ = try IDXDataset(directory: folder, split: .train) }
        guard case .notFound(_, let searched) = missing else { Issue.record("got \(String(describing: missing))"); return }
        #expect(searched == [folder.path])
        let spec = try DatasetSpec(parsing: "kmnist:9")
        #expect(try spec.loadIDX(split: .test, directory: folder).count == 1)
        #expect(throws: DataError.self) { _ = try DatasetSpec(parsing: "kmnist:nine").loadIDX(split: .test, directory: folder) }
    }

    @Test func missingFileIsNamed() {
        let error = expectDataError { _ = try IDXArray.read(URL(fileURLWithPath: "/nonexistent/train-images")) }
        #expect(error?.description == "/nonexistent/train-images: cannot access file: no such file")
    }
}
