import Foundation

/// Whole-file reads and writes that report failures as ``DataError`` naming the path.
enum FileBytes {
    static func read(_ url: URL) throws -> [UInt8] {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError.io(file: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw DataError.io(file: path, reason: "is a folder, not a file") }
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw DataError.io(file: path, reason: "\(error.localizedDescription)")
        }
    }

    static func write(_ bytes: [UInt8], to url: URL) throws {
        do {
            let folder = url.deletingLastPathComponent()
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw DataError.io(file: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
