import DeepGenKernels

extension Tensor {
    /// Normalizes every channel (axis 1) over all other axes with its own mean and biased
    /// variance, then scales and shifts it: `(x − mean) / √(variance + eps) · weight + bias` —
    /// BatchNorm's training-mode computation (InstanceNorm's on `[1, N·C, H, W]`).
    ///
    /// One fused op (two passes forward, two backward) instead of the composite formula's dozen
    /// broadcast passes. `mean` and `variance` (shape `[C]`) are returned untracked, for running
    /// statistics. Gradients flow to `self`, `weight` and `bias`; when the backward pass is itself
    /// recorded (`createGraph`) it is written in differentiable ops, so higher derivatives are right.
    public func channelNormalized(
        weight: Tensor? = nil, bias: Tensor? = nil, eps: Float
    ) -> (output: Tensor, mean: Tensor, variance: Tensor) {
        precondition(rank >= 2, "[channelNormalized] input \(shape) needs a channel axis 1")
        let channels = shape[1], outer = shape[0], inner = count / Swift.max(1, outer * channels)
        for (name, t) in [("weight", weight), ("bias", bias)] {
            if let t { precondition(t.shape == [channels], "[channelNormalized] \(name) shape \(t.shape) should be [\(channels)]") }
        }
        precondition(outer * inner > 0 || channels == 0, "[channelNormalized] input \(shape) has no values per channel")
        let x = self
        let mean = Tensor(uninitializedShape: [channels]), variance = Tensor(uninitializedShape: [channels])
        ChannelNormalization.moments(
            x.storage.pointer, outer: outer, channels: channels, inner: inner,
            mean: mean.storage.pointer, variance: variance.storage.pointer)
        let invStd = Tensor(uninitializedShape: [channels])
        for c in 0..<channels { invStd.storage.pointer[c] = 1 / (variance.storage.pointer[c] + eps).squareRoot() }
        let y = Tensor(uninitializedShape: shape)
        ChannelNormalization.normalize(
            x.storage.pointer, outer: outer, channels: channels, inner: inner,
            mean: mean.storage.pointer, invStd: invStd.storage.pointer,
            weight: weight?.storage.pointer, bias: bias?.storage.pointer, output: y.storage.pointer)

        let inputs = [x] + [weight, bias].compactMap { $0 }
        let output = Tensor.record("channelNormalized", y, inputs: inputs) { g in
            let grads: (Tensor?, Tensor?, Tensor?)
            if GradMode.isEnabled {
                grads = Tensor.channelNormalizedBackwardRecorded(x, g, weight: weight, eps: eps)
            } else {
                let dx = x.needsGradient ? Tensor(uninitializedShape: x.shape) : nil
                let dw = weight.map { $0.needsGradient ? Tensor(uninitializedShape: [channels]) : nil } ?? nil
                let db = bias.map { $0.needsGradient ? Tensor(uninitializedShape: [channels]) : nil } ?? nil
                ChannelNormalization.backward(
                    x.storage.pointer, g.storage.pointer, outer: outer, channels: channels, inner: inner,
                    mean: mean.storage.pointer, invStd: invStd.storage.pointer, weight: weight?.storage.pointer,
                    dx: dx?.storage.pointer, dWeight: dw?.storage.pointer, dBias: db?.storage.pointer)
                grads = (dx, dw, db)
            }
            return [grads.0] + (weight == nil ? [] : [grads.1]) + (bias == nil ? [] : [grads.2])
        }
        return (output, mean, variance)
    }

    /// The same gradients as ``ChannelNormalization/backward``, built from differentiable ops so
    /// that a recorded backward pass (gradient penalties through normalization) has its own gradients.
    static func channelNormalizedBackwardRecorded(
        _ x: Tensor, _ g: Tensor, weight: Tensor?, eps: Float
    ) -> (Tensor?, Tensor?, Tensor?) {
        var statShape = [Int](repeating: 1, count: x.rank); statShape[1] = x.shape[1]
        let axes = [0] + Array(2..<x.rank)
        let mean = x.mean(axes: axes, keepDims: true)
        let centered = x - mean
        let invStd = 1 / (centered.square().mean(axes: axes, keepDims: true) + eps).sqrt()
        let xhat = centered * invStd
        let dxhat = weight.map { g * $0.reshaped(statShape) } ?? g
        let dx = invStd * (dxhat - dxhat.mean(axes: axes, keepDims: true)
                           - xhat * (dxhat * xhat).mean(axes: axes, keepDims: true))
        return (dx, (g * xhat).sum(axes: axes), g.sum(axes: axes))
    }
}
