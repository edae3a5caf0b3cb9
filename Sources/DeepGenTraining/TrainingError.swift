import Foundation

/// Why training stopped or could not start, with a message for the user.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case invalidRun(String)
    case invalidConfiguration(String)
    /// A loss, gradient or weight turned NaN or infinite; nothing non-finite was written.
    case diverged(Divergence)
    /// A file of the run could not be written (a full disk, a permission); what was written before is intact.
    case cannotWrite(String)
    /// A data-parallel run lost a process or could not start on every one.
    case distributed(String)

    public var description: String {
        switch self {
        case .invalidRun(let m): return "invalid run folder: \(m)"
        case .invalidConfiguration(let m): return "invalid configuration: \(m)"
        case .diverged(let d): return d.description
        case .cannotWrite(let m): return m
        case .distributed(let m): return m
        }
    }
}

/// Where and how a run diverged, and what it keeps.
public struct Divergence: Equatable, Sendable, CustomStringConvertible {
    /// What turned non-finite: "loss_d is nan", "the gradient of generator.main.0.weight is inf".
    public var what: String
    /// The global step (1-based) and the epoch (0-based) it happened in.
    public var step: Int
    public var epoch: Int
    /// The run folder.
    public var run: String
    /// The checkpoint kept (the last one written), with its step; `nil` when none was written yet.
    public var kept: (path: String, step: Int)?
    /// The command that starts the run again (for a run without a checkpoint).
    public var restart: String?

    public init(what: String, step: Int, epoch: Int, run: String, kept: (path: String, step: Int)? = nil, restart: String? = nil) {
        self.what = what
        self.step = step
        self.epoch = epoch
        self.run = run
        self.kept = kept
        self.restart = restart
    }

    public static func == (a: Divergence, b: Divergence) -> Bool {
        a.what == b.what && a.step == b.step && a.epoch == b.epoch && a.run == b.run
            && a.kept?.path == b.kept?.path && a.kept?.step == b.kept?.step && a.restart == b.restart
    }

    public var description: String {
        var text = "training diverged at step \(step) (epoch \(epoch + 1)): \(what); nothing non-finite was written."
        if let kept {
            text += " The last good checkpoint, \(kept.path) (step \(kept.step)), is kept. Resuming repeats the same steps"
                + " (a run is deterministic): start a new run with other settings (a lower --lr, say)."
        } else {
            text += " No checkpoint had been written yet; "
                + (restart.map { "`\($0)` starts the run again in the same folder." } ?? "start the run again in the same folder.")
        }
        return text
    }
}
