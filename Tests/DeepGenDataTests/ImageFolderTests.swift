import DeepGen
import Foundation
import Testing
@testable import DeepGenData

@Suite struct ImageFolderTests {
    static func writeImage(_ url: URL, width: Int, height: Int, channels: Int, value: (Int, Int, Int) -> UInt8) throws {
        var pixels = [UInt8]()
        for y in 0..<height { for x in 0..<width { for c in 0..<channels { pixels.append(value(x, y, c)) } } }
        try ImageCodec.writePNG(pixels: pixels, width: width, height: height, channels: channels, to: url)
    }

    @Test func loadsResizesCropsAndFlips() throws {
        let folder = try Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Left half black, right half white, 8×8 RGB; and a gray one.
        try Self.writeImage(folder.appendingPathComponent("a.png"), width: 8, height: 8, channels: 3) { x, _, _ in x < 4 ? 0 : 255 }
        try Self.writeImage(folder.appendingPathComponent("b.PNG"), width: 6, height: 4, channels: 1) { _, _, _ in 255 }
        try Data("not an image".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let plain = try ImageFolderDataset(directory: folder, transform: ImageTransform(loadSize: 4, channels: 3, range: .zeroToOne))
        #expect(plain.count == 2 && plain.sampleShape == [3, 4, 4])
        // Halving blurs the edge a little (antialiased triangle filter) but keeps the halves.
        let a = try plain.sample(at: 0).values
        #expect(a[0] == 0 && a[1] < 0.2 && a[2] > 0.8 && a[3] == 1)
        #expect(abs(a[1] + a[2] - 1) < 1e-6)
        #expect(try plain.sample(at: 1).values.allSatisfy { abs($0 - 1) < 1e-6 })
        let flipped = try ImageFolderDataset(files: [plain.files[0]], transform: ImageTransform(loadSize: 4, randomFlip: true, channels: 1))
        var sawFlip = false, sawPlain = false
        for seed in 0..<20 {
            var rng = RandomGenerator(seed: UInt64(seed))
            let row = Array(try flipped.sample(at: 0, using: &rng).values[0..<4])
            if row[0] == 1 && row[3] == -1 { sawFlip = true } else if row[0] == -1 && row[3] == 1 { sawPlain = true } else { Issue.record("row \(row)") }
        }
        #expect(sawFlip && sawPlain)
        let cropped = try ImageFolderDataset(directory: folder, transform: ImageTransform(loadSize: 8, cropSize: 5, randomCrop: true, channels: 1))
        #expect(try cropped.sample(at: 0).values.count == 25)
    }

    @Test func mixedFormatsAndDepthsBecomeOneShape() throws {
        // 16-bit gray, 16-bit RGBA, 8-bit palette, 1-bit gray, gray+alpha PNGs and a JPEG.
        let suite = ["basn0g16", "basn6a16", "basn3p08", "basn0g01", "basn4a08"].map { Paths.pngSuite.appendingPathComponent("png/\($0).png") }
        let d = try ImageFolderDataset(files: suite + [Paths.fixture("gradient.jpg")],
                                       transform: ImageTransform(loadSize: 12, cropSize: 10, randomCrop: true, randomFlip: true, channels: 3))
        for i in 0..<d.count {
            let values = try d.sample(at: i).values
            #expect(values.count == 3 * 10 * 10)
            #expect(values.allSatisfy { $0 >= -1 && $0 <= 1 })
        }
        let gray = try ImageFolderDataset(files: suite, transform: ImageTransform(loadSize: 32, channels: 1, range: .zeroToOne))
        // basn0g16 is a 16-bit gradient whose first pixel is black.
        #expect(try gray.sample(at: 0).values[0] == 0)
    }

    @Test func cropLargerThanLoadSizeIsRefused() {
        let error = expectDataError { _ = try ImageTransform(loadSize: 64, cropSize: 128) }
        #expect(error?.description.contains("crop size 128 is larger than the load size 64") == true)
    }

    @Test func emptyAndMissingFoldersAreReported() throws {
        let folder = try Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let transform = try ImageTransform(loadSize: 8)
        let empty = expectDataError { _ = try ImageFolderDataset(directory: folder, transform: transform) }
        guard case .emptyFolder(let path, _) = empty else { Issue.record("got \(String(describing: empty))"); return }
        #expect(path == folder.path)
        try Data().write(to: folder.appendingPathComponent("readme.md"))
        let noImages = expectDataError { _ = try ImageFolderDataset(directory: folder, transform: transform) }
        #expect(noImages?.description.contains("readme.md") == true)
        let missing = expectDataError { _ = try ImageFolderDataset(directory: folder.appendingPathComponent("nope"), transform: transform) }
        #expect(missing?.description.contains("no such folder") == true)
    }

    @Test func corruptFileInFolderIsNamedWhenSampled() throws {
        let folder = try Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("bad.jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]).write(to: bad)
        let d = try ImageFolderDataset(directory: folder, transform: ImageTransform(loadSize: 8))
        let error = expectDataError { _ = try d.sample(at: 0) }
        #expect(error?.file == bad.path)
    }

    @Test func cycleGANFolderConventionPairsDomains() throws {
        let root = try Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        for (domain, value, n) in [("trainA", UInt8(0), 3), ("trainB", UInt8(255), 2)] {
            for i in 0..<n {
                try Self.writeImage(root.appendingPathComponent("\(domain)/\(i).png"), width: 4, height: 4, channels: 3) { _, _, _ in value }
            }
        }
        let pairs = try UnpairedDataset(root: root, split: .train, transform: ImageTransform(loadSize: 4))
        #expect(pairs.count == 3 && pairs.sampleShape == [2, 3, 4, 4])
        let loader = try DataLoader(dataset: pairs, batchSize: 2, seed: 0)
        let batch = try #require(try loader.next())
        let (a, b) = batch.domains()
        #expect(a.shape == [2, 3, 4, 4] && b.shape == [2, 3, 4, 4])
        #expect(a.scalars.allSatisfy { $0 == -1 } && b.scalars.allSatisfy { $0 == 1 })
        #expect(batch.labels == [0, 0] && batch.secondLabels == [1, 1])
        let missingB = expectDataError { _ = try UnpairedDataset(root: root, split: .test, transform: ImageTransform(loadSize: 4)) }
        #expect(missingB?.description.contains("testA") == true)
    }
}
