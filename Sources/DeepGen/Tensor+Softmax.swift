extension Tensor {
    /// `x − logSumExp(x)` along `axis`, computed as `(x − m) − log Σ exp(x − m)` with `m` the
    /// maximum, so it neither overflows nor loses the digits that adding `m` back would cost.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let a = Tensor.normalizeAxis(axis, rank: rank, op: "logSoftmax")
        // Softmax is shift-invariant, so the shift needs no gradient.
        let m = detached().max(axes: [a], keepDims: true).map { $0.isFinite ? $0 : 0 }
        let shifted = self - m
        return shifted - shifted.exp().sum(axes: [a], keepDims: true).log()
    }

    /// `exp(logSoftmax(x))` along `axis`.
    public func softmax(axis: Int = -1) -> Tensor { logSoftmax(axis: axis).exp() }
}
