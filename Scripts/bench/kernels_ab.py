#!/usr/bin/env python3
"""Build-vs-build A/B of the GEMM kernels: two `deepgen-bench` binaries alternated round by round.

    python3 Scripts/bench/kernels_ab.py BASELINE_BENCH NEW_BENCH [--rounds 5] [--threads 1,2]
                                        [--repeat 3] [--sections gemm] [--gemm-shapes LIST] [--numpy]

Each round runs `BENCH kernels --sections S --threads T --repeat R --no-numpy` for the baseline,
then the new build (with --numpy, numpy's column is read from the new build's runs), so slow
drifts of the machine's speed hit both alike. Prints, per shape and thread count, the median
and best GFLOP/s of each side over the rounds and the ratio of the medians. A build of an older
commit: `git worktree add /tmp/base COMMIT && (cd /tmp/base && swift build -c release
--product deepgen-bench)`, then `/tmp/base/.build/release/deepgen-bench`.
"""
import argparse
import collections
import platform
import statistics
import subprocess
import sys


def run(bench, args):
    out = subprocess.run([bench, "kernels"] + args, capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[1].isdigit():
            numpy = float(cells[4]) if cells[4] not in ("–", "-") else None
            rows[(cells[0], int(cells[1]))] = (float(cells[3]), numpy)
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("baseline")
    p.add_argument("new")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sections", default="gemm")
    p.add_argument("--gemm-shapes", help="the gemm section's shapes, as deepgen-bench kernels --gemm-shapes takes them")
    p.add_argument("--numpy", action="store_true", help="time numpy too (in the new build's runs)")
    a = p.parse_args()
    common = ["--sections", a.sections, "--threads", a.threads, "--repeat", str(a.repeat)]
    if a.gemm_shapes:
        common += ["--gemm-shapes", a.gemm_shapes]
    base, new, numpy = (collections.defaultdict(list) for _ in range(3))
    for r in range(a.rounds):
        for key, (gflops, _) in run(a.baseline, common + ["--no-numpy"]).items():
            base[key].append(gflops)
        for key, (gflops, np_gflops) in run(a.new, common + ([] if a.numpy else ["--no-numpy"])).items():
            new[key].append(gflops)
            if np_gflops is not None:
                numpy[key].append(np_gflops)
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    print(f"{cpu}; {a.rounds} rounds, median / best GFLOP/s of each round's best of {a.repeat}")
    print(f"baseline: {a.baseline}\nnew: {a.new}\n")
    header = "| shape M×K×N | threads | baseline | new | new/baseline |" + (" numpy | new/numpy |" if numpy else "")
    print(header)
    print("|---|---:|---:|---:|---:|" + ("---:|---:|" if numpy else ""))
    def order(key):
        sizes = key[0].split()[0].split("×")
        return (key[1], [int(x) for x in sizes] if all(x.isdigit() for x in sizes) else [], key[0])

    for key in sorted(new, key=order):
        b, n = base.get(key, []), new[key]
        if not b:
            continue
        mb, mn = statistics.median(b), statistics.median(n)
        line = f"| {key[0]} | {key[1]} | {mb:.1f} / {max(b):.1f} | {mn:.1f} / {max(n):.1f} | {mn / mb:.2f} |"
        if numpy:
            mp = statistics.median(numpy[key])
            line += f" {mp:.1f} | {mn / mp:.2f} |"
        print(line)


if __name__ == "__main__":
    main()
