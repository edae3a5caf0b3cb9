#!/usr/bin/env python3
"""A/B runner of the training-throughput benchmark: DeepGen against PyTorch eager, torch.compile and
JAX, one process per run.

    python3 Scripts/bench/ab.py [--models mlp-gan,dcgan,...] [--threads 1,2] [--rounds 3]
                                [--seconds 10] [--frameworks pytorch,compile,jax] [--gflops]
                                [--deepgen .build/release/deepgen] [--json-out FILE]
                                [--baseline OTHER_DEEPGEN] [--no-pin]

--frameworks names the sides beside DeepGen (default pytorch): pytorch (eager,
Scripts/bench/pytorch_train.py), compile (the same script with --compile: torch.compile of the
modules and optimizer steps) and jax (Scripts/bench/jax_train.py: jax.jit of the whole step; it
has mlp-gan, dcgan, dcgan-256, mlp-vae, conv-vae, gpt and char-rnn, the other models' cells read "–"). The
compiling sides' warm-up steps, which compile, are timed apart and reported in their own column;
images/s is the steady state after them.

With --baseline, the other side is another deepgen build (the same `bench train` command)
instead: a before/after comparison of two commits on the same machine, e.g.
`git worktree add /tmp/base HEAD~1 && (cd /tmp/base && swift build -c release --product deepgen)`
then `--baseline /tmp/base/.build/release/deepgen`.

For each model and thread count it alternates the sides, DeepGen first (A B C A B C ...,
--rounds runs of each), so slow drifts of the machine's speed hit all alike. Every run is
pinned to the first N CPUs this runner may use (N = its thread count, as `taskset`; --no-pin
leaves placement to the OS):

    DeepGen:  DEEPGEN bench train MODEL --threads N --seconds S --json
    PyTorch:  python3 Scripts/bench/pytorch_train.py MODEL [--compile] --threads N --seconds S --json
    JAX:      python3 Scripts/bench/jax_train.py MODEL --threads N --seconds S --json

With --gflops the table adds achieved GFLOP/s: FLOPs per image from PyTorch's flop counter on the
twin model (`pytorch_train.py MODEL --count-flops`: matrix products and convolutions, forward and
backward; none for wgan-gp, whose second derivative it cannot count) times images/s, and
DeepGen's as a share of the CPU's FMA peak measured by `deepgen-bench peak` (build it with
`swift build -c release --product deepgen-bench`).

The generation workloads wavenet-generate-1 and wavenet-generate-16 run
`DEEPGEN bench generate wavenet --batch B` against Scripts/bench/pytorch_generate.py (their
images/s are samples/s). Each run's images/s is the JSON object on the last line of its stdout. Peak memory is measured
here, by the runner, the same way for all: the child's ru_maxrss from os.wait4 (so PyTorch's
figure includes the Python interpreter and the torch import, as running it does). Before every
run the busy share of all CPUs is sampled from /proc/stat over 1 s; above 15% a warning names
the load, and the summary says whether the machine was quiet for all runs. Each run's steal
time is measured too (the share of its CPUs' time the hypervisor gave to other guests while they
wanted to run, from /proc/stat): on a shared virtual machine a run can slow down by that much with
no process of its own machine busy. The table's last column is the largest share among the row's
runs, and the summary counts runs above 5%.

Prints the machine, versions and date, then a Markdown table (medians over the rounds; peak RSS
is the largest of a row's runs) and every run's images/s. A failed run (nonzero exit or no JSON)
prints its stderr tail and counts as "failed" without stopping the others; the exit status is
then 1.
"""
import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYTORCH_SCRIPT = os.path.join(HERE, "pytorch_train.py")
JAX_SCRIPT = os.path.join(HERE, "jax_train.py")
sys.path.insert(0, HERE)
from jax_train import MODELS as JAX_MODELS  # noqa: E402 (the module imports jax only when run)
ALL_MODELS = ("mlp-gan", "dcgan", "dcgan-256", "wgan-gp", "mlp-vae", "conv-vae", "cyclegan-small", "realnvp-2d", "glow", "realnvp-image", "gpt", "char-rnn",
              "wavenet", "wavenet-generate-1", "wavenet-generate-16")
