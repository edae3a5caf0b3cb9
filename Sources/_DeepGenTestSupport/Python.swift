import Foundation

/// Runs `python3 -c script args…` and returns its standard output, or nil when python3 is missing.
/// Throws with the captured standard error when the script fails.
public func runPython(_ script: String, arguments: [String] = []) throws -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { return nil }
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw PythonError(message: String(decoding: errors, as: UTF8.self))
    }
    return String(decoding: output, as: UTF8.self)
}

public struct PythonError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "python3 failed: \(message)" }
}

/// Whether `python3` can import every module in `modules`.
public func pythonHasModules(_ modules: [String]) -> Bool {
    ((try? runPython("import " + modules.joined(separator: ", "))) ?? nil) != nil
}
