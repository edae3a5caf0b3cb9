/// A model configuration that cannot work, with a message for the user.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// Checks that `value` is in `range`, with a message naming `what` (an option or a field).
/// The upper ends guard against sizes that could only exhaust memory, never train.
public func checkRange(_ value: Int, _ range: ClosedRange<Int>, _ what: String) throws {
    guard range.contains(value) else {
        throw ConfigurationError(message: value < range.lowerBound
            ? "\(what) must be at least \(range.lowerBound), got \(value)"
            : "\(what) must be at most \(range.upperBound), got \(value)")
    }
}
