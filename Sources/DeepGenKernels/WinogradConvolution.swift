import CDeepGenVector
import Foundation

/// Winograd convolution (Lavin & Gray 2016) for stride-1 layers with 2×2, 3×3 or 5×5 kernels
/// and enough channels: F(4×4, r×r) on (3 + r)² input tiles.
///
/// Per 4×4 output tile and channel pair it multiplies α² times (25, 36 or 64) instead of 64,
/// 144 or 400: the input tiles and the weights are transformed, then for each of the α² tile
/// positions ξ the channel sums are one GEMM `M[ξ] (tiles × Cout) = V[ξ] (tiles × Cin) · U[ξ]
/// (Cin × Cout)`, and the output tiles are transformed back. The input and weight adjoints are
/// the exact adjoints of that computation (transposed transforms, transposed GEMMs), so a
/// layer's gradients match its forward pass. Transforms run on 16 channels at a time (one per
/// vector lane); tiles are processed a fixed number of images at a time, so memory stays
/// bounded and no result depends on the thread count. Rounding differs from direct summation by
/// about 1e-6 (3×3) and 1e-5 (5×5) of the sums of absolute products (tested against a
/// double-precision reference).
public enum WinogradConvolution {
    /// Channel counts below this keep the column-matrix GEMM: the transforms cost about as much
    /// per channel as 16 output channels of GEMM work. Few output channels (4 to 15) still take
    /// Winograd from 64 input channels on: there the column matrix (Cin·k² rows) is what costs
    /// (Glow's 64→4 and 64→8 3×3 coupling outputs: the glow benchmark at one thread went from
    /// 770 to 1,220 images/s).
    public static let minChannels = 16

    /// Whether the three kernels handle this layer: stride 1, no dilation, a square 2×2, 3×3 or
    /// 5×5 kernel, padding below the kernel size, at least `minChannels` channels on both sides (or
    /// 4 output channels from `4·minChannels` input channels in the plain layout), and
    /// one image's padded planes within 2 MB (each thread holds them). Shifted phases need a 2×2
    /// kernel without padding.
    public static func applies(outChannels: Int, geometry g: Conv2DGeometry) -> Bool {
        let shifted = g.inputLayout == .shiftedPhases
        return g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
            && g.kernelHeight == g.kernelWidth && [2, 3, 5].contains(g.kernelHeight)
            && g.padH < g.kernelHeight && g.padW < g.kernelWidth
            && g.inChannels >= minChannels && (outChannels >= minChannels || (outChannels >= 4 && g.inChannels >= 4 * minChannels && !g.inputPhases))
            && g.outHeight > 0 && g.outWidth > 0 && (!g.inputPhases || g.inChannels % 4 == 0)
            && (!shifted || (g.kernelHeight == 2 && g.padH == 0 && g.padW == 0
                             && g.outHeight == g.inHeight && g.outWidth == g.inWidth))
            && (Swift.max(g.inChannels, outChannels) + 15) / 16 * (g.inHeight + 2 * g.padH + 8) * (g.inWidth + 2 * g.padW + 8)
                <= 1 << 15
    }

    /// Floats of transformed tiles held at once (V and M of one group of images): 4 MB (8 MB
    /// measured no faster). Tests pass smaller groups to run several on small problems.
    public static let groupFloats = 1 << 20

    /// Channel rows of the tile matrices are padded to whole vectors, so every transform loads
    /// and stores whole, aligned vectors (the GEMMs skip the padding).
    static func lanePadded(_ c: Int) -> Int { (c + 15) / 16 * 16 }

    /// `y[N, Cout, OH, OW] = conv(x[N, Cin, H, W], w[Cout, Cin, r, r])` (cross-correlation).
    public static func forward(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, geometry geo: Conv2DGeometry, batch: Int,
        outChannels cout: Int, output y: UnsafeMutablePointer<Float>, groupFloats: Int = groupFloats
    ) {
        run(.forward, x, w, geometry: geo, batch: batch, outChannels: cout, output: y, groupFloats: groupFloats)
    }

    /// `x[N, Cin, H, W] = convᵀ(g[N, Cout, OH, OW], w[Cout, Cin, r, r])`: the input adjoint.
    public static func inputAdjoint(
        _ g: UnsafePointer<Float>, _ w: UnsafePointer<Float>, geometry geo: Conv2DGeometry, batch: Int,
        outChannels cout: Int, output x: UnsafeMutablePointer<Float>, groupFloats: Int = groupFloats
    ) {
        run(.inputAdjoint, g, w, geometry: geo, batch: batch, outChannels: cout, output: x, groupFloats: groupFloats)
    }

