import DeepGen

extension Checkpoint {
    /// Adds `optimizer`'s state tensors and metadata, each name prefixed with `prefix`.
    public mutating func store<O: Optimizer>(_ optimizer: O, under prefix: String = "optimizer.") {
        insert(optimizer.stateTensors(), under: prefix)
        for (key, value) in optimizer.stateMetadata() { metadata[prefix + key] = value }
    }

    /// Restores `optimizer` from the state stored under `prefix`.
    ///
    /// - Throws: ``OptimizerStateError`` naming this checkpoint's file and every problem.
    public func restore<O: Optimizer>(_ optimizer: inout O, under prefix: String = "optimizer.") throws {
        var saved: [String: String] = [:]
        for (key, value) in metadata where key.hasPrefix(prefix) { saved[String(key.dropFirst(prefix.count))] = value }
        do {
            try optimizer.loadState(tensors: tensors(under: prefix), metadata: saved)
        } catch var e as OptimizerStateError {
            e.file = source
            throw e
        }
    }
}
