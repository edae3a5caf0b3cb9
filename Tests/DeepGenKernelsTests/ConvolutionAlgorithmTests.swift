import Testing
@testable import DeepGenKernels

/// The one algorithm choice against the kernels' own `applies` rules, so the choice cannot
/// drift from what each kernel takes.
@Suite struct ConvolutionAlgorithmTests {
    static let faces: [ConvolutionFace] = [.forward, .inputAdjoint, .weightAdjoint]

    /// The rule spelled out from the `applies` functions: direct (never for a phase input), then
    /// Winograd, then the column GEMM; nil where a phase input has no kernel.
    static func reference(_ g: Conv2DGeometry, outChannels cout: Int, _ face: ConvolutionFace) -> ConvolutionAlgorithm? {
        let direct = face == .inputAdjoint
            ? DirectConvolution.appliesToInputAdjoint(outChannels: cout, geometry: g)
            : DirectConvolution.applies(outChannels: cout, geometry: g)
        if !g.inputPhases && direct { return .direct }
        if WinogradConvolution.applies(outChannels: cout, geometry: g) { return .winograd }
        return g.inputPhases ? nil : .columnGEMM
    }

    /// Checks the choice for each face (forward, input adjoint, weight adjoint) and that it is the reference's.
    func expectAlgorithms(_ g: Conv2DGeometry, outChannels cout: Int, _ expected: [ConvolutionAlgorithm],
                          sourceLocation: SourceLocation = #_sourceLocation) {
        for (face, algorithm) in zip(Self.faces, expected) {
            let chosen = g.algorithm(outChannels: cout, for: face)
            #expect(chosen == algorithm, "\(face) of \(g), Cout \(cout)", sourceLocation: sourceLocation)
            #expect(chosen == Self.reference(g, outChannels: cout, face), "\(face) of \(g), Cout \(cout)", sourceLocation: sourceLocation)
        }
    }

    @Test func fewOutputChannelsGoDirect() {
        // A generator's last 7×7 layer: direct on all three faces.
        let last = Conv2DGeometry(inChannels: 32, inHeight: 28, inWidth: 28, kernelHeight: 7, kernelWidth: 7, padH: 3, padW: 3)
        expectAlgorithms(last, outChannels: 1, [.direct, .direct, .direct])
        expectAlgorithms(last, outChannels: DirectConvolution.maxOutChannels, [.direct, .direct, .direct])
        // A PatchGAN logit layer at stride 2: the direct input adjoint needs stride 1.
        let logit = Conv2DGeometry(inChannels: 64, inHeight: 16, inWidth: 16, kernelHeight: 4, kernelWidth: 4,
                                   strideH: 2, strideW: 2, padH: 1, padW: 1)
        expectAlgorithms(logit, outChannels: 1, [.direct, .columnGEMM, .direct])
        // Padding as large as the kernel: likewise.
        let padded = Conv2DGeometry(inChannels: 2, inHeight: 8, inWidth: 8, kernelHeight: 2, kernelWidth: 2, padH: 2, padW: 2)
        expectAlgorithms(padded, outChannels: 2, [.direct, .columnGEMM, .direct])
    }

    @Test func wideThreeByThreeGoesWinograd() {
        let g = Conv2DGeometry(inChannels: 16, inHeight: 16, inWidth: 16, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1)
        expectAlgorithms(g, outChannels: 32, [.winograd, .winograd, .winograd])
        expectAlgorithms(g, outChannels: WinogradConvolution.minChannels, [.winograd, .winograd, .winograd])
    }

    @Test func fewOutputsFromManyInputsGoWinograd() {
        // Glow's coupling output: 64 → 4 (and 8) channels, 3×3.
        let g = Conv2DGeometry(inChannels: 64, inHeight: 14, inWidth: 14, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1)
        expectAlgorithms(g, outChannels: 4, [.winograd, .winograd, .winograd])
        expectAlgorithms(g, outChannels: 8, [.winograd, .winograd, .winograd])
        var fewer = g; fewer.inChannels = 32
        expectAlgorithms(fewer, outChannels: 8, [.columnGEMM, .columnGEMM, .columnGEMM])
    }

    @Test func smallChannelsGoColumnGEMM() {
        let rgb = Conv2DGeometry(inChannels: 3, inHeight: 32, inWidth: 32, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1)
        expectAlgorithms(rgb, outChannels: 8, [.columnGEMM, .columnGEMM, .columnGEMM])
        expectAlgorithms(rgb, outChannels: 64, [.columnGEMM, .columnGEMM, .columnGEMM])
    }

    @Test func phaseInputsGoWinograd() {
        var phases = Conv2DGeometry(inChannels: 64, inHeight: 8, inWidth: 8, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1)
        phases.inputLayout = .phases
        expectAlgorithms(phases, outChannels: 32, [.winograd, .winograd, .winograd])
        var shifted = Conv2DGeometry(inChannels: 64, inHeight: 8, inWidth: 8, kernelHeight: 2, kernelWidth: 2)
        shifted.outHeight = 8
        shifted.outWidth = 8
        shifted.inputLayout = .shiftedPhases
        expectAlgorithms(shifted, outChannels: 16, [.winograd, .winograd, .winograd])
    }

    @Test func dilationGoesColumnGEMM() {
        let g = Conv2DGeometry(inChannels: 16, inHeight: 16, inWidth: 16, kernelHeight: 3, kernelWidth: 3,
                               padH: 2, padW: 2, dilationH: 2, dilationW: 2)
        expectAlgorithms(g, outChannels: 16, [.columnGEMM, .columnGEMM, .columnGEMM])
        expectAlgorithms(g, outChannels: 1, [.columnGEMM, .columnGEMM, .columnGEMM])
    }

    /// Every plain geometry of a small grid, and every phase geometry Winograd takes, as the reference.
    @Test func gridMatchesReference() {
        var checked = 0
        for layout in [Conv2DGeometry.InputLayout.plain, .phases, .shiftedPhases] {
            for cin in [3, 16, 64] {
                for cout in [1, 4, 5, 16, 32] {
                    for k in 1...5 {
                        for stride in 1...2 {
                            for pad in 0...k {
                                for dilation in 1...2 {
                                    var g = Conv2DGeometry(inChannels: cin, inHeight: 12, inWidth: 12, kernelHeight: k, kernelWidth: k,
                                                           strideH: stride, strideW: stride, padH: pad, padW: pad,
                                                           dilationH: dilation, dilationW: dilation)
                                    g.inputLayout = layout
                                    for face in Self.faces {
                                        guard let expected = Self.reference(g, outChannels: cout, face) else { continue }
                                        #expect(g.algorithm(outChannels: cout, for: face) == expected, "\(face) of \(g), Cout \(cout)")
                                        checked += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(checked > 1000)
    }

    @Test func phaseInputWithoutWinogradStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var g = Conv2DGeometry(inChannels: 64, inHeight: 8, inWidth: 8, kernelHeight: 3, kernelWidth: 3, padH: 1, padW: 1)
            g.inputLayout = .phases
            _ = g.algorithm(outChannels: 1, for: .inputAdjoint)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("[convTranspose2d] phase input needs Winograd (inputAdjoint): Conv2DGeometry("))
    }
}
