import Foundation
import Testing
@testable import DeepGenTraining

func temporaryDirectory() -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deepgen-test-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

@Suite struct RunFilesTests {
    @Test func metricsLogAppendsAndTruncatesOnResume() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("metrics.csv")
        do {
            let log = try MetricsLog(url: url, columns: ["loss_g", "loss_d"])
            for s in 1...4 { try log.append(step: s, epoch: 0, values: ["loss_g": Float(s), "loss_d": 0.5]) }
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "step,epoch,loss_g,loss_d\n1,0,1.0,0.5\n2,0,2.0,0.5\n3,0,3.0,0.5\n4,0,4.0,0.5\n")
        do {
            let log = try MetricsLog(url: url, columns: ["loss_g", "loss_d"], truncateAfterStep: 2)
            try log.append(step: 3, epoch: 0, values: ["loss_g": 9])
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "step,epoch,loss_g,loss_d\n1,0,1.0,0.5\n2,0,2.0,0.5\n3,0,9.0,\n")
        #expect(throws: TrainingError.self) { try MetricsLog(url: url, columns: ["other"], truncateAfterStep: 1) }
    }

    @Test func plainProgressLinesWhenNotATerminal() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("out.txt")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        let p = ProgressReporter(output: handle, interval: 3600)
        #expect(!p.isTerminal)
        for s in 0..<5 { p.step(epoch: 0, epochs: 2, step: s, stepsPerEpoch: 5, images: 8, losses: [("g", 1.25)]) }
        try handle.close()
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        // The first step prints (nothing printed yet), then only the epoch's last step.
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("epoch 1/2 step 1/5  g 1.2500"))
        #expect(lines[1].hasPrefix("epoch 1/2 step 5/5  g 1.2500"))
        #expect(!lines[1].contains("\u{1B}"))
    }

    @Test func etaFormatting() {
        #expect(ProgressReporter.format(seconds: 75) == "01:15")
        #expect(ProgressReporter.format(seconds: 3725) == "1:02:05")
        #expect(ProgressReporter.format(seconds: .nan) == "--:--")
    }
}
