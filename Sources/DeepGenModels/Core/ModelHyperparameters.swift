/// A family's own hyperparameters: `Codable` (they are written to `config.json` and into every
/// checkpoint under `hyperparameters`) and comparable across families.
public protocol ModelHyperparameters: Codable, Sendable {
    /// Whether `other` holds the same values (false for another family's type).
    func isEqual(to other: any ModelHyperparameters) -> Bool
}

extension ModelHyperparameters where Self: Equatable {
    public func isEqual(to other: any ModelHyperparameters) -> Bool { (other as? Self) == self }
}
