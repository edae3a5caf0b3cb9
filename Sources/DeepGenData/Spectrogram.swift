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
        let spectra = Tensor(shape: [frames, frameLength], scalars: framed).matmul(Self.fourierTable(frameLength), transposeOther: true)
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
