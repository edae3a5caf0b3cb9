import DeepGen
import DeepGenNN
import Foundation

/// An invertible layer of a normalizing flow. Each layer computes its own log-determinant from
/// its structure (a triangular Jacobian, a per-channel scale); no general determinant is taken.
public protocol FlowLayer: Module {
    /// `y = f(x)` and `log |det ∂f/∂x|` of each example (`[N]`).
    func forward(_ x: Tensor) -> (y: Tensor, logDet: Tensor)
    /// `x = f⁻¹(y)`.
    func inverse(_ y: Tensor) -> Tensor
    /// What the layer is, for messages ("affine coupling").
    var kind: String { get }
}

/// Flow layers applied in order, named `layers.0`, `layers.1`, … in the state dict.
public final class FlowSequence: Module {
    public let layers: [any FlowLayer]

    public init(_ layers: [any FlowLayer]) { self.layers = layers }

    /// `z = f(x)` through every layer and the summed log-determinant of each example.
    public func forward(_ x: Tensor) -> (z: Tensor, logDet: Tensor) {
        var h = x
        var logDet = Tensor(zeros: [x.shape[0]])
        for layer in layers {
            let (y, l) = layer.forward(h)
            h = y
            logDet = logDet + l
        }
        return (h, logDet)
    }

    /// `x = f⁻¹(z)`, through the layers in reverse.
    public func inverse(_ z: Tensor) -> Tensor {
        layers.reversed().reduce(z) { $1.inverse($0) }
    }

    /// The first layer whose output or log-determinant is not finite for `x`, named by its
    /// state-dict path (`layers.3`) and kind; `nil` when all are finite. Runs without gradients.
    public func firstNonFiniteLayer(_ x: Tensor) -> String? {
        withoutGrad {
            if !x.isFinite { return "the input" }
            var h = x
            for (i, layer) in layers.enumerated() {
                let (y, l) = layer.forward(h)
                if !y.isFinite || !l.isFinite { return "layers.\(i) (\(layer.kind))" }
                h = y
            }
            return nil
        }
    }
}

/// log N(z; 0, I) of each example: the standard normal base density of a flow, summed over all
/// values of an example.
public func standardNormalLogDensity(_ z: Tensor) -> Tensor {
    let d = z.shape.dropFirst().reduce(1, *)
    let flat = z.reshaped([z.shape[0], d])
    return -0.5 * (flat * flat).sum(axis: 1) - Float(0.5 * Double(d) * log(2 * Double.pi))
}
