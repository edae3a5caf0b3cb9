import DeepGenKernels

// Comparisons give 0/1 masks and carry no gradient; `where` routes gradients by a mask.

extension Tensor {
    public func isGreater(_ o: Tensor) -> Tensor { Tensor.broadcastMap(self, o, op: "greater") { $0 > $1 ? 1 : 0 } }
    public func isGreaterOrEqual(_ o: Tensor) -> Tensor { Tensor.broadcastMap(self, o, op: "greaterEqual") { $0 >= $1 ? 1 : 0 } }
    public func isLess(_ o: Tensor) -> Tensor { Tensor.broadcastMap(self, o, op: "less") { $0 < $1 ? 1 : 0 } }
    public func isLessOrEqual(_ o: Tensor) -> Tensor { Tensor.broadcastMap(self, o, op: "lessEqual") { $0 <= $1 ? 1 : 0 } }
    public func isEqual(_ o: Tensor) -> Tensor { Tensor.broadcastMap(self, o, op: "equal") { $0 == $1 ? 1 : 0 } }
    public func isGreater(_ v: Float) -> Tensor { isGreater(Tensor(v)) }
    public func isLess(_ v: Float) -> Tensor { isLess(Tensor(v)) }

    /// `condition != 0 ? a : b`, broadcasting all three. No gradient flows into `condition`.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = broadcastShape(broadcastShape(condition.shape, a.shape, op: "where"), b.shape, op: "where")
        let mask = condition.detached().broadcast(to: shape).map { $0 != 0 ? 1 : 0 }
        let av = a.detached().broadcast(to: shape), bv = b.detached().broadcast(to: shape)
        let out = Tensor(uninitializedShape: shape)
        let pm = mask.storage.pointer, pa = av.storage.pointer, pb = bv.storage.pointer, po = out.storage.pointer
        for i in 0..<out.count { po[i] = pm[i] != 0 ? pa[i] : pb[i] }
        return record("where", out, inputs: [a, b]) { g in
            [a.needsGradient ? (g * mask).sum(toShape: a.shape) : nil,
             b.needsGradient ? (g * (1 - mask)).sum(toShape: b.shape) : nil]
        }
    }
}

extension Tensor {
    /// Whether no element is NaN or infinite (one vectorized pass).
    public var isFinite: Bool { VectorMath.allFinite(storage.pointer, count: count) }
}