    /// `w[Cout, Cin, r, r] = Σ over the batch of g ⋆ x`: the weight adjoint.
    public static func weightAdjoint(
        _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, geometry geo: Conv2DGeometry, batch: Int,
        outChannels cout: Int, output w: UnsafeMutablePointer<Float>, groupFloats: Int = groupFloats
    ) {
        run(.weightAdjoint, x, g, geometry: geo, batch: batch, outChannels: cout, output: w, groupFloats: groupFloats)
    }

    enum Pass { case forward, inputAdjoint, weightAdjoint }

    /// Picks the tile kernels for the layer's kernel size (the one place that knows them).
    private static func run(
        _ pass: Pass, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, geometry geo: Conv2DGeometry,
        batch: Int, outChannels cout: Int, output: UnsafeMutablePointer<Float>, groupFloats: Int
    ) {
        switch geo.kernelHeight {
        case 2:
            WinogradPlan<WinogradF4x2>(geo, groupFloats: groupFloats).run(pass, a, b, batch: batch, outChannels: cout, output: output)
        case 3:
            WinogradPlan<WinogradF4x3>(geo, groupFloats: groupFloats).run(pass, a, b, batch: batch, outChannels: cout, output: output)
        default:
            WinogradPlan<WinogradF4x5>(geo, groupFloats: groupFloats).run(pass, a, b, batch: batch, outChannels: cout, output: output)
        }
    }
}

extension WinogradPlan {
    /// `a`, `b`: (x, w) forward, (g, w) input adjoint, (x, g) weight adjoint.
    func run(_ pass: WinogradConvolution.Pass, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, batch: Int,
             outChannels cout: Int, output: UnsafeMutablePointer<Float>) {
        switch pass {
        case .forward: forward(a, b, batch: batch, outChannels: cout, output: output)
        case .inputAdjoint: inputAdjoint(a, b, batch: batch, outChannels: cout, output: output)
        case .weightAdjoint: weightAdjoint(a, b, batch: batch, outChannels: cout, output: output)
        }
    }
}

/// One layer's tiling, its three passes, and the transforms between its NCHW tensors and the
/// tile matrices `[ξ][tile][channel]` (channel rows padded to whole vectors) the GEMMs use.
struct WinogradPlan<K: WinogradTileKernels> {
    let geo: Conv2DGeometry
    let tilesH: Int, tilesW: Int
    /// The zero-padded input region all tiles read: `(tiles − 1)·m + α` on each side.
    let planeH: Int, planeW: Int

    /// Floats of transformed tiles per group of images.
    let groupFloats: Int

    init(_ geo: Conv2DGeometry, groupFloats: Int = WinogradConvolution.groupFloats) {
        self.groupFloats = groupFloats
        require(geo.kernelHeight == K.kernelSize && geo.kernelWidth == K.kernelSize, "[Winograd] kernel \(geo)")
        self.geo = geo
        tilesH = (geo.outHeight + K.outputSize - 1) / K.outputSize
        tilesW = (geo.outWidth + K.outputSize - 1) / K.outputSize
        planeH = (tilesH - 1) * K.outputSize + K.alpha
        planeW = (tilesW - 1) * K.outputSize + K.alpha
    }

    /// Floats from one ξ's matrix to the next: its size and one spare vector, so the α² rows a
    /// tile transform writes do not all fall in the same cache set when the size is a multiple
    /// of 4 KB (measured: the weight transform took 5% of a CycleGAN step without it).
    func slab(_ floats: Int) -> Int { floats + 16 }

    var m: Int { K.outputSize }
    var r: Int { K.kernelSize }
    /// Tile positions ξ: the number of GEMMs.
    var tileCount: Int { K.alpha * K.alpha }
    var tilesPerImage: Int { tilesH * tilesW }
    var inputImageSize: Int { geo.inChannels * geo.inHeight * geo.inWidth }
    var outputPlaneSize: Int { geo.outHeight * geo.outWidth }
    /// Vectors in one channel block's plane: the input plane or the output tiles, whichever is larger.
    var planeCount: Int { Swift.max(planeH * planeW, tilesH * tilesW * m * m) }

