#!/usr/bin/env python3
"""Prints the Markdown table rows of docs/RESULTS.md from `deepgen eval` reports, so every figure
there is copied by a program from the JSON the evaluation wrote.

Usage: python3 Scripts/results_tables.py images RUN_OR_JSON...   # FID, KID, precision/recall, score
       python3 Scripts/results_tables.py nll RUN_OR_JSON...      # VAE likelihoods
       python3 Scripts/results_tables.py modes RUN_OR_JSON...    # 2-D mode coverage
       python3 Scripts/results_tables.py flows RUN_OR_JSON...    # exact NLL and bits/dim (+ modes)
       python3 Scripts/results_tables.py kl RUN...               # planar/radial: last epoch's KL(q||p),
                                                                 # runs NAME-s1, NAME-s2 … averaged with NAME
       python3 Scripts/results_tables.py translation RUN_OR_JSON...
       python3 Scripts/results_tables.py audio RUN_OR_JSON...    # wavenet: test NLL, generated digits
       python3 Scripts/results_tables.py audio-curve JSON...     # the same, one column per epoch
       python3 Scripts/results_tables.py epoch-times RUN         # each epoch's wall time, from the
                                                                 # run's TensorBoard events (needs tensorboard)
A RUN is a run folder (its eval.json is read).
"""
import json
import os
import re
import statistics
import sys


def load(path):
    if os.path.isdir(path):
        path = os.path.join(path, "eval.json")
    with open(path) as f:
        # `deepgen eval` writes non-finite numbers as the strings "nan", "inf", "-inf".
        return json.load(f, object_hook=lambda d: {k: float(v) if v in ("nan", "inf", "-inf") else v for k, v in d.items()})


def images(report, name):
    r = report["results"]
    rows = []
    def row(label, fid, kid, pr, score):
        cells = [label,
                 f"{fid:.1f}" if fid is not None else "–",
                 f"{kid['mean']:.1f} ± {kid['standardDeviation']:.1f}" if kid else "–",
                 f"{pr['precision']:.3f}" if pr else "–", f"{pr['recall']:.3f}" if pr else "–",
                 f"{pr['density']:.3f}" if pr else "–", f"{pr['coverage']:.3f}" if pr else "–",
                 f"{score['mean']:.2f}" if score else "–"]
        rows.append("| " + " | ".join(cells) + " |")
    row(name, r.get("fid"), r.get("kid"), r.get("pr"), r.get("score"))
    ref = r.get("reference")
    if ref:
        row("training images (reference)", ref.get("fid"), ref.get("kid"), ref.get("pr"), ref.get("score"))
    if r.get("conditionalAccuracy") is not None:
        rows.append(f"<!-- {name}: samples classified as their conditioning class {100 * r['conditionalAccuracy']:.1f}% -->")
    if r.get("realScore"):
        rows.append(f"<!-- test images' classifier score {r['realScore']['mean']:.2f} -->")
    return rows


def nll(report, name):
    n = report["results"]["nll"]
    return [f"| {name} | {n['negativeELBO']:.2f} | {n['negativeLogLikelihood']:.2f} | {n['samples']} | {n['imageCount']} |"]


def modes(report, name):
    m = report["results"]["modes"]
    per = m["perSeed"]
    total = per[0]["modeCount"]
    covered = ", ".join(str(p["modesCovered"]) for p in per)
    hq = ", ".join(f"{100 * p['highQualityFraction']:.1f}" for p in per)
    return [f"| {name} | {m['meanModesCovered']:.2f} of {total} ({covered}) | {100 * m['meanHighQualityFraction']:.1f}% ({hq}) | {m['meanKLFromUniform']:.4f} |"]


def flows(report, name):
    r = report["results"]
    n = r["nll"]
    m = r.get("modes")
    if m:
        covered = ", ".join(str(p["modesCovered"]) for p in m["perSeed"])
        modes_cell = f"{m['meanModesCovered']:.2f} of {m['perSeed'][0]['modeCount']} ({covered})"
        hq_cell = f"{100 * m['meanHighQualityFraction']:.1f}%"
    else:
        modes_cell, hq_cell = "–", "–"
    return [f"| {name} | {n['negativeLogLikelihood']:.3f} | {n['bitsPerDimension']:.3f} | {n['imageCount']} | {modes_cell} | {hq_cell} |"]


def last_kl(path):
    """The last epoch (1-based) and its test_kl from a run's metrics.csv."""
    with open(os.path.join(path, "metrics.csv")) as f:
        rows = [line.rstrip("\n").split(",") for line in f]
    column = rows[0].index("test_kl")
    values = [(r[1], float(r[column])) for r in rows[1:] if column < len(r) and r[column]]
    epoch, kl = values[-1]
    return int(epoch) + 1, kl


