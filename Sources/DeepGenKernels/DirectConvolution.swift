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
                    // Output channels in blocks of 4, 2, 1: each input vector loaded serves the block.
                    var co = 0
                    while co < cout {
                        let rows = ForwardRows(
                            plane: plane, taps: taps, weights: w + (co * cin + ci) * kk, weightStride: cin * kk,
                            acc: acc + co * oh * owp, accStride: oh * owp, oh: oh, owp: owp, strideH: g.strideH,
                            pitch: layout.pitch, kh: kh, kw: kw)
                        switch cout - co {
                        case 4...: rows.run(Block4.self); co += 4
                        case 2, 3: rows.run(Block2.self); co += 2
                        default: rows.run(Block1.self); co += 1
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
        require(appliesToInputAdjoint(outChannels: cout, geometry: g), "[DirectConvolution] input adjoint needs stride 1, no dilation, padding < kernel")
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
        require(adjoint.outHeight == g.inHeight && adjoint.outWidth == g.inWidth, "[DirectConvolution] adjoint geometry \(adjoint)")
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
                    if kw == 3 {
                        // Three taps of a row and a block of output channels in registers.
                        var co = 0
                        while co < cout {
                            for ky in 0..<kh {
                                let rows = WeightRows3(
                                    plane: plane, taps: taps, grad: grad + co * oh * owp, gradStride: oh * owp,
                                    partial: partial + ((co * cin + ci) * kh + ky) * 3, partialStride: cin * kk,
                                    ky: ky, oh: oh, owp: owp, strideH: g.strideH, pitch: layout.pitch)
                                switch cout - co {
                                case 4...: rows.run(Block4.self)
                                case 2, 3: rows.run(Block2.self)
                                default: rows.run(Block1.self)
                                }
                            }
                            co += cout - co >= 4 ? 4 : (cout - co >= 2 ? 2 : 1)
                        }
                        continue
                    }
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

/// How many output channels one pass of a direct kernel carries in registers (a type, so each
/// count gets its own specialized loop).
protocol ChannelBlock { static var count: Int { get } }
enum Block1: ChannelBlock { static var count: Int { 1 } }
enum Block2: ChannelBlock { static var count: Int { 2 } }
enum Block4: ChannelBlock { static var count: Int { 4 } }

/// One input channel's contribution to a block of output channels' accumulated rows.
struct ForwardRows {
    let plane: UnsafeMutablePointer<Float>, taps: UnsafeMutablePointer<Int>
    /// Weights of the block's first output channel for this input; the next channel's are `weightStride` on.
    let weights: UnsafePointer<Float>, weightStride: Int
    let acc: UnsafeMutablePointer<Float>, accStride: Int
    let oh: Int, owp: Int, strideH: Int, pitch: Int, kh: Int, kw: Int

    @inline(__always)
    func run<B: ChannelBlock>(_: B.Type) {
        let w = weights, ws = weightStride, a = acc, st = accStride
        for oy in 0..<oh {
            var ox = 0
            while ox < owp {
                let r = oy &* owp &+ ox
                var a0 = DirectConvolution.load(a + r)
                var a1 = B.count > 1 ? DirectConvolution.load(a + (st &+ r)) : SIMD16<Float>()
                var a2 = B.count > 2 ? DirectConvolution.load(a + (2 &* st &+ r)) : SIMD16<Float>()
                var a3 = B.count > 3 ? DirectConvolution.load(a + (3 &* st &+ r)) : SIMD16<Float>()
                for ky in 0..<kh {
                    let src = plane + ((oy &* strideH &+ ky) &* pitch &+ ox)
                    for kx in 0..<kw {
                        let v = DirectConvolution.load(src + taps[kx])
                        let t = ky &* kw &+ kx
                        a0 = a0.addingProduct(v, w[t])
                        if B.count > 1 { a1 = a1.addingProduct(v, w[ws &+ t]) }
                        if B.count > 2 { a2 = a2.addingProduct(v, w[2 &* ws &+ t]) }
                        if B.count > 3 { a3 = a3.addingProduct(v, w[3 &* ws &+ t]) }
                    }
                }
                DirectConvolution.store(a0, a + r)
                if B.count > 1 { DirectConvolution.store(a1, a + (st &+ r)) }
                if B.count > 2 { DirectConvolution.store(a2, a + (2 &* st &+ r)) }
                if B.count > 3 { DirectConvolution.store(a3, a + (3 &* st &+ r)) }
                ox &+= 16
            }
        }
    }
}

/// One kernel row (three taps) of a block of output channels' weight gradient for one input
/// channel of one image: `partial[co][kx] = Σ dy[co] · x shifted by (ky, kx)`.
struct WeightRows3 {
    let plane: UnsafeMutablePointer<Float>, taps: UnsafeMutablePointer<Int>
    /// The block's first output channel's gradient rows; the next channel's are `gradStride` on.
    let grad: UnsafeMutablePointer<Float>, gradStride: Int
    /// Where the block's first channel's three sums go; the next channel's are `partialStride` on.
    let partial: UnsafeMutablePointer<Float>, partialStride: Int
    let ky: Int, oh: Int, owp: Int, strideH: Int, pitch: Int

    @inline(__always)
    func run<B: ChannelBlock>(_: B.Type) {
        let t0 = taps[0], t1 = taps[1], t2 = taps[2], gs = gradStride
        var s00 = SIMD16<Float>(), s01 = SIMD16<Float>(), s02 = SIMD16<Float>()
        var s10 = SIMD16<Float>(), s11 = SIMD16<Float>(), s12 = SIMD16<Float>()
        var s20 = SIMD16<Float>(), s21 = SIMD16<Float>(), s22 = SIMD16<Float>()
        var s30 = SIMD16<Float>(), s31 = SIMD16<Float>(), s32 = SIMD16<Float>()
        for oy in 0..<oh {
            let src = plane + (oy &* strideH &+ ky) &* pitch
            let row = grad + oy &* owp
            var ox = 0
            while ox < owp {
                let v0 = DirectConvolution.load(src + (t0 &+ ox))
                let v1 = DirectConvolution.load(src + (t1 &+ ox))
                let v2 = DirectConvolution.load(src + (t2 &+ ox))
                let g0 = DirectConvolution.load(row + ox)
                s00 = s00.addingProduct(g0, v0); s01 = s01.addingProduct(g0, v1); s02 = s02.addingProduct(g0, v2)
                if B.count > 1 {
                    let g1 = DirectConvolution.load(row + (gs &+ ox))
                    s10 = s10.addingProduct(g1, v0); s11 = s11.addingProduct(g1, v1); s12 = s12.addingProduct(g1, v2)
                }
                if B.count > 2 {
                    let g2 = DirectConvolution.load(row + (2 &* gs &+ ox))
                    s20 = s20.addingProduct(g2, v0); s21 = s21.addingProduct(g2, v1); s22 = s22.addingProduct(g2, v2)
                }
                if B.count > 3 {
                    let g3 = DirectConvolution.load(row + (3 &* gs &+ ox))
                    s30 = s30.addingProduct(g3, v0); s31 = s31.addingProduct(g3, v1); s32 = s32.addingProduct(g3, v2)
                }
                ox &+= 16
            }
        }
        let p = partial, ps = partialStride
        (p[0], p[1], p[2]) = (s00.sum(), s01.sum(), s02.sum())
        if B.count > 1 { (p[ps], p[ps + 1], p[ps + 2]) = (s10.sum(), s11.sum(), s12.sum()) }
        if B.count > 2 { (p[2 * ps], p[2 * ps + 1], p[2 * ps + 2]) = (s20.sum(), s21.sum(), s22.sum()) }
        if B.count > 3 { (p[3 * ps], p[3 * ps + 1], p[3 * ps + 2]) = (s30.sum(), s31.sum(), s32.sum()) }
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
