import Foundation

// Binary arithmetic with NumPy broadcasting. Each backward un-broadcasts with `sum(toShape:)`.

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastMap(a, b, op: "add", AddOp())
        let sa = a.gradientSlot, sb = b.gradientSlot
        return record("add", out, inputs: [a, b]) { g in
            [sa.needsGradient ? g.sum(toShape: sa.shape) : nil, sb.needsGradient ? g.sum(toShape: sb.shape) : nil]
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastMap(a, b, op: "sub", SubtractOp())
        let sa = a.gradientSlot, sb = b.gradientSlot
        return record("sub", out, inputs: [a, b]) { g in
            [sa.needsGradient ? g.sum(toShape: sa.shape) : nil, sb.needsGradient ? (-g).sum(toShape: sb.shape) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastMap(a, b, op: "mul", MultiplyOp())
        // Each factor is kept only for the other's gradient (dropout keeps its mask, not its input).
        let sa = a.gradientSlot, sb = b.gradientSlot
        let keptA = b.requiresGrad ? a : nil, keptB = a.requiresGrad ? b : nil
        return record("mul", out, inputs: [a, b]) { g in
            [sa.needsGradient ? (g * keptB!).sum(toShape: sa.shape) : nil,
             sb.needsGradient ? (g * keptA!).sum(toShape: sb.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastMap(a, b, op: "div", DivideOp())
        let sa = a.gradientSlot, sb = b.gradientSlot
        let keptA = b.requiresGrad ? a : nil  // the divisor is needed for either gradient
        return record("div", out, inputs: [a, b]) { g in
            [sa.needsGradient ? (g / b).sum(toShape: sa.shape) : nil,
             sb.needsGradient ? (-(g * keptA!) / (b * b)).sum(toShape: sb.shape) : nil]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        let out = a.mapElements(NegateOp())
        return record("neg", out, inputs: [a]) { g in [-g] }
    }

    public static func + (a: Tensor, b: Float) -> Tensor { a + Tensor(b) }
    public static func + (a: Float, b: Tensor) -> Tensor { Tensor(a) + b }
    public static func - (a: Tensor, b: Float) -> Tensor { a - Tensor(b) }
    public static func - (a: Float, b: Tensor) -> Tensor { Tensor(a) - b }
    public static func * (a: Tensor, b: Float) -> Tensor { a * Tensor(b) }
    public static func * (a: Float, b: Tensor) -> Tensor { Tensor(a) * b }
    public static func / (a: Tensor, b: Float) -> Tensor { a / Tensor(b) }
    public static func / (a: Float, b: Tensor) -> Tensor { Tensor(a) / b }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }

    /// Elementwise maximum; where equal, the gradient goes to `self` (as PyTorch splits it evenly,
    /// ties are measure-zero in practice).
    public func maximum(_ other: Tensor) -> Tensor {
        let a = self, b = other
        let out = Tensor.broadcastMap(a, b, op: "maximum") { Swift.max($0, $1) }
        return Tensor.record("maximum", out, inputs: [a, b]) { g in
            let mask = a.isGreaterOrEqual(b)
            return [a.needsGradient ? (g * mask).sum(toShape: a.shape) : nil,
                    b.needsGradient ? (g * (1 - mask)).sum(toShape: b.shape) : nil]
        }
    }

    /// Elementwise minimum; where equal, the gradient goes to `self`.
    public func minimum(_ other: Tensor) -> Tensor {
        let a = self, b = other
        let out = Tensor.broadcastMap(a, b, op: "minimum") { Swift.min($0, $1) }
        return Tensor.record("minimum", out, inputs: [a, b]) { g in
            let mask = a.isLessOrEqual(b)
            return [a.needsGradient ? (g * mask).sum(toShape: a.shape) : nil,
                    b.needsGradient ? (g * (1 - mask)).sum(toShape: b.shape) : nil]
        }
    }

    public func maximum(_ v: Float) -> Tensor { maximum(Tensor(v)) }
    public func minimum(_ v: Float) -> Tensor { minimum(Tensor(v)) }
}