    // MARK: The three passes

    func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, batch: Int, outChannels cout: Int,
                 output y: UnsafeMutablePointer<Float>) {
        let cin = geo.inChannels, tiles = tileCount
        let cinL = WinogradConvolution.lanePadded(cin), coutL = WinogradConvolution.lanePadded(cout)
        let u = WinogradBuffers.take(tiles * slab(cin * coutL))
        defer { WinogradBuffers.give(u) }
        transformWeight(w, outChannels: cout, into: u)
        let packed = PackedWeights(self, u, transposed: false, k: cin, n: cout, ld: coutL)
        defer { packed.release() }
        forEachGroup(batch: batch, channels: cinL + coutL) { start, count, tileRows in
            let v = WinogradBuffers.take(tiles * slab(tileRows * cinL)), mm = WinogradBuffers.take(tiles * slab(tileRows * coutL))
            defer { WinogradBuffers.give(v); WinogradBuffers.give(mm) }
            transformInput(x + start * inputImageSize, images: count, into: v)
            multiply { xi in
                sgemmBlocked(transA: false, transB: false, m: tileRows, n: cout, k: cin, alpha: 1,
                             a: v + xi * slab(tileRows * cinL), lda: cinL, b: u + xi * slab(cin * coutL), ldb: coutL,
                             beta: 0, c: mm + xi * slab(tileRows * coutL), ldc: coutL, prepackedB: packed[xi])
            }
            transformOutput(mm, images: count, channels: cout, into: y + start * cout * outputPlaneSize)
        }
    }

    func inputAdjoint(_ g: UnsafePointer<Float>, _ w: UnsafePointer<Float>, batch: Int, outChannels cout: Int,
                      output x: UnsafeMutablePointer<Float>) {
        let cin = geo.inChannels, tiles = tileCount
        let cinL = WinogradConvolution.lanePadded(cin), coutL = WinogradConvolution.lanePadded(cout)
        let u = WinogradBuffers.take(tiles * slab(cin * coutL))
        defer { WinogradBuffers.give(u) }
        transformWeight(w, outChannels: cout, into: u)
        let packed = PackedWeights(self, u, transposed: true, k: cout, n: cin, ld: coutL)
        defer { packed.release() }
        forEachGroup(batch: batch, channels: cinL + coutL) { start, count, tileRows in
            let dm = WinogradBuffers.take(tiles * slab(tileRows * coutL)), dv = WinogradBuffers.take(tiles * slab(tileRows * cinL))
            defer { WinogradBuffers.give(dm); WinogradBuffers.give(dv) }
            transformGradient(g + start * cout * outputPlaneSize, images: count, channels: cout, into: dm)
            multiply { xi in
                sgemmBlocked(transA: false, transB: true, m: tileRows, n: cin, k: cout, alpha: 1,
                             a: dm + xi * slab(tileRows * coutL), lda: coutL, b: u + xi * slab(cin * coutL), ldb: coutL,
                             beta: 0, c: dv + xi * slab(tileRows * cinL), ldc: cinL, prepackedB: packed[xi])
            }
            transformInputAdjoint(dv, images: count, into: x + start * inputImageSize)
        }
    }

    func weightAdjoint(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, batch: Int, outChannels cout: Int,
                       output w: UnsafeMutablePointer<Float>) {
        let cin = geo.inChannels, tiles = tileCount
        if batch == 0 {
            w.update(repeating: 0, count: cout * cin * r * r)
            return
        }
        let cinL = WinogradConvolution.lanePadded(cin), coutL = WinogradConvolution.lanePadded(cout)
        let du = WinogradBuffers.take(tiles * slab(cin * coutL))
        defer { WinogradBuffers.give(du) }
        forEachGroup(batch: batch, channels: cinL + coutL) { start, count, tileRows in
            let v = WinogradBuffers.take(tiles * slab(tileRows * cinL)), dm = WinogradBuffers.take(tiles * slab(tileRows * coutL))
            defer { WinogradBuffers.give(v); WinogradBuffers.give(dm) }
            transformInput(x + start * inputImageSize, images: count, into: v)
            transformGradient(g + start * cout * outputPlaneSize, images: count, channels: cout, into: dm)
            multiply { xi in
                sgemmBlocked(transA: true, transB: false, m: cin, n: cout, k: tileRows, alpha: 1,
                             a: v + xi * slab(tileRows * cinL), lda: cinL, b: dm + xi * slab(tileRows * coutL), ldb: coutL,
                             beta: start == 0 ? 0 : 1, c: du + xi * slab(cin * coutL), ldc: coutL)
            }
        }
        transformWeightAdjoint(du, outChannels: cout, into: w)
    }

    /// Each ξ's weight matrix packed once as the GEMMs' B, instead of once per group of images
    /// (the packing cost up to a third of the multiplications' time with 4 groups per call).
    /// Empty when B is more than one packing block; the GEMMs then pack it themselves.
    struct PackedWeights {
        let buffer: UnsafeMutablePointer<Float>?
        let stride: Int

        init(_ plan: WinogradPlan, _ u: UnsafeMutablePointer<Float>, transposed: Bool, k: Int, n: Int, ld: Int) {
            guard sgemmFitsOneBlock(k: k, n: n) else { buffer = nil; stride = 0; return }
            let stride = sgemmPackedBCount(k: k, n: n), cin = plan.geo.inChannels
            let buffer = WinogradBuffers.take(plan.tileCount * stride)
            plan.multiply { xi in
                sgemmPackAllB(transB: transposed, b: u + xi * plan.slab(cin * ld), ldb: ld, k: k, n: n, dst: buffer + xi * stride)
            }
            self.buffer = buffer
            self.stride = stride
        }

        subscript(xi: Int) -> UnsafePointer<Float>? { buffer.map { UnsafePointer($0 + xi * stride) } }

        func release() { buffer.map { WinogradBuffers.give($0) } }
    }

    // MARK: Scheduling

    /// Runs `body(start, count, tileRows)` over groups of images sized so the transformed tiles
    /// of `channels` channels take about `groupFloats`.
    func forEachGroup(batch: Int, channels: Int, _ body: (Int, Int, Int) -> Void) {
        let perImage = Swift.max(1, tileCount * tilesPerImage * channels)
        let group = Swift.max(1, Swift.min(batch, groupFloats / perImage))
        for start in stride(from: 0, to: batch, by: group) {
            let count = Swift.min(group, batch - start)
            body(start, count, count * tilesPerImage)
        }
    }

    /// The α² GEMMs, split over threads by ξ (each single-threaded, so results do not depend
    /// on the thread count).
    func multiply(_ gemm: (Int) -> Void) {
        Parallel.forEachChunk(tileCount, chunks: Parallel.threadCount) { _, range in
            for xi in range { gemm(xi) }
        }
    }

    /// Runs `body(image, scratch)` for each of `images` images, in parallel; the scratch has a
    /// padded plane for every block of 16 of `channels` channels.
    private func forEachImage(_ images: Int, channels: Int, _ body: (Int, WinogradScratch) -> Void) {
        Parallel.forEachChunk(images, minChunk: 1) { _, range in
            let scratch = WinogradScratch(planeCount: planeCount * ((channels + 15) / 16), tileCount: tileCount,
                                          stagingCount: Swift.max(geo.inHeight * geo.inWidth, outputPlaneSize))
            defer { scratch.deallocate() }
            for n in range { body(n, scratch) }
        }
    }

    // MARK: Image transforms
    //
    // They visit tiles in order and, within a tile, all channel blocks, so each ξ's rows fill in
    // sequentially (whole-line stores to adjacent lines rather than a row length apart).

    /// `V[ξ][tile][ci] = (Bᵀ d B)[ξ]` for every input tile `d` of `images` images at `x`.
    func transformInput(_ x: UnsafePointer<Float>, images: Int, into v: UnsafeMutablePointer<Float>) {
        let cin = geo.inChannels, ld = WinogradConvolution.lanePadded(cin), vs = slab(images * tilesPerImage * ld) / 16
        let blocks = ld / 16, pc = planeCount, hw = geo.inHeight * geo.inWidth, vv = vectors(v)
        forEachImage(images, channels: cin) { n, s in
            for b in 0..<blocks {
                gatherPlanes(x + (n * cin + b * 16) * hw, height: geo.inHeight, width: geo.inWidth,
                             lanes: Swift.min(16, cin - b * 16), into: s.plane + b * pc, planeHeight: planeH,
                             planeWidth: planeW, offsetY: geo.padH, offsetX: geo.padW, staging: s.staging,
                             layout: geo.inputLayout)
            }
            for ti in 0..<tilesH {
                for tj in 0..<tilesW {
                    let t = n * tilesPerImage + ti * tilesW + tj, window = ti * m * planeW + tj * m
                    for b in 0..<blocks {
                        K.inputTile(s.plane + b * pc + window, stride: planeW, into: vv + t * blocks + b, vs: vs, tmp: s.tile)
                    }
                }
            }
        }
    }

    /// The adjoint of `transformInput`: `dx = Σ over tiles of B dV Bᵀ`, overlapping tiles added.
    func transformInputAdjoint(_ dv: UnsafePointer<Float>, images: Int, into dx: UnsafeMutablePointer<Float>) {
        let cin = geo.inChannels, ld = WinogradConvolution.lanePadded(cin), vs = slab(images * tilesPerImage * ld) / 16
        let blocks = ld / 16, pc = planeCount, hw = geo.inHeight * geo.inWidth, dvv = vectors(dv)
        forEachImage(images, channels: cin) { n, s in
            s.plane.update(repeating: .zero, count: blocks * pc)
            for ti in 0..<tilesH {
                for tj in 0..<tilesW {
                    let t = n * tilesPerImage + ti * tilesW + tj, window = ti * m * planeW + tj * m
                    for b in 0..<blocks {
                        K.inputAdjointTile(dvv + t * blocks + b, vs: vs, addingTo: s.plane + b * pc + window,
                                           stride: planeW, tmp: s.tile)
                    }
                }
            }
            for b in 0..<blocks {
                scatterPlanes(s.plane + b * pc, planeWidth: planeW, offsetY: geo.padH, offsetX: geo.padW,
                              into: dx + (n * cin + b * 16) * hw, height: geo.inHeight, width: geo.inWidth,
                              lanes: Swift.min(16, cin - b * 16), staging: s.staging, layout: geo.inputLayout)
            }
        }
    }

    /// `y = Aᵀ M A` per output tile, cropped to the output size.
    func transformOutput(_ mm: UnsafePointer<Float>, images: Int, channels cout: Int, into y: UnsafeMutablePointer<Float>) {
        let ld = WinogradConvolution.lanePadded(cout), ms = slab(images * tilesPerImage * ld) / 16, qw = tilesW * m
        let blocks = ld / 16, pc = planeCount, mv = vectors(mm)
        forEachImage(images, channels: cout) { n, s in
            for ti in 0..<tilesH {
                for tj in 0..<tilesW {
                    let t = n * tilesPerImage + ti * tilesW + tj, window = ti * m * qw + tj * m
                    for b in 0..<blocks {
                        K.outputTile(mv + t * blocks + b, ms: ms, into: s.plane + b * pc + window, stride: qw, tmp: s.tile)
                    }
                }
            }
            for b in 0..<blocks {
                scatterPlanes(s.plane + b * pc, planeWidth: qw, offsetY: 0, offsetX: 0,
                              into: y + (n * cout + b * 16) * outputPlaneSize,
                              height: geo.outHeight, width: geo.outWidth, lanes: Swift.min(16, cout - b * 16),
                              staging: s.staging)
            }
        }
    }

    /// The adjoint of `transformOutput`: `dM = A dy Aᵀ` per tile (zero beyond the output).
    func transformGradient(_ g: UnsafePointer<Float>, images: Int, channels cout: Int, into dm: UnsafeMutablePointer<Float>) {
        let ld = WinogradConvolution.lanePadded(cout), ms = slab(images * tilesPerImage * ld) / 16
        let qh = tilesH * m, qw = tilesW * m, blocks = ld / 16, pc = planeCount, dmv = vectors(dm)
        forEachImage(images, channels: cout) { n, s in
            for b in 0..<blocks {
                gatherPlanes(g + (n * cout + b * 16) * outputPlaneSize, height: geo.outHeight, width: geo.outWidth,
                             lanes: Swift.min(16, cout - b * 16), into: s.plane + b * pc,
                             planeHeight: qh, planeWidth: qw, offsetY: 0, offsetX: 0, staging: s.staging)
            }
            for ti in 0..<tilesH {
                for tj in 0..<tilesW {
                    let t = n * tilesPerImage + ti * tilesW + tj, window = ti * m * qw + tj * m
                    for b in 0..<blocks {
                        K.gradientTile(s.plane + b * pc + window, stride: qw, into: dmv + t * blocks + b, ms: ms, tmp: s.tile)
                    }
                }
            }
        }
    }

    // MARK: Weight transforms

    /// `U[ξ] = (G w Gᵀ)[ξ]` as `[ξ][ci][co]` (rows padded to whole vectors), 16 output channels at a
    /// time from a copy of the weights with the output channel innermost (`[ci][tap][co]`).
    func transformWeight(_ w: UnsafePointer<Float>, outChannels cout: Int, into u: UnsafeMutablePointer<Float>) {
        let cin = geo.inChannels, rr = r * r, ld = WinogradConvolution.lanePadded(cout), blocks = ld / 16
        let wt = WinogradBuffers.take(cin * rr * ld)
        defer { WinogradBuffers.give(wt) }
        transposeRows(w, rows: cout, columns: cin * rr, into: wt, ld: ld)
        let wv = vectors(wt), uv = vectors(u)
        Parallel.forEachChunk(cin * blocks, minChunk: 8) { _, items in
            let tmp = UnsafeMutablePointer<Lanes>.allocate(capacity: K.scratchCount)
            defer { tmp.deallocate() }
            for item in items {
                let ci = item / blocks, b = item % blocks
                K.weightTile(wv + ci * rr * blocks + b, ws: blocks, into: uv + ci * blocks + b, us: slab(cin * ld) / 16, tmp: tmp)
            }
        }
    }

    /// The adjoint of `transformWeight` from `dU[ξ][ci][co]` (rows padded): `dw = Gᵀ dU G`.
    func transformWeightAdjoint(_ du: UnsafePointer<Float>, outChannels cout: Int, into w: UnsafeMutablePointer<Float>) {
        let cin = geo.inChannels, rr = r * r, ld = WinogradConvolution.lanePadded(cout), blocks = ld / 16
        let wt = WinogradBuffers.take(cin * rr * ld)
        defer { WinogradBuffers.give(wt) }
        let wv = vectors(wt), duv = vectors(du)
        Parallel.forEachChunk(cin * blocks, minChunk: 8) { _, items in
            let tmp = UnsafeMutablePointer<Lanes>.allocate(capacity: K.scratchCount)
            defer { tmp.deallocate() }
            for item in items {
                let ci = item / blocks, b = item % blocks
                K.weightAdjointTile(duv + ci * blocks + b, us: slab(cin * ld) / 16, into: wv + ci * rr * blocks + b, ws: blocks, tmp: tmp)
            }
        }
        transposeRows(wt, rows: cin * rr, columns: cout, ld: ld, into: w)
    }
}

