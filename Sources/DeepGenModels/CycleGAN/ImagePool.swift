import DeepGen

/// The history of generated images that CycleGAN's discriminators train on (Shrivastava et al.
/// 2017): until full, images pass through and are stored; then each image is, with probability
/// ½, swapped for a random stored one (which it replaces). Reduces oscillation.
public struct ImagePool {
    public let capacity: Int
    /// Stored images, each `[1, C, H, W]`; saved in checkpoints so resuming is exact.
    public private(set) var images: [Tensor] = []

    public init(capacity: Int = 50) { self.capacity = capacity }

    /// Restores a pool from saved images.
    public init(capacity: Int, images: [Tensor]) {
        precondition(images.count <= capacity, "[ImagePool] \(images.count) images exceed capacity \(capacity)")
        self.capacity = capacity
        self.images = images
    }

    /// The batch the discriminator should see for the newly generated `batch` `[N, C, H, W]`.
    public mutating func query(_ batch: Tensor, using rng: inout RandomGenerator) -> Tensor {
        if capacity == 0 { return batch }
        var out: [Tensor] = []
        for i in 0..<batch.shape[0] {
            let image = batch.sliced(axis: 0, i..<(i + 1)).detached()
            if images.count < capacity {
                images.append(image)
                out.append(image)
            } else if rng.nextUniform() > 0.5 {
                let k = rng.nextInt(below: capacity)
                out.append(images[k])
                images[k] = image
            } else {
                out.append(image)
            }
        }
        return Tensor.concat(out, axis: 0)
    }
}
