import DeepGen
import DeepGenNN

/// A flow network with its base density: what `FlowModel` trains, scores and samples.
public protocol FlowNetwork: Module {
    /// log p(x) of each example, exact (`[N]`).
    func logProbability(_ x: Tensor) -> Tensor
    /// `count` samples: base noise of standard deviation `temperature` through the inverse.
    func sample(count: Int, temperature: Float, using rng: inout RandomGenerator) -> Tensor
    /// The first layer whose output turns non-finite for `x`, by state-dict path and kind.
    func firstNonFiniteLayer(_ x: Tensor) -> String?
    /// The latents of `x` (one tensor per part of the base density) and their inverse.
    func latents(_ x: Tensor) -> [Tensor]
    func decode(_ latents: [Tensor]) -> Tensor
}
