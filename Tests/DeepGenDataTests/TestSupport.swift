import Foundation
import Testing
@testable import DeepGenData

enum Paths {
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// PngSuite with its expected pixels (`Scripts/pngsuite_references.py` made the fixture).
    static let pngSuite = fixture("pngsuite")

    /// A fresh empty folder under the temporary directory.
    static func temporaryFolder(_ name: String = #function) throws -> URL {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("deepgen-data-tests-\(safe)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Runs `body` and returns the `DataError` it throws, recording an issue when it throws nothing
/// or another error.
func expectDataError(_ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () throws -> Void) -> DataError? {
    do {
        try body()
        Issue.record("expected a DataError, nothing was thrown \(comment)", sourceLocation: sourceLocation)
    } catch let error as DataError {
        return error
    } catch {
        Issue.record("expected a DataError, got \(error) \(comment)", sourceLocation: sourceLocation)
    }
    return nil
}
