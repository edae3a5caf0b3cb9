import CDeepGenAudio

extension AudioClip {
    /// Why clips cannot be resampled on this machine (libsamplerate is missing), or `nil` when
    /// they can.
    public static var resamplingUnavailableReason: String? {
        var message = [CChar](repeating: 0, count: 512)
        return dg_audio_samplerate_status(&message, message.count) == Int32(DG_AUDIO_OK) ? nil : String(cString: message)
    }

    /// The clip at another sample rate, converted by libsamplerate's best sinc resampler
    /// (band-limited, so downsampling does not alias). The result has
    /// `round(count · rate / sampleRate)` samples, or a few fewer for a very short clip.
    ///
    /// - Throws: ``DataError/invalidArgument(_:)`` ("cannot resample X Hz to Y Hz: …") for a
    ///   ratio libsamplerate refuses (beyond 256 either way) or a missing libsamplerate.
    public func resampled(to rate: Int) throws -> AudioClip {
        guard rate != sampleRate else { return self }
        let what = "cannot resample \(sampleRate) Hz to \(rate) Hz"
        guard rate > 0, sampleRate > 0 else { throw DataError.invalidArgument("\(what): rates must be positive") }
        guard !samples.isEmpty else { return AudioClip(samples: [], sampleRate: rate) }
        var message = [CChar](repeating: 0, count: 512)
        var output: UnsafeMutablePointer<Float>?
        var frames: Int64 = 0
        let status = dg_audio_resample(samples, Int64(samples.count), Double(rate) / Double(sampleRate),
                                       &output, &frames, &message, message.count)
        defer { dg_audio_free(output) }
        guard status == Int32(DG_AUDIO_OK), let output else {
            throw DataError.invalidArgument("\(what): \(String(cString: message))")
        }
        return AudioClip(samples: Array(UnsafeBufferPointer(start: output, count: Int(frames))), sampleRate: rate)
    }
}
