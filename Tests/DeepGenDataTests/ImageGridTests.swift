import DeepGen
import Foundation
import Testing
@testable import DeepGenData

@Suite struct ImageGridTests {
    @Test func layoutMatchesMakeGrid() throws {
        // 3 gray 2×2 images, 2 per row, padding 1: torchvision gives (2+1)*2+1 = 7 wide, 7 tall.
        let images = Tensor(shape: [3, 1, 2, 2], scalars: [-1, -1, -1, -1, 1, 1, 1, 1, 0, 0, 0, 0])
        let grid = try ImageGrid(images, nrow: 2, padding: 1, padValue: 0.5)
        #expect(grid.width == 7 && grid.height == 7 && grid.channels == 1)
        let px = { (x: Int, y: Int) in grid.pixels[y * 7 + x] }
        #expect(px(0, 0) == 128)            // padding: floor(0.5 * 255 + 0.5)
        #expect(px(1, 1) == 0 && px(2, 2) == 0)
        #expect(px(4, 1) == 255)            // second image, white
        #expect(px(1, 4) == 128)            // third image, 0 in [-1, 1] -> 0.5
        #expect(px(4, 4) == 128)            // empty cell stays padding
        #expect(px(3, 1) == 128)            // gap between images
    }

    @Test func upscaleRepeatsPixelsAndKeepsPadding() throws {
        let image = Tensor(shape: [1, 3, 1, 2], scalars: [0, 1, 0, 0, 0, 1])
        let grid = try ImageGrid(image, padding: 2, range: .zeroToOne, upscale: 3)
        #expect(grid.width == 2 * 3 + 4 && grid.height == 3 + 4 && grid.channels == 3)
        let rgb = { (x: Int, y: Int) in Array(grid.pixels[(y * grid.width + x) * 3 ..< (y * grid.width + x) * 3 + 3]) }
        #expect(rgb(2, 2) == [0, 0, 0] && rgb(4, 4) == [0, 0, 0])
        #expect(rgb(5, 3) == [255, 0, 255] && rgb(7, 4) == [255, 0, 255])
        #expect(rgb(0, 0) == [0, 0, 0] && rgb(8, 0) == [0, 0, 0])
    }

    @Test func clampsOutOfRangeValues() throws {
        let grid = try ImageGrid(Tensor(shape: [1, 1, 1, 3], scalars: [-5, 5, .nan]), padding: 0)
        #expect(grid.pixels == [0, 255, 0])
    }

    @Test func savedGridDecodesBack() throws {
        let folder = try Paths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("samples/epoch-001.png")
        let images = Tensor(shape: [4, 1, 3, 3], scalars: (0..<36).map { Float($0) / 35 })
        try ImageGrid.save(images, to: url, nrow: 2, range: .zeroToOne)
        let decoded = try ImageCodec.read(url)
        let grid = try ImageGrid(images, nrow: 2, range: .zeroToOne)
        #expect(decoded.width == 12 && decoded.height == 12)
        #expect(decoded.samples.map { UInt8($0) } == grid.pixels)
    }

    @Test func rejectsBadShapes() {
        #expect(throws: DataError.self) { _ = try ImageGrid(Tensor(zeros: [2, 2, 4, 4])) }
        #expect(throws: DataError.self) { _ = try ImageGrid(Tensor(zeros: [4, 4])) }
        #expect(throws: DataError.self) { _ = try ImageGrid(Tensor(zeros: [1, 1, 4, 4]), nrow: 0) }
    }
}
