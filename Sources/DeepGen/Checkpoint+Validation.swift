extension Checkpoint {
    /// Checks that the tensors under `prefix` are exactly `expected` (names without the prefix,
    /// with their shapes).
    ///
    /// - Parameters:
    ///   - expected: Every tensor the model needs, by name, with its shape.
    ///   - prefix: Only tensors whose names start with this are compared (`"generator."`); the
    ///     default compares every tensor except those under `"optimizer."`.
    /// - Throws: ``CheckpointError/mismatch(file:missing:unexpected:misshaped:)`` naming every
    ///   missing, unexpected and mis-shaped tensor at once, each list sorted.
    public func validate(expected: [String: [Int]], under prefix: String = "") throws {
        let present = prefix.isEmpty ? tensors.filter { !$0.key.hasPrefix("optimizer.") } : tensors(under: prefix)
        let missing = expected.keys.filter { present[$0] == nil }.sorted()
        let unexpected = present.keys.filter { expected[$0] == nil }.sorted().map { prefix + $0 }
        let misshaped = expected.keys.sorted().compactMap { name -> CheckpointError.ShapeMismatch? in
            guard let t = present[name], t.shape != expected[name]! else { return nil }
            return CheckpointError.ShapeMismatch(name: prefix + name, expected: expected[name]!, found: t.shape)
        }
        guard missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty else {
            throw CheckpointError.mismatch(file: source, missing: missing.map { prefix + $0 },
                                           unexpected: unexpected, misshaped: misshaped)
        }
    }
}