/// One thread's buffers: padded planes of 16-channel vectors and tile scratch.
struct WinogradScratch {
    let plane: UnsafeMutablePointer<Lanes>
    let tile: UnsafeMutablePointer<Lanes>
    /// One channel block's unpadded plane, between NCHW and the padded planes.
    let staging: UnsafeMutablePointer<Lanes>

    init(planeCount: Int, tileCount: Int, stagingCount: Int) {
        plane = .allocate(capacity: Swift.max(1, planeCount))
        tile = .allocate(capacity: 2 * tileCount)
        staging = .allocate(capacity: Swift.max(1, stagingCount))
    }

    func deallocate() {
        plane.deallocate(); tile.deallocate(); staging.deallocate()
    }
}

/// A 64-byte-aligned float buffer seen as vectors.
@inline(__always)
func vectors(_ p: UnsafePointer<Float>) -> UnsafeMutablePointer<Lanes> {
    UnsafeMutableRawPointer(mutating: p).assumingMemoryBound(to: Lanes.self)
}

/// The kernels' work buffers (64-byte aligned), kept for reuse rather than freed after each
/// call: freeing multi-megabyte blocks makes glibc raise its mmap threshold, after which tensors
/// of that size come from the heap and fragment it (measured: CycleGAN-small peak RSS 227 →
/// 368 MB with per-call buffers; forcing the threshold back halves the speed instead).
enum WinogradBuffers {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var spare: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []
    nonisolated(unsafe) private static var capacities: [UnsafeMutablePointer<Float>: Int] = [:]
    /// Spare buffers kept at most (the smallest go first).
    static let keep = 4

