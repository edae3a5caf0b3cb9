import DeepGen

/// Planar flows on a VAE's posterior, amortized as in Rezende & Mohamed (2015, §6): for each
/// image the encoder gives K flows' `u`, `w` (each `[N, K, D]`) and `b` (`[N, K]`), and
/// `z_K = f_K ∘ … ∘ f_1(z_0)` with `f(z) = z + û·tanh(wᵀz + b)` (`PlanarFlow.step`, whose û keeps
/// each flow invertible), so `log q_K(z_K) = log q_0(z_0) − Σ log |1 + ûᵀw·tanh′(wᵀz + b)|`.
public struct PosteriorFlow {
    public var u: Tensor
    public var w: Tensor
    public var b: Tensor

    public init(u: Tensor, w: Tensor, b: Tensor) {
        precondition(u.rank == 3 && u.shape == w.shape && b.shape == Array(u.shape.prefix(2)),
                     "[PosteriorFlow] u \(u.shape), w \(w.shape), b \(b.shape) are not [N, K, D], [N, K, D], [N, K]")
        self.u = u
        self.w = w
        self.b = b
    }

    public var length: Int { u.shape[1] }

    /// `z_K` and `Σ log |det J|` per row of `z0` `[N, D]` (row i through image i's flows).
    public func transform(_ z0: Tensor) -> (z: Tensor, logDet: Tensor) {
        let (n, d) = (u.shape[0], u.shape[2])
        var z = z0
        var logDet = Tensor(zeros: [n])
        for k in 0..<length {
            let uk = u.sliced(axis: 1, k..<(k + 1)).reshaped([n, d]), wk = w.sliced(axis: 1, k..<(k + 1)).reshaped([n, d])
            let bk = b.sliced(axis: 1, k..<(k + 1)).reshaped([n])
            let (moved, l) = PlanarFlow.step(z, u: uk, w: wk, b: bk)
            z = moved
            logDet = logDet + l
        }
        return (z, logDet)
    }

    /// The flows of image `image` for `rows` rows (importance samples of one image).
    public func repeating(image: Int, rows: Int) -> PosteriorFlow {
        let (k, d) = (u.shape[1], u.shape[2])
        return PosteriorFlow(u: u.sliced(axis: 0, image..<(image + 1)).broadcast(to: [rows, k, d]),
                             w: w.sliced(axis: 0, image..<(image + 1)).broadcast(to: [rows, k, d]),
                             b: b.sliced(axis: 0, image..<(image + 1)).broadcast(to: [rows, k]))
    }
}
