#!/usr/bin/env python3
"""Where a training step's time goes, op by op, in two configurations side by side: two thread
counts of one build, or two builds at one thread count.

    python3 Scripts/bench/profile_ab.py MODEL [--threads 1,2] [--rounds 3] [--seconds 4]
                                        [--deepgen .build/release/deepgen] [--baseline OTHER_DEEPGEN]
                                        [--rows 25]

Each run is `DEEPGEN bench train MODEL --threads N --seconds S --profile --json` (wall time per
op and output shape, from DeepGen's OpProfiler), pinned to the first N CPUs as ab.py pins. With
two thread counts the sides are the counts (one build); with --baseline the sides are the two
builds at the one thread count given. The sides alternate, A B A B ..., --rounds runs each. The
table gives each key's median milliseconds per step on both sides, their ratio (B / A), and what
the key adds to the difference of the step times, largest first (each time also as a share of its
side's step, which stays comparable when the machine's speed drifts between runs): with threads 1,2 the ratio is
each op's own scaling, and the last column says where the second thread's gain goes missing.
Each run's steal time (its CPUs' time the hypervisor gave to other guests, as ab.py measures it)
is printed with its images/s: on a shared virtual machine it slows every op of a run alike.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ab import steal_times  # noqa: E402


def pinning(count):
    cpus = sorted(os.sched_getaffinity(0))[:count]
    return lambda: os.sched_setaffinity(0, cpus)


def run(deepgen, model, threads, seconds):
    cpus = set(sorted(os.sched_getaffinity(0))[:threads])
    steal0 = steal_times(cpus)
    out = subprocess.run([deepgen, "bench", "train", model, "--threads", str(threads), "--seconds", str(seconds),
                          "--profile", "--json"], capture_output=True, text=True, preexec_fn=pinning(threads))
    if out.returncode != 0:
        sys.exit(f"{deepgen} bench train {model} --threads {threads} failed:\n{out.stderr[-2000:]}")
    steal1 = steal_times(cpus)
    steal = (steal1[0] - steal0[0]) / max(steal1[1] - steal0[1], 1) if steal0 and steal1 else None
    result = next(json.loads(line) for line in reversed(out.stdout.splitlines()) if line.startswith("{"))
    steps = result["steps"]
    rows = {}
    for row in result["profile"]:
        key = (row["phase"], row["op"], tuple(row["shape"]))
        rows[key] = (row["calls"] / steps, row["seconds"] * 1000 / steps)
    return result["images_per_second"], rows, steal


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=4)
    p.add_argument("--deepgen", default=".build/release/deepgen")
    p.add_argument("--baseline", help="another deepgen build: compare builds at one thread count")
    p.add_argument("--rows", type=int, default=25, help="rows printed (largest first by their share of the difference)")
    a = p.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    if a.baseline:
        if len(threads) != 1:
            sys.exit("--baseline compares two builds at one thread count: give --threads N")
        sides = [("baseline", a.baseline, threads[0]), ("new", a.deepgen, threads[0])]
    else:
        if len(threads) != 2:
            sys.exit("give two thread counts (--threads 1,2), or --baseline")
        sides = [(f"{t} thread" + ("s" if t > 1 else ""), a.deepgen, t) for t in threads]

    runs = {name: [] for name, _, _ in sides}
    for r in range(a.rounds):
        for name, binary, t in sides:
            ips, rows, steal = run(binary, a.model, t, a.seconds)
            runs[name].append((ips, rows, steal))
            note = f" (steal {steal:.1%} of its CPUs' time)" if steal is not None else ""
            print(f"round {r + 1}, {name}: {ips:.1f} images/s{note}", file=sys.stderr)

    def medians(name):
        keys = set().union(*(rows.keys() for _, rows, _ in runs[name]))
        return {k: (statistics.median(rows.get(k, (0, 0))[0] for _, rows, _ in runs[name]),
                    statistics.median(rows.get(k, (0, 0))[1] for _, rows, _ in runs[name])) for k in keys}

    (na, _, _), (nb, _, _) = sides
    ma, mb = medians(na), medians(nb)
    step_a, step_b = sum(v[1] for v in ma.values()), sum(v[1] for v in mb.values())
    ips_a = statistics.median(x for x, _, _ in runs[na])
    ips_b = statistics.median(x for x, _, _ in runs[nb])
    print(f"{a.model}: {na} {ips_a:.1f} images/s, {step_a:.2f} ms per step (sum of medians); "
          f"{nb} {ips_b:.1f} images/s, {step_b:.2f} ms; {nb} / {na}: {ips_b / ips_a:.2f}× images/s")
    print()
    print(f"| phase | op | shape | calls/step | {na} ms (% of step) | {nb} ms (% of step) | {nb} / {na} | share of the difference |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    keys = sorted(set(ma) | set(mb), key=lambda k: -abs(mb.get(k, (0, 0))[1] - ma.get(k, (0, 0))[1]))
    diff = step_b - step_a
    for k in keys[:a.rows]:
        calls = ma.get(k, mb.get(k))[0]
        ta, tb = ma.get(k, (0, 0))[1], mb.get(k, (0, 0))[1]
        ratio = f"{tb / ta:.2f}" if ta > 0 else "–"
        share = f"{100 * (tb - ta) / diff:.0f}%" if diff != 0 else "–"
        shape = "[" + ", ".join(map(str, k[2])) + "]" if k[2] else ""
        print(f"| {k[0]} | {k[1]} | {shape} | {calls:.1f} | {ta:.3f} ({100 * ta / step_a:.1f}%) | {tb:.3f} ({100 * tb / step_b:.1f}%) | {ratio} | {share} |")
    for name in (na, nb):
        print(f"- {name}: " + ", ".join(f"{x:.1f}" for x, _, _ in runs[name]) + " images/s; steal "
              + ", ".join("?" if v is None else f"{v:.1%}" for _, _, v in runs[name]))


if __name__ == "__main__":
    main()
