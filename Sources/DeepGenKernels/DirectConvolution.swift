/// Direct convolution for layers with few output channels (an image-to-image generator's last
/// 7×7 layer, a PatchGAN's logit layer).
///
/// The column-matrix route costs `Cin·kh·kw` times the output in memory traffic whatever `Cout`
/// is; with one output channel that traffic is the whole cost (a 32→1 7×7 layer at batch 16 and
/// 28×28 builds a 79 MB column matrix for 20 MFLOP of work). Here each image's input plane is
/// copied once into a zero-padded buffer split into `strideW` column phases, so every kernel tap
/// reads 16 consecutive outputs' inputs with one unaligned vector load, and the outputs
/// accumulate in registers. Images run in parallel; the weight gradient sums per-image partials
/// in image order, so no result depends on the thread count.
public enum DirectConvolution {
    /// Output channels up to which the direct kernels beat im2col + GEMM (measured on the
    /// CycleGAN and PatchGAN layers; the GEMM wins from a few dozen output rows on).
    public static let maxOutChannels = 4
    /// At `maxOutChannels` outputs from this many inputs on, the direct kernel gives way (to
    /// Winograd where it applies: Glow's 64→4 3×3 layer trained 1.6 times as fast).
    public static let maxInChannelsAtMaxOut = 63

    /// Whether `forward` and `weightAdjoint` handle this layer (no dilation).
    public static func applies(outChannels: Int, geometry g: Conv2DGeometry) -> Bool {
        outChannels <= maxOutChannels && (outChannels < maxOutChannels || g.inChannels <= maxInChannelsAtMaxOut)
            && g.dilationH == 1 && g.dilationW == 1
    }

    /// Whether `inputAdjoint` handles this layer: stride 1 as well, and padding below the kernel size.
    public static func appliesToInputAdjoint(outChannels: Int, geometry g: Conv2DGeometry) -> Bool {
        applies(outChannels: outChannels, geometry: g) && g.strideH == 1 && g.strideW == 1
            && g.padH < g.kernelHeight && g.padW < g.kernelWidth
    }

    /// `y[N, Cout, OH, OW] = conv(x[N, Cin, H, W], w[Cout, Cin, kh, kw])` (cross-correlation).
    public static func forward(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, geometry g: Conv2DGeometry, batch: Int,
        outChannels cout: Int, output y: UnsafeMutablePointer<Float>
    ) {
        let layout = PaddedPlane(g)
        let oh = g.outHeight, ow = g.outWidth, owp = layout.outPitch
        let cin = g.inChannels, kh = g.kernelHeight, kw = g.kernelWidth, kk = kh * kw
        Parallel.forEachChunk(batch, minChunk: 1) { _, images in
            let plane = UnsafeMutablePointer<Float>.allocate(capacity: layout.count)
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: cout * oh * owp)
            let taps = layout.tapOffsets()
            defer { plane.deallocate(); acc.deallocate(); taps.deallocate() }
            for n in images {
                acc.initialize(repeating: 0, count: cout * oh * owp)
                for ci in 0..<cin {
                    layout.fill(plane, from: x + (n * cin + ci) * g.inHeight * g.inWidth)
                    for co in 0..<cout {
                        let weights = w + (co * cin + ci) * kk
                        for ky in 0..<kh {
                            for oy in 0..<oh {
                                let row = acc + (co * oh + oy) * owp
                                let src = plane + (oy * g.strideH + ky) * layout.pitch
                                var ox = 0
                                while ox < owp {
                                    var v = load(row + ox)
                                    for kx in 0..<kw {
                                        v = v.addingProduct(load(src + (taps[kx] &+ ox)), weights[ky &* kw &+ kx])
                                    }
                                    store(v, row + ox)
                                    ox &+= 16
                                }
                            }
                        }
                    }
                }
                for co in 0..<cout {
                    for oy in 0..<oh {
                        (y + ((n * cout + co) * oh + oy) * ow).update(from: acc + (co * oh + oy) * owp, count: ow)
                    }
                }
            }
        }
    }

    /// `dx[N, Cin, H, W]` from `dy[N, Cout, OH, OW]`: the input adjoint of `forward`, which for
    /// stride 1 is itself a forward convolution of `dy` with the flipped, transposed kernel and
    /// padding `k − 1 − p`.
    public static func inputAdjoint(
        _ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, geometry g: Conv2DGeometry, batch: Int,
        outChannels cout: Int, output dx: UnsafeMutablePointer<Float>
    ) {
        precondition(appliesToInputAdjoint(outChannels: cout, geometry: g), "[DirectConvolution] input adjoint needs stride 1, no dilation, padding < kernel")
        let cin = g.inChannels, kh = g.kernelHeight, kw = g.kernelWidth, kk = kh * kw
        let flipped = UnsafeMutablePointer<Float>.allocate(capacity: cin * cout * kk)
        defer { flipped.deallocate() }
        for ci in 0..<cin {
            for co in 0..<cout {
                for t in 0..<kk { flipped[(ci * cout + co) * kk + t] = w[(co * cin + ci) * kk + (kk - 1 - t)] }
            }
        }
        let adjoint = Conv2DGeometry(
            inChannels: cout, inHeight: g.outHeight, inWidth: g.outWidth, kernelHeight: kh, kernelWidth: kw,
            padH: kh - 1 - g.padH, padW: kw - 1 - g.padW)
        precondition(adjoint.outHeight == g.inHeight && adjoint.outWidth == g.inWidth, "[DirectConvolution] adjoint geometry \(adjoint)")
        forward(dy, flipped, geometry: adjoint, batch: batch, outChannels: cin, output: dx)
    }

    /// `dw[Cout, Cin, kh, kw] = Σₙ dy[n] ⋆ x[n]`: the weight adjoint of `forward`.
    public static func weightAdjoint(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, geometry g: Conv2DGeometry, batch: Int,
        outChannels cout: Int, output dw: UnsafeMutablePointer<Float>
    ) {
        let layout = PaddedPlane(g)
        let oh = g.outHeight, ow = g.outWidth, owp = layout.outPitch
        let cin = g.inChannels, kh = g.kernelHeight, kw = g.kernelWidth, kk = kh * kw
        let size = cout * cin * kk
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: batch * size)
        defer { partials.deallocate() }
        Parallel.forEachChunk(batch, minChunk: 1) { _, images in
            let plane = UnsafeMutablePointer<Float>.allocate(capacity: layout.count)
            let grad = UnsafeMutablePointer<Float>.allocate(capacity: cout * oh * owp)
            let sums = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: kw)
            let taps = layout.tapOffsets()
            defer { plane.deallocate(); grad.deallocate(); sums.deallocate(); taps.deallocate() }
            for n in images {
                // dy rows padded with zeros to whole vectors: lanes past the row add nothing.
                grad.initialize(repeating: 0, count: cout * oh * owp)
                for co in 0..<cout {
                    for oy in 0..<oh {
                        (grad + (co * oh + oy) * owp).update(from: dy + ((n * cout + co) * oh + oy) * ow, count: ow)
                    }
                }
                let partial = partials + n * size
                for ci in 0..<cin {
                    layout.fill(plane, from: x + (n * cin + ci) * g.inHeight * g.inWidth)
                    for co in 0..<cout {
                        for ky in 0..<kh {
                            sums.initialize(repeating: SIMD16<Float>(), count: kw)
                            for oy in 0..<oh {
                                let row = grad + (co * oh + oy) * owp
                                let src = plane + (oy * g.strideH + ky) * layout.pitch
                                var ox = 0
                                while ox < owp {
                                    let gv = load(row + ox)
                                    for kx in 0..<kw {
                                        sums[kx] = sums[kx].addingProduct(gv, load(src + (taps[kx] &+ ox)))
                                    }
                                    ox &+= 16
                                }
                            }
                            for kx in 0..<kw { partial[((co * cin + ci) * kh + ky) * kw + kx] = sums[kx].sum() }
                        }
                    }
                }
            }
        }
        for i in 0..<size { dw[i] = 0 }
        for n in 0..<batch {
            let partial = partials + n * size
            for i in 0..<size { dw[i] += partial[i] }
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}

