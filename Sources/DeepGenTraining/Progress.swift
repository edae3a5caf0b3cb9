import Foundation

/// Reports training progress: a redrawn one-line bar with losses, images/s and ETA on a terminal,
/// or plain lines at most every `interval` seconds when output goes to a file or pipe.
public final class ProgressReporter {
    public let isTerminal: Bool
    public let interval: TimeInterval
    private let output: FileHandle
    private var lastPrint = Date.distantPast
    private var windowStart = Date()
    private var windowImages = 0
    private var imagesPerSecond: Double = 0
    /// What a rate counts: `img/s` by default; audio counts samples (`perItem` of them per window).
    public var rateUnit: (name: String, perItem: Int) = ("img", 1)

    public init(output: FileHandle = .standardOutput, interval: TimeInterval = 10, isTerminal: Bool? = nil) {
        self.output = output
        self.interval = interval
        self.isTerminal = isTerminal ?? (isatty(output.fileDescriptor) != 0)
    }

    /// Records that a step of `images` images finished and prints when due.
    public func step(epoch: Int, epochs: Int, step: Int, stepsPerEpoch: Int, images: Int, losses: [(String, Float)]) {
        let now = Date()
        windowImages += images
        let elapsed = now.timeIntervalSince(windowStart)
        if elapsed >= 1 {
            imagesPerSecond = Double(windowImages) / elapsed
            windowImages = 0
            windowStart = now
        }
        let done = step + 1 == stepsPerEpoch
        guard isTerminal ? now.timeIntervalSince(lastPrint) >= 0.1 || done : now.timeIntervalSince(lastPrint) >= interval || done else { return }
        lastPrint = now
        let remainingSteps = (epochs - epoch - 1) * stepsPerEpoch + (stepsPerEpoch - step - 1)
        let perStep = imagesPerSecond > 0 ? Double(images) / imagesPerSecond : 0
        let eta = ProgressReporter.format(seconds: Double(remainingSteps) * perStep)
        let lossText = losses.map { "\($0.0) \(String(format: "%.4f", $0.1))" }.joined(separator: "  ")
        let rate = String(format: "%.0f %@/s", imagesPerSecond * Double(rateUnit.perItem), rateUnit.name)
        if isTerminal {
            let width = 24, filled = (step + 1) * width / max(stepsPerEpoch, 1)
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            write("\r\u{1B}[2Kepoch \(epoch + 1)/\(epochs) \(bar) \(step + 1)/\(stepsPerEpoch)  \(lossText)  \(rate)  ETA \(eta)" + (done ? "\n" : ""))
        } else {
            write("epoch \(epoch + 1)/\(epochs) step \(step + 1)/\(stepsPerEpoch)  \(lossText)  \(rate)  ETA \(eta)\n")
        }
    }

    /// Prints a message on its own line.
    public func message(_ text: String) {
        write((isTerminal ? "\r\u{1B}[2K" : "") + text + "\n")
    }

    private func write(_ s: String) { output.write(Data(s.utf8)) }

    static func format(seconds: Double) -> String {
        guard seconds.isFinite, seconds > 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}

/// Turns Ctrl-C into a request to stop after the current step (a second Ctrl-C exits at once).
public enum StopRequest {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    public static var isRequested: Bool { flag != 0 }

    /// Installs the SIGINT handler (and unblocks SIGINT on this thread: a process started from
    /// a thread that blocks signals, as a test runner's worker does, inherits the blocked mask).
    public static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in
            if StopRequest.flag != 0 { _exit(130) }
            StopRequest.flag = 1
        }
    }

    /// Also turns SIGTERM into a stop request: in a data-parallel run, Ctrl-C reaches every rank
    /// and `mpirun`, which then sends each rank SIGTERM (and SIGKILL a moment later, see
    /// `--mca odls_base_sigkill_timeout`); the ranks finish the step together and rank 0 writes
    /// its checkpoint.
    public static func installForTermination() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGTERM) { _ in StopRequest.flag = 1 }
    }

    /// Requests a stop as Ctrl-C would (for tests and embedding code).
    public static func request() { flag = 1 }
    public static func reset() { flag = 0 }
}
