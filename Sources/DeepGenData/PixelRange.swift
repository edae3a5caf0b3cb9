/// The interval pixel intensities are scaled to: [-1, 1] for GANs (tanh output), [0, 1] for VAEs
/// (sigmoid or Bernoulli output).
public enum PixelRange: String, Sendable, Codable, CaseIterable {
    case zeroToOne
    case minusOneToOne

    /// The interval as a reader writes it: `[0, 1]` or `[−1, 1]`.
    public var interval: String { self == .zeroToOne ? "[0, 1]" : "[−1, 1]" }

    /// Maps an intensity in [0, 1] into this range.
    @inlinable
    public func scale(_ unit: Float) -> Float {
        switch self {
        case .zeroToOne: return unit
        case .minusOneToOne: return unit * 2 - 1
        }
    }

    /// Maps a value of this range back to [0, 1] (without clamping).
    @inlinable
    public func unit(_ value: Float) -> Float {
        switch self {
        case .zeroToOne: return value
        case .minusOneToOne: return (value + 1) / 2
        }
    }
}
