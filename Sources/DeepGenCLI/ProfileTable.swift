import DeepGen
import Foundation

/// `bench train --profile`'s table: milliseconds per step for each op and shape, largest first;
/// rows under 0.1% of the step are summed into one line.
func profileTable(_ rows: [OpProfiler.Entry], steps: Int) -> String {
    let total = rows.reduce(0) { $0 + $1.seconds }
    guard total > 0, steps > 0 else { return "no profile: no timed step" }
    let perStep = 1000 / Double(steps)
    var lines = [String(format: "Wall time per step, %d timed steps, %.2f ms each:", steps, total * perStep),
                 "phase      op                                            shape                 calls/step   ms/step   share"]
    var restSeconds = 0.0, restRows = 0
    for row in rows {
        guard row.seconds >= total / 1000 else { restSeconds += row.seconds; restRows += 1; continue }
        let shape = row.shape.isEmpty ? "" : "[" + row.shape.map(String.init).joined(separator: ", ") + "]"
        lines.append(String(format: "%@ %@ %@ %10.1f %9.3f %6.1f%%", pad(row.phase.rawValue, 10), pad(row.op, 45), pad(shape, 21),
                            Double(row.calls) / Double(steps), row.seconds * perStep, 100 * row.seconds / total))
    }
    if restRows > 0 {
        lines.append(String(format: "%@ %9.3f %6.1f%%", pad("(\(restRows) rows under 0.1% each)", 89), restSeconds * perStep, 100 * restSeconds / total))
    }
    return lines.joined(separator: "\n")
}

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}