PYTORCH_GENERATE = os.path.join(HERE, "pytorch_generate.py")
# Generation workloads: `deepgen bench generate` and pytorch_generate.py at a batch size (their
# "images/s" are samples/s).
GENERATION = {"wavenet-generate-1": 1, "wavenet-generate-16": 16}
BUSY_LIMIT = 0.15
# Steal time above this share of a run's CPUs' time marks the run as disturbed by other guests.
STEAL_LIMIT = 0.05
# Environment variables that change what the BLAS / OpenMP libraries of either side do.
THREADING_ENV_PREFIXES = ("OMP_", "MKL_", "KMP_", "OPENBLAS_", "DNNL_", "ONEDNN_", "GOMP_", "TORCH_")


# ---------------------------------------------------------------------------------------------
# Machine state


def cpu_times():
    """(busy, total) jiffies of all CPUs together, from the aggregate line of /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already
    # counted in user/nice, so only the first eight make up the total.
    values = fields[:8]
    total = sum(values)
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return total - idle, total


def steal_times(cpus):
    """(steal, total) jiffies of the CPUs in `cpus`, from their lines of /proc/stat; None where the
    kernel does not report steal time (the eighth field: time the hypervisor ran something else
    while one of this VM's CPUs wanted to run)."""
    steal = total = 0
    try:
        with open("/proc/stat") as f:
            for line in f:
                name, *rest = line.split()
                if not name.startswith("cpu") or name == "cpu" or int(name[3:]) not in cpus:
                    continue
                values = [int(v) for v in rest[:8]]
                if len(values) < 8:
                    return None
                steal += values[7]
                total += sum(values)
    except (OSError, ValueError):
        return None
    return steal, total


def busy_share(interval=1.0):
    """Busy share of all CPUs over `interval` seconds (nothing excluded: the runner is idle)."""
    busy0, total0 = cpu_times()
    time.sleep(interval)
    busy1, total1 = cpu_times()
    return (busy1 - busy0) / max(total1 - total0, 1)


def top_processes(count=5):
    try:
        out = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    except OSError as e:
        return f"(ps failed: {e})"
    lines = out.strip().splitlines()[1:count + 1]
    # ps's %CPU is averaged over each process's lifetime: a hint at who is loading the machine.
    return ", ".join(f"{parts[1]} {parts[0]}%" for parts in (line.split(None, 1) for line in lines) if len(parts) == 2)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_version(name):
    # From the package metadata, so the runner need not import torch or jax itself.
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def git_commit():
    try:
        out = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + (" (uncommitted changes)" if dirty else "") if out.returncode == 0 else "unknown"
    except OSError:
        return "unknown"


# ---------------------------------------------------------------------------------------------
# Runs


def run_once(framework, command, expect, preexec=None, cpus=None):
    """Runs one benchmark process; returns a result dict (with "error" when it failed). With
    `cpus`, the share of their time stolen by the hypervisor during the run is "steal_share"."""
    result = {"framework": framework, "command": command, **expect}
    steal0 = steal_times(cpus) if cpus else None
    # Output goes to files, not pipes: the child is reaped with os.wait4 (for its rusage), so
    # nothing may be left for Popen.communicate to drain.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT,
                                    preexec_fn=preexec)
        except OSError as e:
            result["error"] = f"could not start: {e}"
            print(f"    {framework} FAILED ({result['error']})", flush=True)
            return result
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # tell Popen the child is reaped
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    result["returncode"] = proc.returncode
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    result["wall_seconds"] = wall  # process lifetime, start-up included
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    steal1 = steal_times(cpus) if steal0 else None
    if steal0 and steal1 and steal1[1] > steal0[1]:
        result["steal_share"] = (steal1[0] - steal0[0]) / (steal1[1] - steal0[1])
    lines = [line for line in stdout.splitlines() if line.strip()]
    parsed = None
    if lines:
        try:
            parsed = json.loads(lines[-1])
        except json.JSONDecodeError:
            parsed = None
    if proc.returncode != 0 or not isinstance(parsed, dict) or "images_per_second" not in parsed:
        why = f"exit status {proc.returncode}" if proc.returncode != 0 else "no JSON line on stdout"
        result["error"] = why
        source = "stderr" if stderr.strip() else "stdout"
        tail = (stderr if stderr.strip() else stdout).strip().splitlines()[-15:]
        print(f"    {framework} FAILED ({why}); {source} tail:" if tail else f"    {framework} FAILED ({why}); no output",
              flush=True)
        for line in tail:
            print(f"      | {line}", flush=True)
        return result
    result["json"] = parsed
    result["images_per_second"] = float(parsed["images_per_second"])
    result["batch"] = parsed.get("batch")
    if "compile_seconds" in parsed:
        result["compile_seconds"] = float(parsed["compile_seconds"])
    # Catch a side that ignored an option or runs another configuration.
    for key in ("model", "threads"):
        if key in parsed and parsed[key] != expect[key]:
            print(f"    warning: {framework} reported {key} {parsed[key]!r}, asked for {expect[key]!r}", flush=True)
    return result


