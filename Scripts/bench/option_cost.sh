#!/usr/bin/env bash
# The cost per step of training options: trains `deepgen train MODEL --data DATA` for STEPS steps
# with each option set in turn (and without any), ROUNDS times alternating, and prints the median
# images/s of each run's last two thirds of logged windows (metrics.csv).
#   Scripts/bench/option_cost.sh .build/release/deepgen dcgan fashion-mnist 1 "--ema 0.999" "--spectral-norm"
# (arguments: BINARY MODEL DATA THREADS OPTION...; STEPS=200 ROUNDS=3 in the environment override)
set -euo pipefail
bin="$1"; model="$2"; data="$3"; threads="$4"; shift 4
steps="${STEPS:-200}"; rounds="${ROUNDS:-3}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
for round in $(seq 1 "$rounds"); do
  for option in "" "$@"; do
    # shellcheck disable=SC2086
    "$bin" train "$model" --data "$data" --max-steps "$steps" --threads "$threads" --out "$work/run" $option > /dev/null 2>&1
    python3 - "$work/run/metrics.csv" "$round" "${option:-(none)}" <<'PY'
import csv, statistics, sys
rates = [float(r["images_per_second"]) for r in csv.DictReader(open(sys.argv[1])) if r["images_per_second"]]
print(f"round {sys.argv[2]}  {sys.argv[3]:<20} {statistics.median(rates[len(rates) // 3:]):8.1f} images/s")
PY
    rm -rf "$work/run"
  done
done
