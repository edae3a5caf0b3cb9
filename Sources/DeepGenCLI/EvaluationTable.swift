import DeepGenMetrics
import DeepGenTraining
import Foundation

/// The human-readable table `deepgen eval` prints.
struct EvaluationTable {
    let report: EvaluationReport
    let classNames: [String]?

    var text: String {
        var rows: [(String, String)] = []
        let r = report.results
        func f(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }
        func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
        func featureRows(_ s: FeatureScores, suffix: String) {
            if let fid = s.fid { rows.append(("FID" + suffix, f(fid))) }
            if let kid = s.kid {
                rows.append(("KID" + suffix, String(format: "%.4g ± %.2g", kid.mean, kid.standardDeviation) + " (\(kid.subsets) subsets of \(kid.subsetSize))"))
            }
            if let pr = s.pr {
                rows.append(("precision / recall" + suffix, "\(f(pr.precision, 3)) / \(f(pr.recall, 3)) (k=\(pr.k))"))
                rows.append(("density / coverage" + suffix, "\(f(pr.density, 3)) / \(f(pr.coverage, 3))"))
            }
            if let score = s.score { rows.append(("classifier score" + suffix, "\(f(score.mean)) ± \(f(score.standardDeviation))")) }
        }
        featureRows(FeatureScores(fid: r.fid, kid: r.kid, pr: r.pr, score: r.score), suffix: "")
        if let score = r.score {
            if let real = r.realScore { rows.append(("classifier score, test images", f(real.mean))) }
            let names = score.classHistogram.indices.map { i in classNames.flatMap { $0.indices.contains(i) ? $0[i] : nil } ?? "\(i)" }
            let histogram = zip(names, score.classHistogram).map { "\($0) \(percent($1))" }.joined(separator: ", ")
            rows.append(("class histogram", histogram))
        }
        if let reference = r.reference { featureRows(reference, suffix: ", training images") }
        if let c = r.conditionalAccuracy { rows.append(("samples of their class", percent(c))) }
        if let modes = r.modes {
            let covered = modes.perSeed.map { "\($0.modesCovered)" }.joined(separator: ", ")
            let total = modes.perSeed.first?.modeCount ?? 0
            rows.append(("modes covered", "\(f(modes.meanModesCovered, 1)) of \(total) (seeds \(modes.seeds.map(String.init).joined(separator: ", ")): \(covered))"))
            rows.append(("high-quality samples", percent(modes.meanHighQualityFraction)
                         + " (" + modes.perSeed.map { percent($0.highQualityFraction) }.joined(separator: ", ") + ")"))
            rows.append(("KL(modes ‖ uniform)", f(modes.meanKLFromUniform, 3)))
        }
        if let nll = r.nll {
            let bits = nll.bitsPerDimension.map { ", \(f($0, 4)) bits/dim" } ?? ""
            if nll.exact == true {
                rows.append(("−log p(x), exact", "\(f(nll.negativeLogLikelihood)) nats\(bits) (\(nll.imageCount) test samples)"))
            } else {
                rows.append(("negative ELBO", "\(f(nll.negativeELBO)) nats (mean over \(nll.samples) draws, \(nll.imageCount) test images)"))
                rows.append(("−log p(x), IWAE k=\(nll.samples)", "\(f(nll.negativeLogLikelihood)) nats\(bits)"))
            }
        }
        if let kl = r.kl {
            rows.append(("KL(q‖p)", "\(f(kl, 4)) nats (\(r.klSamples ?? 0) samples)"))
        }
        for t in r.translation ?? [] {
            var parts = ["cycle L1 \(f(t.cycleL1, 4))"]
            if let share = t.targetClassShare { parts.insert("target class \(percent(share))", at: 0) }
            if let fid = t.fid { parts.append("FID \(f(fid))") }
            rows.append(("translation \(t.direction) (\(t.imageCount))", parts.joined(separator: ", ")))
        }
        if let a = r.accuracy { rows.append(("test accuracy", String(format: "%.2f%%", 100 * a))) }
        let width = max(rows.map { $0.0.count }.max() ?? 0, 6)
        var lines = ["\(report.model) on \(report.dataset)" + (report.epoch.map { ", epoch \($0)" } ?? "")
                     + (report.extractor.map { "; features: \($0)" } ?? "")]
        for (name, value) in rows { lines.append(name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + value) }
        lines.append(String(format: "(%.1f s)", report.seconds))
        return lines.joined(separator: "\n")
    }
}