def median_or_none(values):
    return statistics.median(values) if values else None


def fmt(value, digits=1):
    return "failed" if value is None else f"{value:.{digits}f}"


# The sides a run can compare DeepGen with: the command (after the interpreter) and whether a
# generation workload has one.
SIDES = {
    "pytorch": ("PyTorch", [PYTORCH_SCRIPT], []),
    "compile": ("torch.compile", [PYTORCH_SCRIPT], ["--compile"]),
    "jax": ("JAX jit", [JAX_SCRIPT], []),
}


def pinned_to(count):
    """A preexec_fn that pins the child to the first `count` CPUs this runner may use (as `taskset`),
    so that every side runs on the same cores; None when fewer are available."""
    cpus = sorted(os.sched_getaffinity(0))
    if count > len(cpus):
        return None
    chosen = set(cpus[:count])
    return lambda: os.sched_setaffinity(0, chosen)


def bench_path(bench, deepgen):
    """--bench (resolved), or the deepgen-bench built beside the resolved --deepgen (a release
    build in another scratch folder), or the default build's."""
    if bench:
        return bench
    beside = os.path.join(os.path.dirname(deepgen), "deepgen-bench")
    return beside if os.path.exists(beside) else os.path.join(ROOT, ".build/release/deepgen-bench")


def measure_peak(bench, threads):
    """The CPU's FMA peak in GFLOP/s per thread count, from `deepgen-bench peak` (None if it fails)."""
    try:
        out = subprocess.run([bench, "peak", "--threads", ",".join(map(str, threads)), "--json"],
                             capture_output=True, text=True, timeout=120)
        return {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1])["peak_gflops"].items()}
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, IndexError) as e:
        print(f"- warning: could not measure the FMA peak with {bench} ({e}); no peak column", flush=True)
        return None


