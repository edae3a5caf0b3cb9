import Foundation

/// Time the hypervisor gave to other guests while this virtual machine's CPUs wanted to run
/// (`steal` in /proc/stat): on a shared cloud machine a benchmark slows by about that share with
/// nothing else running on the machine itself, so a figure taken under it is disturbed.
struct StealTime {
    let steal: UInt64
    let total: UInt64

    /// The steal and total jiffies of the CPUs this process may run on; `nil` where the kernel
    /// does not report them (not Linux, or no steal field).
    static func sample() -> StealTime? {
        #if os(Linux)
        let allowed = allowedCPUs()
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        var steal: UInt64 = 0, total: UInt64 = 0, found = false
        for line in text.split(separator: "\n") where line.hasPrefix("cpu") && !line.hasPrefix("cpu ") {
            let fields = line.split(separator: " ")
            guard let cpu = Int(fields[0].dropFirst(3)), allowed?.contains(cpu) ?? true else { continue }
            let values = fields.dropFirst().prefix(8).compactMap { UInt64($0) }
            guard values.count == 8 else { return nil }
            steal += values[7]
            total += values.reduce(0, +)
            found = true
        }
        return found ? StealTime(steal: steal, total: total) : nil
        #else
        return nil
        #endif
    }

    /// The CPUs this process may run on, from `Cpus_allowed_list` in /proc/self/status ("0-3,6").
    private static func allowedCPUs() -> Set<Int>? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        var cpus = Set<Int>()
        for part in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let ends = part.split(separator: "-").compactMap { Int($0) }
            guard let first = ends.first, let last = ends.last, first <= last else { return nil }
            cpus.formUnion(first...last)
        }
        return cpus
    }

    /// The share of the CPUs' time stolen between `earlier` and this sample.
    func share(since earlier: StealTime) -> Double? {
        total > earlier.total ? Double(steal &- earlier.steal) / Double(total - earlier.total) : nil
    }
}
