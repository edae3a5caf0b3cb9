import Foundation

/// Files that ship with DeepGen (the bundled classifiers, tiny Shakespeare), found without
/// SwiftPM's `Bundle.module`, which aborts the process when the resource folder is not next to
/// the binary.
public enum BundledResource {
    /// SwiftPM's resource bundle of the target holding them (`Sources/DeepGenTraining/Resources`).
    static let bundleName = "DeepGen_DeepGenTraining.resources"

    /// The folders searched, in order: `$DEEPGEN_RESOURCES`, the resource bundle beside the
    /// executable (or the test bundle), then the source tree this was built from.
    public static var searchFolders: [URL] {
        var folders: [URL] = []
        if let env = ProcessInfo.processInfo.environment["DEEPGEN_RESOURCES"] { folders.append(URL(fileURLWithPath: env)) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for base in [Bundle.main.bundleURL, executable, Bundle.main.bundleURL.deletingLastPathComponent()] {
            folders.append(base.appendingPathComponent(bundleName).appendingPathComponent("Resources"))
            folders.append(base.appendingPathComponent(bundleName))
        }
        folders.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("DeepGenTraining").appendingPathComponent("Resources"))
        return folders
    }

    /// The first of ``searchFolders`` holding `file`, or `nil`.
    public static func url(_ file: String) -> URL? {
        searchFolders.map { $0.appendingPathComponent(file) }.first { FileManager.default.fileExists(atPath: $0.path) }
    }
}
