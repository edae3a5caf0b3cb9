import DeepGenKernels

// Convolution is one trilinear form L(x, w, g) = <conv(x, w), g>. Its three bilinear faces —
// the convolution itself, its adjoint in the input (the transposed convolution) and its adjoint
// in the weight — are the only primitives here, and each one's gradients are the other two.
// That keeps backward passes kernel-free and makes gradients of any order correct.

extension Tensor {
    /// 2-D convolution (cross-correlation, as PyTorch) of NCHW `self` with `weight [Cout, Cin, kh, kw]`.
    /// With `rectifier`, the (leaky) ReLU of that slope (≥ 0; 0 is ReLU) is applied in the same
    /// pass as the bias: the values and gradients of `.leakyRelu(slope)` after the convolution.
    public func conv2d(
        weight: Tensor, bias: Tensor? = nil, stride: Size2 = 1, padding: Size2 = 0, dilation: Size2 = 1,
        rectifier: Float? = nil
    ) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && shape[1] == weight.shape[1],
                     "[conv2d] input \(shape) and weight \(weight.shape) do not match (need NCHW and [Cout, Cin, kh, kw])")
        let geo = Conv2DGeometry(
            inChannels: shape[1], inHeight: shape[2], inWidth: shape[3],
            kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
            strideH: stride.h, strideW: stride.w, padH: padding.h, padW: padding.w,
            dilationH: dilation.h, dilationW: dilation.w)
        precondition(stride.h > 0 && stride.w > 0 && dilation.h > 0 && dilation.w > 0 && padding.h >= 0 && padding.w >= 0,
                     "[conv2d] stride \(stride), padding \(padding), dilation \(dilation) must be positive (padding ≥ 0)")
        precondition(geo.outHeight > 0 && geo.outWidth > 0,
                     "[conv2d] kernel \(weight.shape.suffix(2)) larger than padded input \(shape.suffix(2))")
        let y: Tensor
        if let phases = StrideTwoRewrite(geo, outChannels: weight.shape[0]) {
            y = phases.convolve(self, weight)
        } else {
            y = Tensor.convolve(self, weight, geo)
        }
        return Tensor.finishingConvolution(consume y, bias: bias, channels: weight.shape[0], op: "conv2d", rectifier: rectifier)
    }


    /// Transposed 2-D convolution of NCHW `self` with `weight [Cin, Cout, kh, kw]` (PyTorch's
    /// `conv_transpose2d`): output size `(H − 1)·s − 2p + d·(k − 1) + outputPadding + 1`.
    /// `rectifier` as in ``conv2d(weight:bias:stride:padding:dilation:rectifier:)``.
    public func convTranspose2d(
        weight: Tensor, bias: Tensor? = nil, stride: Size2 = 1, padding: Size2 = 0,
        outputPadding: Size2 = 0, dilation: Size2 = 1, rectifier: Float? = nil
    ) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && shape[1] == weight.shape[0],
                     "[convTranspose2d] input \(shape) and weight \(weight.shape) do not match (need NCHW and [Cin, Cout, kh, kw])")
        precondition(outputPadding.h >= 0 && outputPadding.w >= 0
                     && (outputPadding.h < stride.h || outputPadding.h < dilation.h)
                     && (outputPadding.w < stride.w || outputPadding.w < dilation.w),
                     "[convTranspose2d] outputPadding \(outputPadding) must be smaller than stride \(stride) or dilation \(dilation)")
        let kh = weight.shape[2], kw = weight.shape[3]
        let outH = (shape[2] - 1) * stride.h - 2 * padding.h + dilation.h * (kh - 1) + outputPadding.h + 1
        let outW = (shape[3] - 1) * stride.w - 2 * padding.w + dilation.w * (kw - 1) + outputPadding.w + 1
        precondition(outH > 0 && outW > 0, "[convTranspose2d] output size \(outH)×\(outW) is not positive for input \(shape)")
        // The geometry of the forward convolution whose input adjoint this is.
        let geo = Conv2DGeometry(
            inChannels: weight.shape[1], inHeight: outH, inWidth: outW, kernelHeight: kh, kernelWidth: kw,
            strideH: stride.h, strideW: stride.w, padH: padding.h, padW: padding.w,
            dilationH: dilation.h, dilationW: dilation.w)
        precondition(geo.outHeight == shape[2] && geo.outWidth == shape[3], "[convTranspose2d] inconsistent geometry \(geo)")
        let y: Tensor
        if let phases = StrideTwoRewrite(geo, outChannels: weight.shape[0]) {
            y = Tensor.convolveInputAdjoint(self, phases.weight(weight), phases.geometry)
        } else {
            y = Tensor.convolveInputAdjoint(self, weight, geo)
        }
        return Tensor.finishingConvolution(consume y, bias: bias, channels: weight.shape[1], op: "convTranspose2d", rectifier: rectifier)
    }


    /// `(y + bias).leakyRelu(rectifier)` per channel, recorded as that broadcast add and that
    /// activation (each part only when asked for), with the sums and the activation written into
    /// the convolution's fresh output in one pass when nothing else holds it: passes and buffers
    /// fewer, the same arithmetic. The add's own output is never read (its backward needs none;
    /// the activation's keeps its output, as `leakyRelu` does for a slope ≥ 0).
    static func finishingConvolution(_ y: consuming Tensor, bias: Tensor?, channels: Int, op: String, rectifier: Float?) -> Tensor {
        precondition(rectifier.map { $0 >= 0 } ?? true, "[\(op)] rectifier slope \(rectifier!) must be ≥ 0")
        var out = y
        guard bias != nil || rectifier != nil else { return out }
        let b = bias.map { channelBias($0, channels: channels, op: op) }
        guard out.rank == 4, out.shape[1] == channels, isKnownUniquelyReferenced(&out.storage) else {
            let biased = b.map { out + $0 } ?? out
            return rectifier.map { biased.leakyRelu($0, op: $0 == 0 ? "relu" : "leakyRelu") } ?? biased
        }
        let planes = out.shape[0] * channels, plane = out.shape[2] * out.shape[3]
        let po = out.storage.pointer, pb = b.map { UnsafePointer($0.storage.pointer) }
        Parallel.forEachChunk(planes, minChunk: Swift.max(1, (1 << 16) / Swift.max(plane, 1))) { _, r in
            for q in r {
                let row = po + q * plane
                switch (pb, rectifier) {
                case let (pb?, slope?):
                    let bv = pb[q % channels], f = LeakyReluOp(slope: slope)
                    for j in 0..<plane { row[j] = f(row[j] + bv) }
                case let (pb?, nil):
                    let bv = pb[q % channels]
                    for j in 0..<plane { row[j] = row[j] + bv }
                case let (nil, slope?):
                    let f = LeakyReluOp(slope: slope)
                    for j in 0..<plane { row[j] = f(row[j]) }
                case (nil, nil):
                    break
                }
            }
        }
        withExtendedLifetime(b) {}
        var result = out
        if let b {
            let sa = out.gradientSlot, sb = b.gradientSlot
            result = record("add", out, inputs: [out, b]) { g in
                [sa.needsGradient ? g.sum(toShape: sa.shape) : nil, sb.needsGradient ? g.sum(toShape: sb.shape) : nil]
            }
        }
        if let slope = rectifier { result = result.recordingLeakyRelu(slope, op: slope == 0 ? "relu" : "leakyRelu", output: out) }
        return result
    }

    static func channelBias(_ bias: Tensor, channels: Int, op: String) -> Tensor {
        precondition(bias.shape == [channels], "[\(op)] bias shape \(bias.shape) should be [\(channels)]")
        return bias.reshaped([1, channels, 1, 1])
    }

    // MARK: The three primitives

    /// y[N, Cout, OH, OW] = conv(x[N, Cin, H, W], w[Cout, Cin, kh, kw]).
    static func convolve(_ x: Tensor, _ w: Tensor, _ geo: Conv2DGeometry) -> Tensor {
        let n = x.shape[0], cout = w.shape[0], ohw = geo.outHeight * geo.outWidth
        precondition(x.shape == geo.storedInputShape(batch: n), "[conv2d] input shape \(x.shape) vs \(geo)")
        let y = Tensor(uninitializedShape: [n, cout, geo.outHeight, geo.outWidth])
        switch geo.algorithm(outChannels: cout, for: .forward) {
        case .direct:
            DirectConvolution.forward(x.storage.pointer, w.storage.pointer, geometry: geo, batch: n, outChannels: cout, output: y.storage.pointer)
        case .winograd:
            WinogradConvolution.forward(x.storage.pointer, w.storage.pointer, geometry: geo, batch: n, outChannels: cout, output: y.storage.pointer)
        case .columnGEMM:
            if n == 1 {
                sgemmConvolution(m: cout, a: w.storage.pointer, lda: geo.patchSize, input: x.storage.pointer,
                                 geometry: geo, batch: n, c: y.storage.pointer, ldc: ohw)
            } else {
                let yc = TensorStorage(uninitializedCount: cout * n * ohw)
                sgemmConvolution(m: cout, a: w.storage.pointer, lda: geo.patchSize, input: x.storage.pointer,
                                 geometry: geo, batch: n, c: yc.pointer, ldc: n * ohw)
                swapLeadingAxes(yc.pointer, y.storage.pointer, cout, n, ohw)
            }
        }
        return record("conv2d", y, inputs: [x, w]) { u in
            [x.needsGradient ? convolveInputAdjoint(u, w, geo) : nil,
             w.needsGradient ? convolveWeightAdjoint(x, u, geo, kernel: w.shape) : nil]
        }
    }

    /// x[N, Cin, H, W] = convᵀ(g[N, Cout, OH, OW], w[Cout, Cin, kh, kw]): the input adjoint of `convolve`.
    static func convolveInputAdjoint(_ g: Tensor, _ w: Tensor, _ geo: Conv2DGeometry) -> Tensor {
        let n = g.shape[0], cout = w.shape[0], ohw = geo.outHeight * geo.outWidth
        precondition(g.shape == [n, cout, geo.outHeight, geo.outWidth], "[convTranspose2d] gradient shape \(g.shape) vs \(geo)")
        let x = Tensor(uninitializedShape: geo.storedInputShape(batch: n))
        switch geo.algorithm(outChannels: cout, for: .inputAdjoint) {
        case .direct:
            DirectConvolution.inputAdjoint(g.storage.pointer, w.storage.pointer, geometry: geo, batch: n, outChannels: cout, output: x.storage.pointer)
        case .winograd:
            WinogradConvolution.inputAdjoint(g.storage.pointer, w.storage.pointer, geometry: geo, batch: n, outChannels: cout, output: x.storage.pointer)
        case .columnGEMM:
            let gc = channelMajor(g)
            // A few images at a time, so the column matrix stays small (it is `kh·kw` times the output).
            let group = imagesPerColumnChunk(geo, batch: n)
            let columns = TensorStorage(uninitializedCount: geo.patchSize * group * ohw)
            let imageSize = geo.inChannels * geo.inHeight * geo.inWidth
            for start in stride(from: 0, to: n, by: group) {
                let count = Swift.min(group, n - start)
                sgemm(transA: true, transB: false, m: geo.patchSize, n: count * ohw, k: cout,
                      a: w.storage.pointer, lda: geo.patchSize, b: gc.pointer + start * ohw, ldb: n * ohw,
                      c: columns.pointer, ldc: count * ohw)
                col2im(columns.pointer, geometry: geo, batch: count, output: x.storage.pointer + start * imageSize)
            }
        }
        return record("convTranspose2d", x, inputs: [g, w]) { u in
            [g.needsGradient ? convolve(u, w, geo) : nil,
             w.needsGradient ? convolveWeightAdjoint(u, g, geo, kernel: w.shape) : nil]
        }
    }

    /// w[Cout, Cin, kh, kw] = Σ over the batch of g ⋆ x: the weight adjoint of `convolve`.
    static func convolveWeightAdjoint(_ x: Tensor, _ g: Tensor, _ geo: Conv2DGeometry, kernel: [Int]) -> Tensor {
        let n = x.shape[0], cout = kernel[0], ohw = geo.outHeight * geo.outWidth
        precondition(x.shape == geo.storedInputShape(batch: n), "[conv2d] input shape \(x.shape) vs \(geo)")
        let w = Tensor(uninitializedShape: kernel)
        switch geo.algorithm(outChannels: cout, for: .weightAdjoint) {
        case .direct:
            DirectConvolution.weightAdjoint(x.storage.pointer, g.storage.pointer, geometry: geo, batch: n, outChannels: cout, output: w.storage.pointer)
        case .winograd:
            WinogradConvolution.weightAdjoint(x.storage.pointer, g.storage.pointer, geometry: geo, batch: n, outChannels: cout, output: w.storage.pointer)
        case .columnGEMM:
            let gc = channelMajor(g)
            // wᵀ = Σ over groups of images of columns · gcᵀ: the column matrix is the GEMM's A, read
            // in place, and only the smaller gradient is packed; then a small transpose. Groups
            // have a fixed size, so the sum's order does not depend on the thread count.
            let group = imagesPerColumnChunk(geo, batch: n)
            let columns = TensorStorage(uninitializedCount: geo.patchSize * group * ohw)
            let imageSize = geo.inChannels * geo.inHeight * geo.inWidth
            // An empty batch has a zero gradient (the loop below would not write it).
            let wt = n == 0 ? TensorStorage(zeros: geo.patchSize * cout) : TensorStorage(uninitializedCount: geo.patchSize * cout)
            for start in stride(from: 0, to: n, by: group) {
                let count = Swift.min(group, n - start)
                im2col(x.storage.pointer + start * imageSize, geometry: geo, batch: count, output: columns.pointer)
                sgemm(transA: false, transB: true, m: geo.patchSize, n: cout, k: count * ohw,
                      a: columns.pointer, lda: count * ohw, b: gc.pointer + start * ohw, ldb: n * ohw,
                      beta: start == 0 ? 0 : 1, c: wt.pointer, ldc: cout)
            }
            transpose(wt.pointer, rows: geo.patchSize, columns: cout, into: w.storage.pointer)
        }
        return record("conv2dWeightGrad", w, inputs: [x, g]) { u in
            [x.needsGradient ? convolveInputAdjoint(g, u, geo) : nil,
             g.needsGradient ? convolve(x, u, geo) : nil]
        }
    }

    /// `g [N, C, H, W]` as the channel-major matrix `[C, N·H·W]` the GEMMs need (shared storage
    /// when N is 1).
    static func channelMajor(_ g: Tensor) -> TensorStorage {
        let n = g.shape[0]
        if n == 1 || g.count == 0 { return g.storage }
        let s = TensorStorage(uninitializedCount: g.count)
        swapLeadingAxes(g.storage.pointer, s.pointer, n, g.shape[1], g.count / (n * g.shape[1]))
        return s
    }

    /// How many images' columns to build at once: about `columnChunkFloats` (4 MB, measured best of 1, 4 and 16 MB), at least one.
    static func imagesPerColumnChunk(_ geo: Conv2DGeometry, batch: Int) -> Int {
        let perImage = Swift.max(1, geo.patchSize * geo.outHeight * geo.outWidth)
        return Swift.max(1, Swift.min(batch, columnChunkFloats / perImage))
    }

    static let columnChunkFloats = 1 << 20

    /// Writes the transpose of the row-major `rows × columns` matrix `src` to `dst`, in 8×8 tiles.
    static func transpose(_ src: UnsafePointer<Float>, rows: Int, columns: Int, into dst: UnsafeMutablePointer<Float>) {
        var i0 = 0
        while i0 < rows {
            let i1 = Swift.min(rows, i0 + 8)
            var j0 = 0
            while j0 < columns {
                let j1 = Swift.min(columns, j0 + 8)
                for j in j0..<j1 {
                    for i in i0..<i1 { dst[j &* rows &+ i] = src[i &* columns &+ j] }
                }
                j0 = j1
            }
            i0 = i1
        }
    }

    /// Copies `[a, b, inner]` to `[b, a, inner]`.
    static func swapLeadingAxes(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ a: Int, _ b: Int, _ inner: Int) {
        Parallel.forEachChunk(a * b, minChunk: Swift.max(1, 8192 / Swift.max(inner, 1))) { _, r in
            for idx in r {
                let i = idx / b, j = idx % b
                (dst + (j * a + i) * inner).update(from: src + idx * inner, count: inner)
            }
        }
    }
}
