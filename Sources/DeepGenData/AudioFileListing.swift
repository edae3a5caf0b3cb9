import Foundation

/// Finding and reading the audio files of a folder.
enum AudioFileListing {
    /// The extensions of files libsndfile reads that an audio folder's listing takes (lowercase).
    static let extensions: Set<String> = ["wav", "wave", "flac", "ogg", "oga", "aif", "aiff", "aifc", "au", "snd", "caf", "w64"]

    /// Whether `url` is an existing folder.
    static func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The paths, relative to `folder` and sorted, of its files whose extension is in
    /// `extensions` (and of its subfolders' when `recursive`), hidden files and folders skipped.
    /// - Throws: ``DataError/io(file:reason:)`` when the folder is missing or cannot be listed.
    static func files(in folder: URL, recursive: Bool, extensions: Set<String> = extensions) throws -> [String] {
        guard isFolder(folder) else { throw DataError.io(file: folder.path, reason: "no such folder") }
        let names: [String]
        do {
            if recursive {
                guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else {
                    throw DataError.io(file: folder.path, reason: "cannot list folder")
                }
                names = enumerator.compactMap { $0 as? String }
            } else {
                names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            }
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError.io(file: folder.path, reason: "cannot list folder: \(error.localizedDescription)")
        }
        return names.filter { name in
            !name.split(separator: "/").contains { $0.hasPrefix(".") }
                && extensions.contains((name as NSString).pathExtension.lowercased())
        }.sorted()
    }

    /// Reads `urls` as mono clips at `sampleRate` (their own rate when `nil`), in parallel.
    /// - Throws: the error of the first file in list order that cannot be read.
    static func readClips(_ urls: [URL], sampleRate: Int?) throws -> [AudioClip] {
        var results = [Result<AudioClip, Error>?](repeating: nil, count: urls.count)
        // Interleaved slices: a few per core keep both cores busy without a task per file.
        let slices = Swift.min(urls.count, ProcessInfo.processInfo.activeProcessorCount * 4)
        results.withUnsafeMutableBufferPointer { buffer in
            let out = buffer
            DispatchQueue.concurrentPerform(iterations: slices) { slice in
                for i in stride(from: slice, to: urls.count, by: slices) {
                    out[i] = Result { try AudioFile.read(urls[i], sampleRate: sampleRate) }
                }
            }
        }
        return try results.map { try $0!.get() }
    }
}
