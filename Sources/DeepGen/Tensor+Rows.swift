import DeepGenKernels

/// Row indices, boxed so a gather and its adjoint share one copy.
final class RowIndices: @unchecked Sendable {
    let indices: [Int32]
    init(_ indices: [Int32]) { self.indices = indices }
}

// Picking rows of a table (an embedding lookup) and its adjoint, a scatter-add of rows: each is
// the other's gradient, so embeddings get their gradient without a one-hot matrix product.

extension Tensor {
    /// Rows `indices` of a `[rows, width]` table: `[indices.count, width]` (`nn.Embedding`'s lookup).
    /// The gradient adds each output row's gradient into its table row.
    public func gatheringRows(_ indices: [Int]) -> Tensor {
        precondition(rank == 2, "[gatheringRows] the table must be [rows, width], got \(shape)")
        let rows = shape[0]
        for i in indices { precondition(i >= 0 && i < rows, "[gatheringRows] index \(i) outside 0..<\(rows)") }
        return Tensor.gatherRows(self, RowIndices(indices.map(Int32.init)))
    }

    static func gatherRows(_ table: Tensor, _ map: RowIndices) -> Tensor {
        let width = table.shape[1], n = map.indices.count
        let out = Tensor(uninitializedShape: [n, width])
        let pt = table.storage.pointer, po = out.storage.pointer
        map.indices.withUnsafeBufferPointer { idx in
            Parallel.forEachChunk(n, minChunk: Swift.max(1, 16384 / Swift.max(width, 1))) { _, r in
                for i in r { (po + i * width).update(from: pt + Int(idx[i]) * width, count: width) }
            }
        }
        let rows = table.shape[0]
        return record("gatherRows", out, inputs: [table]) { g in [scatterAddRows(g, map, rows: rows)] }
    }

    /// The adjoint of ``gatheringRows(_:)``: `out[indices[i]] += self[i]` into `rows` zero rows.
    /// Rows are added in index order on one thread per output row range, so the sums do not
    /// depend on the thread count.
    static func scatterAddRows(_ g: Tensor, _ map: RowIndices, rows: Int) -> Tensor {
        let width = g.shape[1]
        let out = Tensor(zeros: [rows, width])
        let pg = g.storage.pointer, po = out.storage.pointer
        map.indices.withUnsafeBufferPointer { idx in
            // Each chunk owns a range of table rows and scans every index, so no two threads add to one row.
            Parallel.forEachChunk(rows, minChunk: Swift.max(1, rows / 2)) { _, r in
                for i in 0..<idx.count {
                    let row = Int(idx[i])
                    guard r.contains(row) else { continue }
                    let dst = po + row * width, src = pg + i * width
                    for j in 0..<width { dst[j] += src[j] }
                }
            }
        }
        return record("scatterAddRows", out, inputs: [g]) { u in [gatherRows(u, map)] }
    }
}
