import DeepGenKernels

/// How a 1-D convolution pads its input's time axis.
public enum Conv1DPadding: Equatable, Sendable {
    /// `(kernel − 1)·dilation` zeros on the left, none on the right: output `t` sees inputs up to
    /// `t` only, and the output is as long as the input (WaveNet's causal convolution).
    case causal
    /// `left` and `right` zeros (PyTorch's `padding=p` is `.explicit(p, p)`).
    case explicit(left: Int, right: Int)

    func amounts(kernel: Int, dilation: Int) -> (left: Int, right: Int) {
        switch self {
        case .causal: return ((kernel - 1) * dilation, 0)
        case .explicit(let l, let r): return (l, r)
        }
    }
}

extension Tensor {
    /// 1-D convolution (cross-correlation, PyTorch's `F.conv1d`) of `[N, Cin, T]` with a weight
    /// `[Cout, Cin, K]` and an optional bias `[Cout]`, dilated by `dilation`: `[N, Cout, T']` with
    /// `T' = T + left + right − (K − 1)·dilation`. Groups are not supported (every model here
    /// mixes all channels).
    ///
    /// Each tap `j` is one GEMM per sequence, `W[:, :, j] · x[:, s_j ..< s_j + n_j]`, accumulated
    /// into the output's columns that tap reaches: the padding is never materialized and the
    /// shifted inputs are read in place (a row stride of `T`). The input and weight adjoints are
    /// the same products transposed, so the backward pass is two GEMMs per tap and sequence; a
    /// recorded backward pass uses ``conv1dComposite(_:bias:dilation:padding:)``'s formulas.
    public func conv1d(_ weight: Tensor, bias: Tensor? = nil, dilation: Int = 1, padding: Conv1DPadding = .causal) -> Tensor {
        let geometry = Conv1DGeometry(input: shape, weight: weight.shape, dilation: dilation, padding: padding)
        if let bias { precondition(bias.shape == [geometry.outChannels], "[conv1d] bias shape \(bias.shape) should be [\(geometry.outChannels)]") }
        let x = self
        let packed = geometry.tapMajor(weight)
        let y = Tensor(uninitializedShape: [geometry.batch, geometry.outChannels, geometry.outLength])
        geometry.forward(x.storage.pointer, packed.storage.pointer, bias: bias?.storage.pointer, y.storage.pointer)
        withExtendedLifetime((packed, bias)) {}
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return Tensor.record("conv1d", y, inputs: inputs) { g in
            if GradMode.isEnabled { return Tensor.conv1dBackwardRecorded(x, weight, g, hasBias: bias != nil, dilation: dilation, padding: padding) }
            var grads: [Tensor?] = [nil, nil]
            if x.needsGradient {
                // Held in a local: a temporary's buffer could go back to the pool mid-call.
                let dx = Tensor(uninitializedShape: x.shape), taps = geometry.tapMajor(weight)
                geometry.inputAdjoint(g.storage.pointer, taps.storage.pointer, dx.storage.pointer)
                withExtendedLifetime(taps) {}
                grads[0] = dx
            }
            if weight.needsGradient {
                let dw = Tensor(uninitializedShape: [geometry.kernel, geometry.outChannels, geometry.inChannels])
                geometry.weightAdjoint(g.storage.pointer, x.storage.pointer, dw.storage.pointer)
                grads[1] = geometry.channelMajor(dw)
            }
            if let bias { grads.append(bias.needsGradient ? g.sum(axes: [0, 2]) : nil) }
            withExtendedLifetime((x, g)) {}
            return grads
        }
    }