def kl_rows(paths):
    """One row per run name, runs NAME-s1, NAME-s2, … (other seeds) joining NAME's: the mean
    KL and each seed's in order."""
    groups = {}
    for path in paths:
        name = re.sub(r"-s\d+$", "", os.path.basename(os.path.normpath(path)))
        groups.setdefault(name, []).append(last_kl(path))
    for name, runs in groups.items():
        kls = [kl for _, kl in runs]
        each = ", ".join(f"{kl:.3f}" for kl in kls)
        yield f"| {name} | {runs[0][0]} | {sum(kls) / len(kls):.3f} ({each}) |"


def translation(report, name):
    rows = []
    for t in report["results"]["translation"]:
        share = f"{100 * t['targetClassShare']:.1f}%" if t.get("targetClassShare") is not None else "–"
        fid = f"{t['fid']:.1f}" if t.get("fid") is not None else "–"
        rows.append(f"| {name} {t['direction']} | {t['imageCount']} | {share} | {t['cycleL1']:.4f} | {fid} |")
    return rows


def audio_cells(report):
    """Test NLL, the training clips' NLL, the share classified as their digit, the Fréchet
    distance and the silent clips of one `deepgen eval` report of an audio model."""
    g = report.get("generated") or {}
    training = report.get("training")
    accuracy = g.get("conditional_accuracy")
    return {
        "test NLL (bits/sample)": f"{report['test']['bits_per_sample']:.4f}",
        "training clips (bits/sample)": f"{training['bits_per_sample']:.4f}" if training else "–",
        "classified as their digit": f"{100 * accuracy:.1f}%" if accuracy is not None else "–",
        "Fréchet distance": f"{g['frechet_distance']:.1f}" if "frechet_distance" in g else "–",
        f"silent clips (of {g.get('clips', '–')})": str(g["silent_clips"]) if "silent_clips" in g else "–",
    }


def audio(report, name):
    g = report.get("generated") or {}
    rows = ["| " + " | ".join([name] + list(audio_cells(report).values())) + " |"]
    if g.get("accuracy_by_class"):
        by = ", ".join(f"{k} {100 * v:.0f}%" for k, v in sorted(g["accuracy_by_class"].items()))
        rows.append(f"<!-- {name}: by class {by}; predicted classes {' '.join(map(str, g['class_histogram']))}; "
                    f"median RMS {g['median_rms']:.4f} -->")
    return rows


def audio_curve(paths):
    """One column per report (ordered by epoch), one row per figure."""
    reports = sorted((load(p) for p in paths), key=lambda r: r.get("epoch") or 0)
    cells = [audio_cells(r) for r in reports]
    yield "| epoch | " + " | ".join(str(r.get("epoch", "?")) for r in reports) + " |"
    yield "| --- " * (len(reports) + 1) + "|"
    for key in cells[0]:
        yield f"| {key} | " + " | ".join(c[key] for c in cells) + " |"


def epoch_times(run):
    """Each epoch's wall time (its steps and its end: preview, test metrics, checkpoint), from the
    wall times of the learning-rate scalar TensorBoard gets every step, and their median."""
    import glob
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    times, epochs = {}, {}
    with open(os.path.join(run, "metrics.csv")) as f:
        for line in list(f)[1:]:
            step, epoch = line.split(",")[:2]
            epochs[int(step)] = int(epoch)
    for path in sorted(glob.glob(os.path.join(run, "events.out.tfevents.*"))):
        for e in EventFileLoader(path).Load():
            for v in (e.summary.value if e.HasField("summary") else []):
                if v.tag == "learning_rate":
                    times[e.step] = e.wall_time
    last = {}
    for step in sorted(times):
        last[epochs.get(step, 0)] = times[step]
    start = times[min(times)]
    durations = []
    for epoch in sorted(last):
        durations.append(last[epoch] - start)
        start = last[epoch]
        yield f"epoch {epoch + 1}: {durations[-1]:.0f} s"
    yield f"median {statistics.median(durations):.0f} s, total {sum(durations) / 60:.1f} min"


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("images", "nll", "modes", "flows", "kl", "translation", "audio", "audio-curve", "epoch-times"):
        sys.exit(__doc__)
    kind = sys.argv[1]
    if kind in ("kl", "audio-curve"):
        for line in (kl_rows if kind == "kl" else audio_curve)(sys.argv[2:]):
            print(line)
        return
    if kind == "epoch-times":
        for line in epoch_times(sys.argv[2]):
            print(line)
        return
    for path in sys.argv[2:]:
        report = load(path)
        name = os.path.basename(os.path.normpath(path)).replace(".json", "")
        for line in globals()[kind](report, name):
            print(line)


if __name__ == "__main__":
    main()
