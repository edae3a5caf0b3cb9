/// A precondition whose message survives optimization. Swift's `precondition` drops its message
/// under `-O` (a bare "precondition failure" trap), and this module is compiled with `-O` in debug
/// builds too (Package.swift), so its checks state the problem through `fatalError`, which always
/// prints it. The message is built only when the check fails.
@inline(__always)
@usableFromInline
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if _slowPath(!condition()) { fatalError(message(), file: file, line: line) }
}