def count_flops(python, model):
    """FLOPs per image of `model`'s training step (PyTorch's flop counter on its twin), or None."""
    if model in GENERATION:
        return None
    out = subprocess.run([python, PYTORCH_SCRIPT, model, "--count-flops"], capture_output=True, text=True, cwd=ROOT)
    try:
        return float(json.loads(out.stdout.strip().splitlines()[-1])["flops_per_image"])
    except (ValueError, KeyError, IndexError):
        return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default=",".join(ALL_MODELS),
                   help=f"comma-separated workloads (default all: {','.join(ALL_MODELS)})")
    p.add_argument("--threads", default="1", help="comma-separated thread counts, e.g. 1,2 (default 1)")
    p.add_argument("--rounds", type=int, default=3, help="runs of each framework per model and thread count (default 3)")
    p.add_argument("--seconds", type=float, default=10, help="timed seconds of each run (default 10)")
    p.add_argument("--deepgen", default=".build/release/deepgen",
                   help="the deepgen executable, relative to the repository root or absolute "
                        "(default .build/release/deepgen)")
    p.add_argument("--python", default=sys.executable, help="the Python that runs the PyTorch and JAX scripts (default this one)")
    p.add_argument("--frameworks", default="pytorch",
                   help="comma-separated sides to compare DeepGen with: pytorch (eager), compile (torch.compile), "
                        "jax (jax.jit) (default pytorch)")
    p.add_argument("--no-pin", action="store_true",
                   help="do not pin each run to the first N CPUs (by default every side is pinned alike, as taskset)")
    p.add_argument("--gflops", action="store_true",
                   help="also report achieved GFLOP/s (FLOPs per image from PyTorch's flop counter on the twin model) "
                        "beside the FMA peak measured by deepgen-bench peak (--bench)")
    p.add_argument("--bench",
                   help="the deepgen-bench executable for --gflops' peak (default: the one beside --deepgen, "
                        "else .build/release/deepgen-bench)")
    p.add_argument("--json-out", metavar="FILE", help="also write every run's raw result to FILE as JSON")
    p.add_argument("--baseline", metavar="DEEPGEN",
                   help="compare against this other deepgen executable instead (a build-vs-build A/B)")
    args = p.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in ALL_MODELS]
    if unknown:
        p.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(ALL_MODELS)}")
    try:
        threads = [int(t) for t in args.threads.split(",") if t.strip()]
    except ValueError:
        p.error(f"--threads must be comma-separated integers, got {args.threads!r}")
    if not threads or min(threads) < 1:
        p.error("--threads needs thread counts of at least 1")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if not args.seconds > 0:
        p.error("--seconds must be positive")
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    bad = [f for f in frameworks if f not in SIDES]
    if bad or not frameworks:
        p.error(f"unknown framework(s) {', '.join(bad) or '(none)'}; choose from {', '.join(SIDES)}")
    if not args.no_pin and max(threads) > len(os.sched_getaffinity(0)):
        p.error(f"cannot pin {max(threads)} threads: this process may run on {len(os.sched_getaffinity(0))} CPUs (or --no-pin)")
    root_path = lambda path: path if os.path.isabs(path) else os.path.join(ROOT, path)
    deepgen = root_path(args.deepgen)
    baseline = root_path(args.baseline) if args.baseline else None
    if baseline:
        frameworks = ["baseline"]
    names = {"deepgen": "DeepGen", "baseline": "baseline", **{k: v[0] for k, v in SIDES.items()}}
    sides = ["deepgen"] + frameworks

    started = datetime.datetime.now(datetime.timezone.utc)
    print(f"# DeepGen vs {', '.join(names[f] for f in frameworks)}: training throughput")
    print()
    print(f"- Date: {started:%Y-%m-%d %H:%M:%S} UTC")
    print(f"- CPU: {cpu_model()}; os.cpu_count() = {os.cpu_count()}; {platform.system()} {platform.release()}")
    versions = {"pytorch": f"PyTorch {package_version('torch')}", "compile": f"torch.compile (PyTorch {package_version('torch')})",
                "jax": f"JAX {package_version('jax')} (jaxlib {package_version('jaxlib')})"}
    if baseline:
        print(f"- DeepGen: {deepgen} (commit {git_commit()}); baseline: {baseline}")
    else:
        print(f"- DeepGen: {deepgen} (commit {git_commit()}); {', '.join(versions[f] for f in frameworks)} on Python "
              f"{platform.python_version()} ({args.python})")
    env = {k: v for k, v in sorted(os.environ.items()) if k.startswith(THREADING_ENV_PREFIXES)}
    print(f"- Threading/BLAS environment: {', '.join(f'{k}={v}' for k, v in env.items()) or 'none set'}")
    print(f"- Models {', '.join(models)}; threads {', '.join(map(str, threads))}; {args.rounds} round(s) of "
          f"{args.seconds:g} s each, alternating {', '.join(names[s] for s in sides)}; "
          + ("not pinned" if args.no_pin else "each run pinned to the first N CPUs"))
    if not os.path.exists(deepgen):
        print(f"- warning: {deepgen} does not exist (build with `swift build -c release`); its runs will fail")
    peak = measure_peak(bench_path(args.bench and root_path(args.bench), deepgen), threads) if args.gflops else None
    if peak:
        print(f"- FMA peak (deepgen-bench peak, float32): " + ", ".join(f"{peak[n]:.0f} GFLOP/s at {n} thread(s)" for n in threads))
    flops = {m: count_flops(args.python, m) for m in models} if args.gflops else {}
    print(flush=True)

    results = []
    loaded_runs = 0
    max_busy = 0.0
    for model in models:
        for n in threads:
            expect = {"model": model, "threads": n}
            common = ["--threads", str(n), "--seconds", f"{args.seconds:g}", "--json"]
            if model in GENERATION:
                batch = str(GENERATION[model])
                commands = {"deepgen": [deepgen, "bench", "generate", "wavenet", "--batch", batch] + common,
                            "pytorch": [args.python, PYTORCH_GENERATE, "wavenet", "--batch", batch] + common}
            else:
                commands = {"deepgen": [deepgen, "bench", "train", model] + common}
                for f in SIDES:
                    if f == "jax" and model not in JAX_MODELS:
                        continue  # no JAX twin: its cells read "–"
                    script, extra = SIDES[f][1], SIDES[f][2]
                    commands[f] = [args.python] + script + [model] + extra + common
            if baseline:
                commands["baseline"] = [baseline] + commands["deepgen"][1:]
            for r in range(args.rounds):
                for side in sides:
                    if side not in commands:
                        continue  # e.g. no torch.compile or JAX version of a generation workload
                    busy = busy_share()
                    max_busy = max(max_busy, busy)
                    if busy > BUSY_LIMIT:
                        loaded_runs += 1
                        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
                        print(f"  warning: machine busy {busy:.0%} before the next run (load average {load}); "
                              f"top: {top_processes()}", flush=True)
                    allowed = sorted(os.sched_getaffinity(0))
                    res = run_once(names[side], commands[side], expect, None if args.no_pin else pinned_to(n),
                                   cpus=set(allowed if args.no_pin else allowed[:n]))
                    res["side"] = side
                    res.update(round=r + 1, busy_before=busy)
                    results.append(res)
                    if "error" not in res:
                        compile_note = f", compile {res['compile_seconds']:.1f} s" if "compile_seconds" in res else ""
                        steal_note = f", steal {res['steal_share']:.1%}" if "steal_share" in res else ""
                        print(f"  {model} x{n} round {r + 1} {res['framework']}: {res['images_per_second']:.1f} images/s, "
                              f"peak RSS {res['peak_rss_mb']:.0f} MB{compile_note} (CPU busy before: {busy:.0%}{steal_note})", flush=True)

    others = frameworks
    print()
    header = ["model", "batch", "threads", "DeepGen img/s"] + [f"{names[f]} img/s" for f in others]
    header += [f"DeepGen/{names[f]}" for f in others]
    header += ["DeepGen peak RSS MB"] + [f"{names[f]} peak RSS MB" for f in others]
    compiled = [f for f in others if f in ("compile", "jax")]
    header += [f"{names[f]} compile s" for f in compiled]
    if peak:
        header += ["DeepGen GFLOP/s (% of peak)"] + [f"{names[f]} GFLOP/s" for f in others]
    header += ["most steal %"]
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    details = []
    for model in models:
        for n in threads:
            row = [r for r in results if r["model"] == model and r["threads"] == n]
            stats = {}
            for side in sides:
                ok = [r for r in row if r["side"] == side and "error" not in r]
                stats[side] = {
                    "rate": median_or_none([r["images_per_second"] for r in ok]),
                    "rss": max((r["peak_rss_mb"] for r in ok), default=None),
                    "compile": median_or_none([r["compile_seconds"] for r in ok if "compile_seconds" in r]),
                    "batches": {r["batch"] for r in ok if r.get("batch") is not None},
                    "all": [("failed" if "error" in r else f"{r['images_per_second']:.1f}")
                            for r in row if r["side"] == side],
                }
            d = stats["deepgen"]
            batches = set().union(*(stats[s]["batches"] for s in sides))
            batch = "/".join(str(b) for b in sorted(batches)) if batches else "?"
            if len(batches) > 1:
                batch += " (mismatch!)"
            cells = [model, batch, str(n), fmt(d["rate"])] + [fmt(stats[f]["rate"]) if stats[f]["all"] else "–" for f in others]
            cells += [fmt(d["rate"] / stats[f]["rate"], 2) if d["rate"] and stats[f]["rate"] else "–" for f in others]
            cells += [fmt(d["rss"], 0)] + [fmt(stats[f]["rss"], 0) if stats[f]["all"] else "–" for f in others]
            cells += [fmt(stats[f]["compile"]) if stats[f]["all"] else "–" for f in compiled]
            if peak:
                per_image = flops.get(model)

                def gflops(rate):
                    return None if rate is None or per_image is None else rate * per_image / 1e9
                g = gflops(d["rate"])
                cells += [f"{g:.1f} ({100 * g / peak[n]:.0f}%)" if g is not None and n in peak else "–"]
                cells += [fmt(gflops(stats[f]["rate"])) if gflops(stats[f]["rate"]) is not None else "–" for f in others]
            steals = [r["steal_share"] for r in row if "steal_share" in r]
            cells += [f"{100 * max(steals):.1f}" if steals else "–"]
            print("| " + " | ".join(cells) + " |")
            details.append(f"- {model} x{n}: " + "; ".join(f"{names[s]} {', '.join(stats[s]['all'])}"
                                                          for s in sides if stats[s]["all"]))
    print()
    print("Every run's images/s, in order:")
    print("\n".join(details))
    print()
    quiet = loaded_runs == 0
    if quiet:
        print(f"Machine quiet for all {len(results)} runs (busiest 1 s sample before a run: {max_busy:.0%} "
              f"of all CPUs; limit {BUSY_LIMIT:.0%}).")
    else:
        print(f"Machine NOT quiet: {loaded_runs} of {len(results)} runs started with the CPUs more than "
              f"{BUSY_LIMIT:.0%} busy (up to {max_busy:.0%}); treat these numbers as disturbed.")
    steals = [r["steal_share"] for r in results if "steal_share" in r]
    if steals:
        stolen = sum(v > STEAL_LIMIT for v in steals)
        print(f"Steal time: {stolen} of {len(steals)} runs lost more than {STEAL_LIMIT:.0%} of their CPUs' time to the "
              f"hypervisor (up to {max(steals):.1%})" + ("; their ratios are disturbed." if stolen else "."))
    failed = sum("error" in r for r in results)
    if failed:
        print(f"{failed} run(s) failed; see their output above.")

    if args.json_out:
        record = {
            "date": started.isoformat(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
            "versions": {f: versions.get(f, "") for f in frameworks}, "deepgen": deepgen, "commit": git_commit(),
            "environment": env, "seconds": args.seconds, "rounds": args.rounds, "pinned": not args.no_pin,
            "quiet": quiet, "busy_limit": BUSY_LIMIT, "baseline": baseline, "fma_peak_gflops": peak,
            "flops_per_image": flops, "runs": results,
        }
        with open(args.json_out, "w") as f:
            json.dump(record, f, indent=1)
            f.write("\n")
        print(f"Raw results written to {args.json_out}.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
