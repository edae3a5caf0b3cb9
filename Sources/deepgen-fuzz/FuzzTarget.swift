import DeepGenData

/// The readers under test. Each must return or throw a `DataError` for any input, never crash.
enum FuzzTarget: String, CaseIterable {
    case idx, png, jpeg, npy

    /// Parses `bytes` with this reader; errors are the expected outcome for most inputs.
    func run(_ bytes: [UInt8]) {
        do {
            switch self {
            case .idx:
                _ = try IDXArray.parse(bytes, file: "fuzz.idx", maxDecompressedBytes: 1 << 26)
            case .png:
                let image = try ImageCodec.decodePNG(bytes, file: "fuzz.png", maxSamples: 1 << 20)
                _ = image.rgba8()
            case .jpeg:
                _ = try ImageCodec.decodeJPEG(bytes, file: "fuzz.jpg", maxSamples: 1 << 20)
            case .npy:
                let array = try NPYArray.parse(bytes, file: "fuzz.npy")
                // What was read must write back to bytes that read back identically (compared as
                // bytes: NaN payloads make == unreliable for floats).
                let bytes = array.encoded()
                let again = try NPYArray.parse(bytes, file: "re.npy")
                precondition(again.encoded() == bytes, "npy round trip changed the array")
            }
        } catch is DataError {
            return
        } catch {
            fatalError("\(self) reader threw a non-DataError: \(error)")
        }
    }
}
