import DeepGen
import Foundation

/// A log-magnitude spectrogram: Hann-windowed frames, their discrete Fourier transform as one
/// matrix product with a table of cosines and sines, magnitudes in decibels relative to full
/// scale (a full-scale sine peaks near 0 dB), floored at `floor`.
public struct Spectrogram: Sendable {
    /// `[bins, frames]`, row 0 the lowest frequency.
    public let decibels: Tensor
    public let frameLength: Int, hop: Int
    public var bins: Int { decibels.shape[0] }
    public var frames: Int { decibels.shape[1] }

    /// - Parameters:
    ///   - samples: mono audio; frames start every `hop` samples, the last one padded with zeros.
    ///   - frameLength: samples per frame (256: 32 ms at 8 kHz, 31.25 Hz per bin).
    public init(_ samples: [Float], frameLength: Int = 256, hop: Int = 64, floor: Float = -100) {
        precondition(frameLength >= 2 && hop >= 1, "[Spectrogram] frame length \(frameLength) and hop \(hop)")
        self.frameLength = frameLength
        self.hop = hop
        let bins = frameLength / 2 + 1
        let frames = Swift.max(1, (samples.count - frameLength + hop - 1) / hop + 1)
        let window = (0..<frameLength).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(frameLength)) }
        var framed = [Float](repeating: 0, count: frames * frameLength)
        for f in 0..<frames {
            for i in 0..<frameLength where f * hop + i < samples.count {
                framed[f * frameLength + i] = Float(Double(samples[f * hop + i]) * window[i])
            }
        }
        let spectra = Tensor(shape: [frames, frameLength], scalars: framed).matmul(frameLength == SpectrogramImages.frameLength ? SpectrogramImages.table : Self.fourierTable(frameLength), transposeOther: true)
        // A full-scale sine's bin holds A·N/4 with a Hann window; divide by that.
        let scale = 4 / Double(frameLength)
        let s = spectra.scalars
        var out = [Float](repeating: floor, count: bins * frames)
        for f in 0..<frames {
            for k in 0..<bins {
                let re = Double(s[f * 2 * bins + k]), im = Double(s[f * 2 * bins + bins + k])
                let magnitude = (re * re + im * im).squareRoot() * scale
                out[k * frames + f] = Swift.max(floor, Float(20 * log10(Swift.max(magnitude, 1e-30))))
            }
        }
        decibels = Tensor(shape: [bins, frames], scalars: out)
    }

    /// `[2·bins, frameLength]`: cosines then sines of each bin's frequency.
    static func fourierTable(_ n: Int) -> Tensor {
        let bins = n / 2 + 1
        var table = [Float](repeating: 0, count: 2 * bins * n)
        for k in 0..<bins {
            for i in 0..<n {
                let angle = 2 * Double.pi * Double(k * i % n) / Double(n)
                table[k * n + i] = Float(cos(angle))
                table[(bins + k) * n + i] = Float(-sin(angle))
            }
        }
        return Tensor(shape: [2 * bins, n], scalars: table)
    }

    /// The spectrogram as a `[1, bins, frames]` image in [−1, 1] (high frequencies at the top):
    /// `floor` dB is −1, 0 dB is 1.
    public func image(floor: Float = -100) -> Tensor {
        let (b, f) = (bins, frames), values = decibels.scalars
        var pixels = [Float](repeating: -1, count: b * f)
        for k in 0..<b {
            for t in 0..<f {
                let v = (values[k * f + t] - floor) / -floor
                pixels[(b - 1 - k) * f + t] = Swift.min(1, Swift.max(0, v)) * 2 - 1
            }
        }
        return Tensor(shape: [1, b, f], scalars: pixels)
    }

    /// A PNG grid of the spectrograms of `clips` (each padded to the longest), `columns` to a row.
    public static func gridPNG(_ clips: [[Float]], columns: Int = 2) throws -> (png: [UInt8], height: Int, width: Int, channels: Int) {
        let images = clips.map { Spectrogram($0).image() }
        let frames = images.map { $0.shape[2] }.max() ?? 1, bins = images.first?.shape[1] ?? 1
        // Shorter clips end in black (the floor), not mid-grey.
        let padded = images.map { ($0 + 1).padded([(0, 0), (0, 0), (0, frames - $0.shape[2])]) - 1 }
        let batch = Tensor.stack(padded, axis: 0).reshaped([clips.count, 1, bins, frames])
        let grid = try ImageGrid(batch, nrow: Swift.max(1, Swift.min(columns, clips.count)), padding: 2, range: .minusOneToOne)
        return (try grid.pngData(), grid.height, grid.width, grid.channels)
    }
}