/// One input plane zero-padded and split into `strideW` column phases: phase `r`, column `j`
/// holds padded column `j·s + r`, so kernel tap `kx` of outputs `ox…ox+15` is the 16 floats at
/// `tapOffsets()[kx] + ox` of the tap's row. Rows are padded rows (`oy·strideH + ky`). Each row has
/// room for whole 16-wide output vectors past the last output.
struct PaddedPlane {
    let geometry: Conv2DGeometry
    /// Output row length rounded up to whole vectors.
    let outPitch: Int
    /// Floats per padded row of one phase, and per phase.
    let pitch: Int, phaseStride: Int
    let paddedHeight: Int
    var count: Int { phaseStride * geometry.strideW }

    init(_ g: Conv2DGeometry) {
        geometry = g
        outPitch = (g.outWidth + 15) / 16 * 16
        let paddedWidth = g.inWidth + 2 * g.padW
        let phaseWidth = max((paddedWidth + g.strideW - 1) / g.strideW, outPitch + (g.kernelWidth - 1) / g.strideW)
        pitch = phaseWidth
        paddedHeight = g.inHeight + 2 * g.padH
        phaseStride = pitch * paddedHeight
    }

    /// Where tap `kx` of output column 0 lies relative to its row, for every `kx` (computed once:
    /// the divisions would otherwise sit in the innermost loop). The caller deallocates.
    func tapOffsets() -> UnsafeMutablePointer<Int> {
        let s = geometry.strideW, kw = geometry.kernelWidth
        let taps = UnsafeMutablePointer<Int>.allocate(capacity: kw)
        for kx in 0..<kw { taps[kx] = (kx % s) * phaseStride + kx / s }
        return taps
    }

    /// Copies one `H×W` plane into the padded, phase-split layout (zeros elsewhere).
    func fill(_ dst: UnsafeMutablePointer<Float>, from src: UnsafePointer<Float>) {
        let g = geometry, s = g.strideW
        dst.initialize(repeating: 0, count: count)
        for iy in 0..<g.inHeight {
            let row = dst + (iy + g.padH) * pitch
            let srow = src + iy * g.inWidth
            if s == 1 {
                (row + g.padW).update(from: srow, count: g.inWidth)
            } else {
                for ix in 0..<g.inWidth {
                    let c = ix + g.padW
                    row[(c % s) * phaseStride + c / s] = srow[ix]
                }
            }
        }
    }
}
