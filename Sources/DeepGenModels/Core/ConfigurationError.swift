/// A model configuration that cannot work, with a message for the user.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}
