extension Tensor {
    /// 2-D max pooling of NCHW input (padding counts as −∞). The gradient goes to the first
    /// maximum of each window, as in PyTorch.
    public func maxPool2d(kernel: Size2, stride: Size2? = nil, padding: Size2 = 0) -> Tensor {
        let s = stride ?? kernel
        precondition(rank == 4, "[maxPool2d] needs NCHW, got \(shape)")
        precondition(kernel.h > 0 && kernel.w > 0 && s.h > 0 && s.w > 0 && padding.h * 2 <= kernel.h && padding.w * 2 <= kernel.w,
                     "[maxPool2d] kernel \(kernel), stride \(s), padding \(padding) invalid (padding at most half the kernel)")
        let planes = shape[0] * shape[1], h = shape[2], w = shape[3]
        let oh = (h + 2 * padding.h - kernel.h) / s.h + 1, ow = (w + 2 * padding.w - kernel.w) / s.w + 1
        precondition(oh > 0 && ow > 0, "[maxPool2d] kernel \(kernel) larger than input \(h)×\(w)")
        var idx = [Int32](repeating: 0, count: planes * oh * ow)
        let px = storage.pointer
        idx.withUnsafeMutableBufferPointer { ib in
            for p in 0..<planes {
                let plane = px + p * h * w
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var best = -Float.infinity, bestIndex = -1
                        for ky in 0..<kernel.h {
                            let y = oy * s.h - padding.h + ky
                            if y < 0 || y >= h { continue }
                            for kx in 0..<kernel.w {
                                let x = ox * s.w - padding.w + kx
                                if x < 0 || x >= w { continue }
                                let v = plane[y * w + x]
                                if v > best || bestIndex < 0 || v.isNaN { best = v; bestIndex = y * w + x }
                            }
                        }
                        ib[(p * oh + oy) * ow + ox] = Int32(bestIndex)
                    }
                }
            }
        }
        return Tensor.gatherPlanes(self, planes: planes, map: IndexMap(idx, perPlane: true), outShape: [shape[0], shape[1], oh, ow])
    }


    /// 2-D average pooling of NCHW input; zero padding counts in the average (PyTorch's default
    /// `count_include_pad=True`). Computed as a depthwise convolution with a constant kernel.
    public func avgPool2d(kernel: Size2, stride: Size2? = nil, padding: Size2 = 0) -> Tensor {
        let s = stride ?? kernel
        precondition(rank == 4, "[avgPool2d] needs NCHW, got \(shape)")
        let n = shape[0], c = shape[1]
        let weight = Tensor(repeating: 1 / Float(kernel.h * kernel.w), shape: [1, 1, kernel.h, kernel.w])
        let y = reshaped([n * c, 1, shape[2], shape[3]]).conv2d(weight: weight, stride: s, padding: padding)
        return y.reshaped([n, c, y.shape[2], y.shape[3]])
    }

}