/// What the audio classifier sees: each window's log-magnitude spectrogram (32 ms frames every
/// 8 ms, −100 dB to 0 dB as −1 to 1, the Nyquist bin dropped) averaged over blocks of 4 × 4, a
/// one-channel image of 32 frequency rows (125 Hz each at 8 kHz) by a multiple of 4 columns
/// (32 ms each). The averaging keeps the classifier's dense layer as small as Fashion-MNIST's
/// (a 1 s window is 32 × 28); at full resolution its fan-in was 61,440, and Adam's first steps
/// silenced every ReLU.
public enum SpectrogramImages {
    public static let frameLength = 256, hop = 64, bins = 128, block = 4, floor: Float = -100

    /// Columns of the image of a window of `length` samples, a multiple of 4 (the classifier
    /// halves each side twice); 0 when it is too short.
    public static func columns(windowLength length: Int) -> Int {
        guard length >= frameLength else { return 0 }
        return ((length - frameLength) / hop + 1) / block / 4 * 4
    }

    /// The shortest window with an image: 16 frames.
    public static var minimumWindow: Int { frameLength + (4 * block - 1) * hop }

    /// `[1, 32, columns]` for windows of `length` samples.
    public static func shape(windowLength length: Int) -> [Int] { [1, bins / block, columns(windowLength: length)] }

    /// Images `[N, 1, 32, columns]` of windows `[N, 1, L]` (or `[N, L]`): all frames of all
    /// windows in one product with the Fourier table.
    public static func images(_ windows: Tensor) -> Tensor {
        let n = windows.shape[0], length = windows.count / Swift.max(n, 1), columns = columns(windowLength: length)
        precondition(columns > 0, "[SpectrogramImages] windows of \(length) samples are shorter than \(minimumWindow)")
        let f = columns * block, rows = bins / block
        let samples = windows.scalars
        let window = (0..<frameLength).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(frameLength))) }
        var framed = [Float](repeating: 0, count: n * f * frameLength)
        for i in 0..<n {
            for t in 0..<f {
                let src = i * length + t * hop, dst = (i * f + t) * frameLength
                for k in 0..<frameLength { framed[dst + k] = samples[src + k] * window[k] }
            }
        }
        let spectra = Tensor(shape: [n * f, frameLength], scalars: framed).matmul(table, transposeOther: true).scalars
        let all = frameLength / 2 + 1, scale = 4 / Double(frameLength)
        var pixels = [Float](repeating: 0, count: n * rows * columns)
        for i in 0..<n {
            for t in 0..<f {
                let row = (i * f + t) * 2 * all
                for k in 0..<bins {
                    let re = Double(spectra[row + k]), im = Double(spectra[row + all + k])
                    let db = Float(20 * log10(Swift.max((re * re + im * im).squareRoot() * scale, 1e-30)))
                    let v = Swift.min(1, (Swift.max(floor, db) - floor) / -floor) * 2 - 1
                    pixels[(i * rows + (rows - 1 - k / block)) * columns + t / block] += v / Float(block * block)
                }
            }
        }
        return Tensor(shape: [n, 1, rows, columns], scalars: pixels)
    }

    static let table = Spectrogram.fourierTable(frameLength)
}
