@testable import DeepGenCLI

/// Runs a `deepgen` command line in this process (parsing, validation and `run`), so tests
/// drive the commands as a user types them.
func deepgen(_ arguments: [String]) throws {
    var command = try DeepGenCommand.parseAsRoot(arguments)
    try command.run()
}
