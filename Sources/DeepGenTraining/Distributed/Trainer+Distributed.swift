import DeepGen
import Foundation

extension Trainer {
    /// This process's trainer in a data-parallel run (`mpirun -np N deepgen train …`): rank 0
    /// makes the run with `primary` (a new run, or one resumed from its folder) and sends its
    /// whole state (weights, optimizer, position, generator, configuration); every other rank
    /// builds the same trainer from it in `scratch` (rank 0 needs none), where nothing is kept. So
    /// every process starts from rank 0's weights, and only rank 0 needs the run folder. Every process then
    /// learns whether all could start, and a failure on any stops all of them, each with a message
    /// (the failing one's says why), instead of leaving the others waiting.
    public static func joining(_ group: MPICommunicator, scratch: URL?, primary: () throws -> Trainer) throws -> Trainer {
        var trainer: Trainer?, failure: (any Error)?
        var payload: [UInt8] = []
        if group.rank == 0 {
            do {
                let made = try primary()
                payload = [0] + Array(try made.stateCheckpoint().encoded())
                trainer = made
            } catch {
                failure = error
                payload = [1]
            }
        }
        let received: [UInt8]
        do { received = try group.broadcast(payload, from: 0) } catch {
            throw TrainingError.distributed("rank \(group.rank) could not receive the run's state from rank 0: \(error)")
        }
        if group.rank != 0, received.first == 0 {
            do {
                guard let scratch else { throw TrainingError.distributed("rank \(group.rank) was given no scratch folder to train in") }
                let state = try Checkpoint(decoding: Data(received.dropFirst()), source: "the state rank 0 sent")
                trainer = try Trainer(worker: group, state: state, scratch: scratch)
            } catch {
                failure = error
            }
        }
        var failed: [Int32] = [failure == nil && (group.rank == 0 || received.first == 0) ? 0 : 1]
        do { try group.maximum(&failed) } catch {
            throw TrainingError.distributed("rank \(group.rank) lost the other processes while starting: \(error)")
        }
        if let failure { throw failure }
        guard failed[0] == 0, let trainer else {
            throw TrainingError.distributed("rank \(group.rank): another process of the run could not start (its message says why)")
        }
        return trainer
    }
}

extension Trainer {
    /// Checks that every process holds the same weights (they must: each applies the same mean
    /// gradient to the same start), by comparing a hash of their bits; a difference is a bug, and
    /// stops the run before rank 0 writes anything more.
    func verifyReplicas(in group: MPICommunicator, epoch: Int) throws {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for net in model.networks {
            for (_, p) in net.module.namedParameters() {
                p.value.withUnsafeBufferPointer { values in
                    for v in values { hash = (hash ^ UInt64(v.bitPattern)) &* 0x100_0000_01B3 }
                }
            }
        }
        // The largest and the negated smallest of the two halves: all equal exactly when every process's hash is.
        let high = Int32(truncatingIfNeeded: hash >> 32), low = Int32(truncatingIfNeeded: hash)
        var extremes: [Int32] = [high, low, high == .min ? .max : -high, low == .min ? .max : -low]
        let own = extremes
        do { try group.maximum(&extremes) } catch {
            throw TrainingError.distributed("rank \(group.rank) lost the other processes after epoch \(epoch + 1): \(error)")
        }
        guard extremes == own else {
            throw TrainingError.distributed("the \(group.size) processes hold different weights after epoch \(epoch + 1) (a bug in DeepGen's data-parallel training; please report it); training stopped, the last checkpoint is intact")
        }
    }
}
