import CDeepGenVector
import Testing

/// The C transposes (16×16 register blocks with AVX-512, 8×8 with AVX, scalar elsewhere) against
/// naive loops, on sizes that leave every kind of partial block, with strides past the data.
@Suite struct TransposeKernelTests {
    static func values(_ count: Int) -> [Float] { (0..<count).map { Float($0 % 997) + 0.5 } }

    @Test(arguments: [1, 7, 8, 9, 16, 23, 40])
    func transpose(rows: Int) {
        for columns in [1, 5, 8, 15, 16, 17, 33] {
            let ss = columns + 3, ds = rows + 2
            let src = Self.values(rows * ss)
            var dst = [Float](repeating: -1, count: columns * ds)
            deepgen_transpose(src, ss, Int32(rows), Int32(columns), &dst, ds)
            var expected = [Float](repeating: -1, count: columns * ds)
            for i in 0..<rows { for j in 0..<columns { expected[j * ds + i] = src[i * ss + j] } }
            #expect(dst == expected, "\(rows)×\(columns)")
        }
    }

    @Test(arguments: [1, 4, 8, 9, 16])
    func interleave16RoundTrip(lanes: Int) {
        for count in [1, 7, 8, 13, 16, 35] {
            let stride = count + 5
            let src = Self.values(16 * stride)
            var packed = [Float](repeating: -1, count: count * 16)
            deepgen_interleave16(src, stride, Int32(lanes), Int32(count), &packed)
            var expected = [Float](repeating: -1, count: count * 16)
            for i in 0..<count { for l in 0..<16 { expected[i * 16 + l] = l < lanes ? src[l * stride + i] : 0 } }
            #expect(packed == expected, "interleave lanes \(lanes) count \(count)")
            var back = [Float](repeating: -1, count: 16 * stride)
            deepgen_deinterleave16(packed, Int32(count), Int32(lanes), &back, stride)
            var expectedBack = [Float](repeating: -1, count: 16 * stride)
            for l in 0..<lanes { for i in 0..<count { expectedBack[l * stride + i] = src[l * stride + i] } }
            #expect(back == expectedBack, "deinterleave lanes \(lanes) count \(count)")
        }
    }
}
