import Testing
@testable import DeepGenKernels

/// The fast im2col/col2im against the naive reference on awkward geometries.
@Suite struct Im2ColTests {
    static let geometries: [(Conv2DGeometry, Int)] = [
        (Conv2DGeometry(inChannels: 1, inHeight: 1, inWidth: 1, kernelHeight: 1, kernelWidth: 1), 1),
        (Conv2DGeometry(inChannels: 3, inHeight: 7, inWidth: 6, kernelHeight: 3, kernelWidth: 3, strideH: 2, strideW: 2, padH: 1, padW: 1), 2),
        (Conv2DGeometry(inChannels: 2, inHeight: 9, inWidth: 9, kernelHeight: 5, kernelWidth: 5, strideH: 2, strideW: 2, padH: 2, padW: 2), 3),
        (Conv2DGeometry(inChannels: 2, inHeight: 8, inWidth: 7, kernelHeight: 3, kernelWidth: 2, strideH: 2, strideW: 1, padH: 1, padW: 0), 2),
        (Conv2DGeometry(inChannels: 2, inHeight: 9, inWidth: 10, kernelHeight: 3, kernelWidth: 3, padH: 2, padW: 3, dilationH: 2, dilationW: 3), 1),
        (Conv2DGeometry(inChannels: 4, inHeight: 5, inWidth: 5, kernelHeight: 5, kernelWidth: 5, strideH: 3, strideW: 3, padH: 4, padW: 4), 2),
        // One channel, several images: col2im splits the images over threads.
        (Conv2DGeometry(inChannels: 1, inHeight: 12, inWidth: 12, kernelHeight: 4, kernelWidth: 4, strideH: 2, strideW: 2, padH: 1, padW: 1), 5),
    ]

    @Test(arguments: 0..<geometries.count)
    func matchesReference(_ index: Int) {
        let (g, batch) = Self.geometries[index]
        for threads in [1, 2] {
            Parallel.withThreadCount(threads) {
                let inCount = batch * g.inChannels * g.inHeight * g.inWidth
                let colCount = g.patchSize * batch * g.outHeight * g.outWidth
                let input = (0..<inCount).map { Float(($0 * 7919) % 101) - 50 }
                let columns = (0..<colCount).map { Float(($0 * 104729) % 89) - 44 }
                var fast = [Float](repeating: .nan, count: colCount), slow = fast
                im2col(input, geometry: g, batch: batch, output: &fast)
                Reference.im2col(input, geometry: g, batch: batch, output: &slow)
                #expect(fast == slow, "im2col \(g) batch \(batch) threads \(threads)")
                var back = [Float](repeating: .nan, count: inCount), backRef = back
                col2im(columns, geometry: g, batch: batch, output: &back)
                Reference.col2im(columns, geometry: g, batch: batch, output: &backRef)
                #expect(back == backRef, "col2im \(g) batch \(batch) threads \(threads)")
            }
        }
    }
}
