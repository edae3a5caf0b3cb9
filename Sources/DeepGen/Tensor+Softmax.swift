extension Tensor {
    /// `x − logSumExp(x)` along `axis`: stable for any magnitude.
    public func logSoftmax(axis: Int = -1) -> Tensor { self - logSumExp(axis: axis, keepDims: true) }

    /// `exp(logSoftmax(x))` along `axis`.
    public func softmax(axis: Int = -1) -> Tensor { logSoftmax(axis: axis).exp() }
}
