/// A metric that cannot be computed on what it was given, with a message for the user.
public enum MetricError: Error, CustomStringConvertible, Equatable {
    case invalidExtractor(String)
    case shapeMismatch(String)
    case notEnoughSamples(String)
    case nonFinite(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .invalidExtractor(let m), .shapeMismatch(let m), .notEnoughSamples(let m), .nonFinite(let m), .unsupported(let m): return m
        }
    }
}