    /// The same convolution from differentiable ops (pad, slice, one matrix product per tap): the
    /// reference the tests check ``conv1d(_:bias:dilation:padding:)`` against.
    public static func conv1dComposite(_ x: Tensor, _ weight: Tensor, bias: Tensor? = nil, dilation: Int = 1, padding: Conv1DPadding = .causal) -> Tensor {
        let g = Conv1DGeometry(input: x.shape, weight: weight.shape, dilation: dilation, padding: padding)
        let padded = x.padded([(0, 0), (0, 0), (g.left, g.right)])
        var y: Tensor?
        for j in 0..<g.kernel {
            let tap = weight.sliced(axis: 2, j ..< j + 1).reshaped([g.outChannels, g.inChannels])
            let shifted = padded.sliced(axis: 2, j * dilation ..< j * dilation + g.outLength)
            let columns = shifted.permuted(1, 0, 2).reshaped([g.inChannels, g.batch * g.outLength])
            let term = tap.matmul(columns)
            y = y.map { $0 + term } ?? term
        }
        var out = y!.reshaped([g.outChannels, g.batch, g.outLength]).permuted(1, 0, 2)
        if let bias { out = out + bias.reshaped([1, g.outChannels, 1]) }
        return out
    }

    /// The adjoints in differentiable ops, for a recorded backward pass: per tap, `Wⱼᵀ·g` placed
    /// back where the tap read, and `g·xⱼᵀ` summed over sequences.
    static func conv1dBackwardRecorded(_ x: Tensor, _ weight: Tensor, _ g: Tensor, hasBias: Bool, dilation: Int, padding: Conv1DPadding) -> [Tensor?] {
        let geo = Conv1DGeometry(input: x.shape, weight: weight.shape, dilation: dilation, padding: padding)
        let paddedLength = geo.length + geo.left + geo.right
        let gColumns = g.permuted(1, 0, 2).reshaped([geo.outChannels, geo.batch * geo.outLength])
        let padded = x.padded([(0, 0), (0, 0), (geo.left, geo.right)])
        var dxPadded: Tensor?
        var taps: [Tensor] = []
        for j in 0..<geo.kernel {
            let start = j * dilation
            let tap = weight.sliced(axis: 2, j ..< j + 1).reshaped([geo.outChannels, geo.inChannels])
            if x.needsGradient {
                let d = tap.matmul(gColumns, transposeSelf: true).reshaped([geo.inChannels, geo.batch, geo.outLength]).permuted(1, 0, 2)
                    .padded([(0, 0), (0, 0), (start, paddedLength - start - geo.outLength)])
                dxPadded = dxPadded.map { $0 + d } ?? d
            }
            if weight.needsGradient {
                let columns = padded.sliced(axis: 2, start ..< start + geo.outLength).permuted(1, 0, 2).reshaped([geo.inChannels, geo.batch * geo.outLength])
                taps.append(gColumns.matmul(columns, transposeOther: true).reshaped([geo.outChannels, geo.inChannels, 1]))
            }
        }
        let dx = x.needsGradient ? dxPadded!.sliced(axis: 2, geo.left ..< geo.left + geo.length) : nil
        let dw = weight.needsGradient ? Tensor.concat(taps, axis: 2) : nil
        return [dx, dw] + (hasBias ? [g.sum(axes: [0, 2])] : [])
    }
}

/// Sizes of a 1-D convolution and its three GEMM faces. Tap `j` of output column `t` reads input
/// column `t − left + j·dilation`; only the columns where that lies inside the input take part.
struct Conv1DGeometry {
    let batch, inChannels, length, outChannels, kernel, dilation, left, right, outLength: Int

    init(input: [Int], weight: [Int], dilation: Int, padding: Conv1DPadding) {
        precondition(input.count == 3, "[conv1d] input must be [N, C, T], got \(input)")
        precondition(weight.count == 3, "[conv1d] weight must be [Cout, Cin, K], got \(weight)")
        precondition(weight[1] == input[1], "[conv1d] weight \(weight) expects \(weight[1]) input channels, input \(input) has \(input[1])")
        precondition(weight[2] >= 1 && dilation >= 1, "[conv1d] kernel \(weight[2]) and dilation \(dilation) must be positive")
        (batch, inChannels, length) = (input[0], input[1], input[2])
        (outChannels, kernel, self.dilation) = (weight[0], weight[2], dilation)
        (left, right) = padding.amounts(kernel: kernel, dilation: dilation)
        precondition(left >= 0 && right >= 0, "[conv1d] negative padding \(padding)")
        outLength = length + left + right - (kernel - 1) * dilation
        precondition(outLength >= 0, "[conv1d] input of length \(length) is shorter than the dilated kernel \((kernel - 1) * dilation + 1) with padding \(left)+\(right)")
    }

