import DeepGen
import DeepGenNN
import Foundation

/// The multi-scale architecture of RealNVP (Dinh et al. 2017, §3.6) and Glow for images
/// `[N, C, H, W]`: levels of flow layers, after every level but the last half of the channels
/// leave the flow to the base density (factoring out). The base density is a standard normal on
/// every factored-out part and on the last level's output. Which layers a level holds is the
/// builder's (``glow(shape:levels:steps:hiddenChannels:actNorm:using:)``,
/// ``realNVP(shape:scales:hiddenChannels:blocks:normalization:using:)``).
public final class MultiScaleFlow: Module, FlowNetwork {
    public let levels: [FlowSequence]
    /// C, H, W of an example.
    let shape: [Int]

    public init(shape: [Int], levels: [FlowSequence]) {
        precondition(shape.count == 3 && !levels.isEmpty, "[MultiScaleFlow] needs [C, H, W] and ≥ 1 level")
        self.shape = shape
        self.levels = levels
    }

    /// The shapes of the factored-out parts, then of the last level's output (one example); a
    /// level's only shape change is its squeezes.
    var latentShapes: [[Int]] {
        var (c, h, w) = (shape[0], shape[1], shape[2])
        var out: [[Int]] = []
        for (i, level) in levels.enumerated() {
            for layer in level.layers where layer is Squeeze { (c, h, w) = (c * 4, h / 2, w / 2) }
            if i < levels.count - 1 {
                out.append([c - c / 2, h, w])
                c /= 2
            }
        }
        return out + [[c, h, w]]
    }

    /// The latents of `x`: each level's factored-out part, then the last level's output, with
    /// the summed log-determinant of each example.
    public func encode(_ x: Tensor) -> (latents: [Tensor], logDet: Tensor) {
        var h = x
        var logDet = Tensor(zeros: [x.shape[0]])
        var latents: [Tensor] = []
        for (i, level) in levels.enumerated() {
            let (y, l) = level.forward(h)
            logDet = logDet + l
            h = y
            if i < levels.count - 1 {
                let keep = h.shape[1] / 2
                latents.append(h.sliced(axis: 1, keep..<h.shape[1]))
                h = h.sliced(axis: 1, 0..<keep)
            }
        }
        return (latents + [h], logDet)
    }

    /// The images whose latents are `latents` (the inverse of ``encode(_:)``).
    public func decode(_ latents: [Tensor]) -> Tensor {
        precondition(latents.count == levels.count, "[MultiScaleFlow] \(latents.count) latents for \(levels.count) levels")
        var h = latents[latents.count - 1]
        for i in (0..<levels.count).reversed() {
            if i < levels.count - 1 { h = Tensor.concat([h, latents[i]], axis: 1) }
            h = levels[i].inverse(h)
        }
        return h
    }

    public func latents(_ x: Tensor) -> [Tensor] { encode(x).latents }

    public func logProbability(_ x: Tensor) -> Tensor {
        let (latents, logDet) = encode(x)
        return latents.reduce(logDet) { $0 + standardNormalLogDensity($1) }
    }

    public func sample(count: Int, temperature: Float, using rng: inout RandomGenerator) -> Tensor {
        decode(latentShapes.map { Tensor.normal([count] + $0, using: &rng) * temperature })
    }

    public func firstNonFiniteLayer(_ x: Tensor) -> String? {
        withoutGrad {
            if !x.isFinite { return "the input" }
            var h = x
            for (i, level) in levels.enumerated() {
                if let bad = level.firstNonFiniteLayer(h) { return "levels.\(i).\(bad)" }
                h = level.forward(h).z
                if i < levels.count - 1 { h = h.sliced(axis: 1, 0..<(h.shape[1] / 2)) }
            }
            return nil
        }
    }
}

