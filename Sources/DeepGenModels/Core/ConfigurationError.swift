/// A model configuration that cannot work, with a message for the user.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// Checks that `value` is in `range`, with a message naming `what` (an option or a field).
/// The upper ends guard against sizes that could only exhaust memory, never train; they belong in
/// `validateNewRun` (a run of an earlier release may exceed them), the lower ends in `validate`.
public func checkRange(_ value: Int, _ range: ClosedRange<Int>, _ what: String) throws {
    guard range.contains(value) else {
        throw ConfigurationError(message: value < range.lowerBound
            ? "\(what) must be at least \(range.lowerBound), got \(value)"
            : "\(what) must be at most \(range.upperBound), got \(value)")
    }
}

/// `value` is at least `range.lowerBound` (see ``checkRange(_:_:_:)-(_,ClosedRange<Int>,_)``).
public func checkRange(_ value: Int, _ range: PartialRangeFrom<Int>, _ what: String) throws {
    try checkRange(value, range.lowerBound...Int.max, what)
}

/// `value` is at most `range.upperBound`.
public func checkRange(_ value: Int, _ range: PartialRangeThrough<Int>, _ what: String) throws {
    try checkRange(value, Int.min...range.upperBound, what)
}