    /// The output columns tap `j` contributes to, and the input column the first of them reads.
    func columns(tap j: Int) -> (first: Int, count: Int, inputStart: Int) {
        let shift = j * dilation - left
        let first = Swift.max(0, -shift), end = Swift.min(outLength, length - shift)
        return (first, Swift.max(0, end - first), first + shift)
    }

    /// `[Cout, Cin, K]` weights as `[K, Cout, Cin]`: each tap a contiguous matrix.
    func tapMajor(_ w: Tensor) -> Tensor {
        if kernel == 1 { return w }
        let out = Tensor(uninitializedShape: [kernel, outChannels, inChannels])
        let src = w.storage.pointer, dst = out.storage.pointer
        for o in 0..<outChannels {
            for i in 0..<inChannels {
                for j in 0..<kernel { dst[(j * outChannels + o) * inChannels + i] = src[(o * inChannels + i) * kernel + j] }
            }
        }
        return out
    }

    /// `[K, Cout, Cin]` back to PyTorch's `[Cout, Cin, K]`.
    func channelMajor(_ t: Tensor) -> Tensor {
        if kernel == 1 { return t.reshaped([outChannels, inChannels, 1]) }
        let out = Tensor(uninitializedShape: [outChannels, inChannels, kernel])
        let src = t.storage.pointer, dst = out.storage.pointer
        for j in 0..<kernel {
            for o in 0..<outChannels {
                for i in 0..<inChannels { dst[(o * inChannels + i) * kernel + j] = src[(j * outChannels + o) * inChannels + i] }
            }
        }
        return out
    }

    func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>) {
        let outPlane = outChannels * outLength, inPlane = inChannels * length
        for n in 0..<batch {
            let yn = y + n * outPlane
            for o in 0..<outChannels {
                (yn + o * outLength).update(repeating: bias?[o] ?? 0, count: outLength)
            }
            for j in 0..<kernel {
                let c = columns(tap: j)
                guard c.count > 0 else { continue }
                sgemm(transA: false, transB: false, m: outChannels, n: c.count, k: inChannels,
                      a: w + j * outChannels * inChannels, lda: inChannels,
                      b: x + n * inPlane + c.inputStart, ldb: length,
                      beta: 1, c: yn + c.first, ldc: outLength)
            }
        }
    }

    /// `dx = Σⱼ Wⱼᵀ · dy`, each tap's product added where the tap read.
    func inputAdjoint(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>) {
        let outPlane = outChannels * outLength, inPlane = inChannels * length
        dx.update(repeating: 0, count: batch * inPlane)
        for n in 0..<batch {
            for j in 0..<kernel {
                let c = columns(tap: j)
                guard c.count > 0 else { continue }
                sgemm(transA: true, transB: false, m: inChannels, n: c.count, k: outChannels,
                      a: w + j * outChannels * inChannels, lda: inChannels,
                      b: dy + n * outPlane + c.first, ldb: outLength,
                      beta: 1, c: dx + n * inPlane + c.inputStart, ldc: length)
            }
        }
    }

    /// `dWⱼ = Σₙ dy · xⱼᵀ` into `[K, Cout, Cin]`, sequences added in order.
    func weightAdjoint(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ dw: UnsafeMutablePointer<Float>) {
        let outPlane = outChannels * outLength, inPlane = inChannels * length
        dw.update(repeating: 0, count: kernel * outChannels * inChannels)
        for n in 0..<batch {
            for j in 0..<kernel {
                let c = columns(tap: j)
                guard c.count > 0 else { continue }
                sgemm(transA: false, transB: true, m: outChannels, n: inChannels, k: c.count,
                      a: dy + n * outPlane + c.first, lda: outLength,
                      b: x + n * inPlane + c.inputStart, ldb: length,
                      beta: 1, c: dw + j * outChannels * inChannels, ldc: inChannels)
            }
        }
    }
}