    /// A buffer of at least `count` floats: the smallest spare one that fits, or a new one.
    static func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        defer { lock.unlock() }
        if let i = spare.indices.filter({ spare[$0].capacity >= count }).min(by: { spare[$0].capacity < spare[$1].capacity }) {
            return spare.remove(at: i).pointer
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, count) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        capacities[p] = count
        return p
    }

    /// Returns a buffer from `take`.
    static func give(_ p: UnsafeMutablePointer<Float>) {
        lock.lock()
        defer { lock.unlock() }
        spare.append((p, capacities[p]!))
        if spare.count > keep {
            let i = spare.indices.min { spare[$0].capacity < spare[$1].capacity }!
            let dropped = spare.remove(at: i).pointer
            capacities[dropped] = nil
            UnsafeMutableRawPointer(dropped).deallocate()
        }
    }
}

/// Interleaves `lanes` planes of `height × width` (consecutive channels at `src`) into a zeroed
/// `planeHeight × planeWidth` plane of vectors, pixel `(y, x)` going to `(y + offsetY, x + offsetX)`.
/// `staging` holds `height·width` vectors. With a phase `layout`, the channels are phase channels
/// read in place (shifted ones fill `(height + 1) × (width + 1)` pixels).
func gatherPlanes(
    _ src: UnsafePointer<Float>, height: Int, width: Int, lanes: Int,
    into plane: UnsafeMutablePointer<Lanes>, planeHeight: Int, planeWidth: Int, offsetY: Int, offsetX: Int,
    staging: UnsafeMutablePointer<Lanes>, layout: Conv2DGeometry.InputLayout = .plain
) {
    plane.update(repeating: .zero, count: planeHeight * planeWidth)
    let y0 = Swift.max(0, -offsetY), y1 = Swift.min(height, planeHeight - offsetY)
    let x0 = Swift.max(0, -offsetX), x1 = Swift.min(width, planeWidth - offsetX)
    if y0 >= y1 || x0 >= x1 { return }
    switch layout {
    case .plain: break
    case .phases:
        // Straight from the stored layout into the plane's window (which holds all of it).
        require(y0 == 0 && x0 == 0 && y1 == height && x1 == width, "[Winograd] phase input cropped")
        deepgen_interleave16_phases(src, Int32(lanes), Int32(height), Int32(width),
                                    floats(plane + offsetY * planeWidth + offsetX), planeWidth)
        return
    case .shiftedPhases:
        require(offsetY == 0 && offsetX == 0 && height < planeHeight && width < planeWidth,
                "[Winograd] shifted phase input cropped")
        deepgen_interleave16_shifted_phases(src, Int32(lanes), Int32(height), Int32(width), floats(plane), planeWidth)
        return
    }
    // Whole planes are contiguous: transpose them 16 pixels at a time, then place the rows.
    deepgen_interleave16(src, height * width, Int32(lanes), Int32(height * width), floats(staging))
    for y in y0..<y1 {
        (plane + (y + offsetY) * planeWidth + x0 + offsetX).update(from: staging + y * width + x0, count: x1 - x0)
    }
}

