import Testing
@testable import DeepGenCLI

/// Runs a `deepgen` command line in this process (parsing, validation and `run`), so tests
/// drive the commands as a user types them.
func deepgen(_ arguments: [String]) throws {
    var command = try DeepGenCommand.parseAsRoot(arguments)
    try command.run()
}

/// Runs a `deepgen` command line that must fail, and checks that its message names each of `words`.
func expectDeepGenError(_ arguments: [String], mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try deepgen(arguments)
        Issue.record("\(arguments) succeeded", sourceLocation: sourceLocation)
    } catch {
        let message = DeepGenCommand.message(for: error) + " \(error)"
        for w in words { #expect(message.contains(w), "\(arguments): \(message)", sourceLocation: sourceLocation) }
    }
}
