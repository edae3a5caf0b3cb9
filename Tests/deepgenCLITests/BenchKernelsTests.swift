import Foundation
import Testing

/// `deepgen-bench kernels --gemm-shapes`: the shapes given, with either operand stored
/// transposed, replace the gemm section's own; a malformed shape, or shapes without the gemm
/// section, are refused with a message.
@Suite struct BenchKernelsTests {
    static let bench = CLI.binary.deletingLastPathComponent().appendingPathComponent("deepgen-bench")

    @Test func gemmShapesAreTimedAsGiven() throws {
        let r = try CLI.run(["kernels", "--sections", "gemm", "--threads", "1", "--repeat", "1", "--no-numpy",
                             "--gemm-shapes", "9x7x5tA,9×7×5tB,9x7x5,3x4x2tAtB"], executable: Self.bench)
        #expect(r.status == 0, "\(r.output)")
        let rows = r.output.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| GEMM") }.map { $0.split(separator: "|")[0] }
        #expect(rows.map { $0.trimmingCharacters(in: .whitespaces) } == ["9×7×5 Aᵀ", "9×7×5 Bᵀ", "9×7×5", "3×4×2 Aᵀ Bᵀ"], "\(r.output)")
        #expect(!r.output.contains("256×256×256"))
    }

    @Test(arguments: ["7x0x3", "64x64x64tC", "64x64", "x", "", "9999999999x9999999999x1"])
    func malformedShapesAreRefused(_ shapes: String) throws {
        let r = try CLI.run(["kernels", "--no-numpy", "--gemm-shapes", shapes], executable: Self.bench)
        #expect(r.status != 0 && r.output.contains("--gemm-shapes:"), "\(r.output)")
    }

    @Test func shapesWithoutTheGemmSectionAreRefused() throws {
        let r = try CLI.run(["kernels", "--no-numpy", "--sections", "conv", "--gemm-shapes", "8x8x8"], executable: Self.bench)
        #expect(r.status != 0 && r.output.contains("the gemm section is not among --sections 'conv'"), "\(r.output)")
    }
}
