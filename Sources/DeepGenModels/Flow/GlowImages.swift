import DeepGen
import DeepGenNN
import Foundation

/// Glow (Kingma & Dhariwal 2018) for images `[N, C, H, W]`, multi-scale as RealNVP: `levels`
/// levels, each a squeeze and then `steps` steps of ActNorm, invertible 1×1 convolution and
/// channel coupling; after every level but the last, half of the channels leave the flow to the
/// base density (factoring out). The base density is a standard normal on every factored-out
/// part and on the last level's output.
public final class GlowImages: Module, FlowNetwork {
    public let levels: [FlowSequence]
    /// C, H, W of an example.
    let shape: [Int]

    public init(shape: [Int], levels levelCount: Int, steps: Int, hiddenChannels: Int, actNorm: Bool, using rng: inout RandomGenerator) {
        precondition(shape.count == 3 && levelCount >= 1 && steps >= 1, "[GlowImages] needs [C, H, W], ≥ 1 level and ≥ 1 step")
        self.shape = shape
        var c = shape[0]
        var built: [FlowSequence] = []
        for level in 0..<levelCount {
            c *= 4
            var layers: [any FlowLayer] = [Squeeze()]
            for _ in 0..<steps {
                if actNorm { layers.append(ActNorm(channels: c)) }
                layers.append(InvertibleLinear(channels: c, using: &rng))
                layers.append(ChannelCoupling(channels: c, hiddenChannels: hiddenChannels, using: &rng))
            }
            built.append(FlowSequence(layers))
            if level < levelCount - 1 { c /= 2 }
        }
        levels = built
    }

    /// The shapes of the factored-out parts, then of the last level's output (one example).
    var latentShapes: [[Int]] {
        var (c, h, w) = (shape[0], shape[1], shape[2])
        var out: [[Int]] = []
        for level in 0..<levels.count {
            (c, h, w) = (c * 4, h / 2, w / 2)
            if level < levels.count - 1 {
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
        precondition(latents.count == levels.count, "[GlowImages] \(latents.count) latents for \(levels.count) levels")
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

/// Uniform dequantization and the logit transform of RealNVP, for 8-bit images given in
/// [0, 1]: `y = (255x + u)/256` with `u ~ U(0, 1)`, `p = α + (1 − 2α)y`, `v = logit p`. The
/// flow models `v`; `log p(y) = log p(v) + Σ log((1 − 2α)/(p(1 − p)))`, and the discrete pixels'
/// `−log P(x) ≤ −log p(y) + D·log 256` (Theis et al. 2016), the figure reported in bits per
/// dimension.
public struct LogitDequantization: Sendable {
    public var alpha: Float

    public init(alpha: Float) { self.alpha = alpha }

    /// `v` and the log-determinant of `x ↦ v` per example, with `u` drawn from `rng`.
    public func forward(_ x: Tensor, using rng: inout RandomGenerator) -> (v: Tensor, logDet: Tensor) {
        withoutGrad {
            let pixels = (x * 255).map { $0.rounded() }.clamped(min: 0, max: 255)
            return logit((pixels + Tensor.uniform(x.shape, low: 0, high: 1, using: &rng)) / 256)
        }
    }

    /// `v = logit(α + (1 − 2α)y)` of dequantized pixels `y` in (0, 1) and its log-determinant per
    /// example, `Σ log((1 − 2α)/(p(1 − p)))`.
    public func logit(_ y: Tensor) -> (v: Tensor, logDet: Tensor) {
        let p = alpha + (1 - 2 * alpha) * y
        let (logP, logQ) = (p.log(), (1 - p).log())
        let perValue = Float(log(Double(1 - 2 * alpha))) - logP - logQ
        return (logP - logQ, perValue.flattened(from: 1).sum(axis: 1))
    }

    /// `v` for the middle of each pixel's bin, `u = 1/2`: a deterministic point to encode.
    public func midpoint(_ x: Tensor) -> Tensor {
        withoutGrad { logit(((x * 255).map { $0.rounded() }.clamped(min: 0, max: 255) + 0.5) / 256).v }
    }

    /// Pixels in [0, 1] from `v` (the inverse, clamped).
    public func inverse(_ v: Tensor) -> Tensor {
        ((v.sigmoid() - alpha) / (1 - 2 * alpha)).clamped(min: 0, max: 1)
    }
}
