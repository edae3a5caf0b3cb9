/// The sizes of one 2-D convolution, as the kernels see it (NCHW input, `[Cout, Cin, kh, kw]` weight).
public struct Conv2DGeometry: Equatable, Sendable {
    public var inChannels: Int, inHeight: Int, inWidth: Int
    public var kernelHeight: Int, kernelWidth: Int
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int
    public var dilationH: Int, dilationW: Int
    /// Output size; for a plain convolution it follows from the rest, for a transposed
    /// convolution's adjoint geometry it is given.
    public var outHeight: Int, outWidth: Int
    /// How the convolution reads its input.
    public enum InputLayout: Equatable, Sendable {
        /// `[N, inChannels, inHeight, inWidth]` as stored.
        case plain
        /// The stored input is the source of its pixel phases: the convolution reads
        /// `[N, inChannels, inHeight, inWidth]` as the space-to-depth of a stored
        /// `[N, inChannels/4, 2·inHeight, 2·inWidth]` tensor (phase channel `4c + 2fy + fx` is
        /// pixel `(2y + fy, 2x + fx)` of channel `c`), and its input adjoint is written in that
        /// stored layout.
        case phases
        /// Phases read shifted: plane pixel `(i, j)` of phase channel `4c + 2fy + fx` is stored
        /// pixel `(2i − fy, 2j − fx)` (zero outside) for `i ≤ inHeight`, `j ≤ inWidth`. A 4×4
        /// stride-2 kernel with padding 1 is then a 2×2 kernel, all taps real, over these
        /// `(inHeight + 1) × (inWidth + 1)` planes without padding; the output is `inHeight × inWidth`.
        case shiftedPhases
    }
    /// Anything but `.plain` only the Winograd kernels take (stride-2 layers rewritten over phases).
    public var inputLayout = InputLayout.plain
    /// Whether the input is read as pixel phases (either way).
    public var inputPhases: Bool { inputLayout != .plain }

    public init(
        inChannels: Int, inHeight: Int, inWidth: Int, kernelHeight: Int, kernelWidth: Int,
        strideH: Int = 1, strideW: Int = 1, padH: Int = 0, padW: Int = 0,
        dilationH: Int = 1, dilationW: Int = 1
    ) {
        self.inChannels = inChannels; self.inHeight = inHeight; self.inWidth = inWidth
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideH = strideH; self.strideW = strideW; self.padH = padH; self.padW = padW
        self.dilationH = dilationH; self.dilationW = dilationW
        outHeight = (inHeight + 2 * padH - dilationH * (kernelHeight - 1) - 1) / strideH + 1
        outWidth = (inWidth + 2 * padW - dilationW * (kernelWidth - 1) - 1) / strideW + 1
    }

    /// The stored input's shape for a batch of `n` (see `inputPhases`).
    public func storedInputShape(batch n: Int) -> [Int] {
        inputPhases ? [n, inChannels / 4, 2 * inHeight, 2 * inWidth] : [n, inChannels, inHeight, inWidth]
    }

    /// Rows of the column matrix: `Cin·kh·kw`.
    public var patchSize: Int { inChannels * kernelHeight * kernelWidth }
}
