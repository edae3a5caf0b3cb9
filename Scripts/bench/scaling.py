#!/usr/bin/env python3
"""Data-parallel scaling of the training benchmark: DeepGen under mpirun against one process, and
against PyTorch's DistributedDataParallel under torchrun, on the same models and batches.

    python3 Scripts/bench/scaling.py [--models dcgan,conv-vae,...] [--processes 2] [--rounds 3]
                                     [--seconds 8] [--deepgen .build/release/deepgen]
                                     [--python python3] [--no-pytorch] [--json-out FILE]

For each model it alternates, round after round (so slow drifts of the machine hit all alike):

    alone     DEEPGEN bench train MODEL --threads 1 --json                       (batch B)
    ranks     mpirun -np P DEEPGEN bench train MODEL --threads 1 --json           (B/P per rank)
    ceiling   P independent `DEEPGEN bench train MODEL --threads 1 --batch-size B/P`
              started together, each on its own core: their images/s summed. No communication at
              all: the most P ranks can reach on this machine, given that P processes share its
              memory system and each takes a step's fixed costs (weight transforms, the optimizer)
              on a smaller batch.
    torch     python3 pytorch_train.py MODEL --threads 1 --json
    ddp       torchrun --nproc_per_node P pytorch_train.py MODEL --ddp --threads 1 --json

Scaling is ranks / alone; "of ceiling" is ranks / ceiling (what the communication and the
synchronisation cost); "averaging" is the share of rank 0's step spent averaging gradients
(copies and all-reduce, waits for the other rank included: `averaging_seconds_per_step`);
DDP's scaling is ddp / torch. Peak RSS of a multi-process job is its ranks'
peak RSS summed (each reports its own; the launcher is not counted), of one process its ru_maxrss.
Before each run the busy share of the CPUs is sampled (as ab.py does) and a loaded machine is
named. Prints the machine, versions and a Markdown table of medians; exits 1 if a run failed.
Needs Open MPI's mpirun (and torch, unless --no-pytorch).
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ab  # noqa: E402  (the machine checks and the one-run runner)

CONV_MODELS = ("dcgan", "wgan-gp", "conv-vae", "cyclegan-small", "glow", "realnvp-image", "wavenet")
OTHER_MODELS = ("mlp-gan", "mlp-vae", "realnvp-2d", "gpt", "char-rnn", "dcgan-256")


def mpirun_prefix(processes):
    prefix = ["mpirun", "-np", str(processes), "--bind-to", "core"]
    if os.geteuid() == 0:
        prefix.insert(1, "--allow-run-as-root")
    return prefix


def run_ceiling(deepgen, model, processes, batch, seconds):
    """P independent single-thread processes at once, each on its own core, batch B/P each."""
    commands = [["taskset", "-c", str(i % os.cpu_count()), deepgen, "bench", "train", model, "--threads", "1",
                 "--batch-size", str(batch // processes), "--seconds", str(seconds), "--json"] for i in range(processes)]
    outs = [tempfile.TemporaryFile("w+") for _ in commands]
    procs = [subprocess.Popen(c, stdout=o, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ab.ROOT)
             for c, o in zip(commands, outs)]
    rates, rss, failed = [], 0.0, None
    for proc, out in zip(procs, outs):
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = [line for line in out.read().splitlines() if line.strip()]
        out.close()
        try:
            rates.append(float(json.loads(lines[-1])["images_per_second"]))
        except (IndexError, ValueError, KeyError, TypeError):
            failed = f"exit status {proc.returncode}: " + " | ".join(lines[-5:])
        rss += usage.ru_maxrss / 1024
    if failed:
        print(f"    ceiling FAILED ({failed})", flush=True)
        return {"error": failed}
    return {"images_per_second": sum(rates), "peak_rss_mb": rss, "each": rates}


def run_job(name, command, model):
    """A multi-process run: its images/s and the ranks' summed peak RSS come from its JSON line."""
    result = ab.run_once(name, command, {"model": model, "threads": 1})
    if "json" in result:
        result["peak_rss_mb"] = result["json"].get("peak_rss_mb", result["peak_rss_mb"])
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default=",".join(CONV_MODELS),
                   help=f"comma-separated (default the convolutional ones: {','.join(CONV_MODELS)}; "
                        f"also {','.join(OTHER_MODELS)})")
    p.add_argument("--processes", type=int, default=2, help="ranks of the data-parallel runs (default 2)")
    p.add_argument("--rounds", type=int, default=3, help="runs of each kind per model (default 3)")
    p.add_argument("--seconds", type=float, default=8, help="timed seconds of each run (default 8)")
    p.add_argument("--deepgen", default=".build/release/deepgen", help="the deepgen binary (default the release build)")
    p.add_argument("--python", default=sys.executable, help="the Python that runs pytorch_train.py (default this one)")
    p.add_argument("--no-pytorch", action="store_true", help="measure DeepGen only")
    p.add_argument("--json-out", metavar="FILE", help="also write every run's raw result to FILE as JSON")
    args = p.parse_args()
    models = [m for m in args.models.split(",") if m]
    unknown = [m for m in models if m not in CONV_MODELS + OTHER_MODELS]
    if unknown:
        p.error(f"unknown model(s): {', '.join(unknown)}")
    if args.processes < 2:
        p.error("--processes must be at least 2")
    if args.rounds < 1 or not args.seconds > 0:
        p.error("--rounds must be at least 1 and --seconds positive")
    deepgen = os.path.abspath(os.path.join(ab.ROOT, args.deepgen)) if not os.path.isabs(args.deepgen) else args.deepgen
    if not os.access(deepgen, os.X_OK):
        p.error(f"no deepgen binary at {deepgen} (swift build -c release --product deepgen)")

    print(f"CPU: {ab.cpu_model()}, {os.cpu_count()} logical CPUs; DeepGen {ab.git_commit()}; "
          f"PyTorch {'not measured' if args.no_pytorch else ab.torch_version()}; "
          f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}", flush=True)
    try:
        mpi = subprocess.run(["mpirun", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        p.error("mpirun not found (Debian: apt-get install -y openmpi-bin libopenmpi-dev)")
    print(f"{mpi}; {args.processes} processes of 1 thread; {args.rounds} rounds of {args.seconds:g} s", flush=True)

    seconds = ["--seconds", f"{args.seconds:g}", "--json"]
    kinds = ["alone", "ranks", "ceiling"] + ([] if args.no_pytorch else ["torch", "ddp"])
    runs = {m: {k: [] for k in kinds} for m in models}
    loaded = 0
    for model in models:
        print(f"{model}:", flush=True)
        batch = None
        for r in range(args.rounds):
            for kind in kinds:
                busy = ab.busy_share()
                if busy > ab.BUSY_LIMIT:
                    loaded += 1
                    print(f"    warning: CPUs {busy:.0%} busy before {kind} ({ab.top_processes()})", flush=True)
                if kind == "alone":
                    result = ab.run_once("deepgen", [deepgen, "bench", "train", model, "--threads", "1"] + seconds,
                                         {"model": model, "threads": 1})
                    batch = result.get("batch") or batch
                elif kind == "ranks":
                    result = run_job("deepgen-mpi", mpirun_prefix(args.processes)
                                     + [deepgen, "bench", "train", model, "--threads", "1"] + seconds, model)
                elif kind == "ceiling":
                    result = (run_ceiling(deepgen, model, args.processes, batch, args.seconds) if batch
                              else {"error": "no batch size (the alone run failed)"})
                elif kind == "torch":
                    result = ab.run_once("pytorch", [args.python, ab.PYTORCH_SCRIPT, model, "--threads", "1"] + seconds,
                                         {"model": model, "threads": 1})
                else:
                    result = run_job("pytorch-ddp", [args.python, "-m", "torch.distributed.run", "--standalone",
                                                     "--nproc_per_node", str(args.processes), ab.PYTORCH_SCRIPT, model,
                                                     "--ddp", "--threads", "1"] + seconds, model)
                result["busy_before"] = busy
                runs[model][kind].append(result)
                rate = result.get("images_per_second")
                print(f"  round {r + 1} {kind:8s} " + (f"{rate:10.1f} images/s" if rate else "failed")
                      + (f", peak RSS {result['peak_rss_mb']:.0f} MB" if result.get("peak_rss_mb") else ""), flush=True)
        runs[model]["batch"] = batch

    def med(model, kind):
        values = [x["images_per_second"] for x in runs[model].get(kind, []) if "images_per_second" in x]
        return statistics.median(values) if values else None

    def rss(model, kind):
        values = [x["peak_rss_mb"] for x in runs[model].get(kind, []) if "images_per_second" in x and x.get("peak_rss_mb")]
        return max(values) if values else None

    def averaging(model):
        shares = [x["json"]["averaging_seconds_per_step"] * x["json"]["steps"] / x["json"]["seconds"]
                  for x in runs[model]["ranks"] if "json" in x and x["json"].get("averaging_seconds_per_step")]
        return f"{statistics.median(shares):.1%}" if shares else "—"

    def ratio(a, b):
        return f"{a / b:.2f}×" if a and b else "—"

    P = args.processes
    print()
    header = f"| model | batch | DeepGen 1 process | DeepGen {P} ranks | scaling | ceiling | of ceiling | averaging |"
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
    if not args.no_pytorch:
        header += f" PyTorch 1 process | DDP {P} ranks | DDP scaling | DeepGen / DDP |"
        rule += "---:|---:|---:|---:|"
    header += f" peak RSS DeepGen {P} | " + ("peak RSS DDP |" if not args.no_pytorch else "")
    rule += "---:|" + ("---:|" if not args.no_pytorch else "")
    print(header)
    print(rule)
    for m in models:
        a, r, c = med(m, "alone"), med(m, "ranks"), med(m, "ceiling")
        row = f"| {m} | {runs[m]['batch']} | {ab.fmt(a)} | {ab.fmt(r)} | {ratio(r, a)} | {ab.fmt(c)} | {ratio(r, c)} | {averaging(m)} |"
        if not args.no_pytorch:
            t, d = med(m, "torch"), med(m, "ddp")
            row += f" {ab.fmt(t)} | {ab.fmt(d)} | {ratio(d, t)} | {ratio(r, d)} |"
        row += f" {ab.fmt(rss(m, 'ranks'), 0)} MB |" + (f" {ab.fmt(rss(m, 'ddp'), 0)} MB |" if not args.no_pytorch else "")
        print(row)
    print(f"\nimages/s are medians of {args.rounds} runs (gpt, char-rnn: sequences/s; wavenet: windows/s); "
          + ("the machine was quiet before every run." if loaded == 0 else f"{loaded} runs started on a busy machine."))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(runs, f, indent=1)
    failed = any("error" in x for m in models for k in kinds for x in runs[m][k])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