/// The inverse of `gatherPlanes`: writes the `height × width` window at `(offsetY, offsetX)` of
/// the plane to `lanes` consecutive channel planes at `dst`.
func scatterPlanes(
    _ plane: UnsafeMutablePointer<Lanes>, planeWidth: Int, offsetY: Int, offsetX: Int,
    into dst: UnsafeMutablePointer<Float>, height: Int, width: Int, lanes: Int, staging: UnsafeMutablePointer<Lanes>,
    layout: Conv2DGeometry.InputLayout = .plain
) {
    switch layout {
    case .plain: break
    case .phases:
        deepgen_deinterleave16_phases(floats(plane + offsetY * planeWidth + offsetX), planeWidth, Int32(height),
                                      Int32(width), Int32(lanes), dst)
        return
    case .shiftedPhases:
        deepgen_deinterleave16_shifted_phases(floats(plane), planeWidth, Int32(height), Int32(width), Int32(lanes), dst)
        return
    }
    for y in 0..<height {
        (staging + y * width).update(from: plane + (y + offsetY) * planeWidth + offsetX, count: width)
    }
    deepgen_deinterleave16(floats(staging), Int32(height * width), Int32(lanes), dst, height * width)
}

/// A plane of vectors as the floats the C routines take.
@inline(__always)
private func floats(_ p: UnsafeMutablePointer<Lanes>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
