#!/usr/bin/env bash
# Pins the README's figures that are cheap to recompute, with a tolerance that allows other CPUs
# (kernels sum in a CPU-dependent order): builds the release binary, reruns them and fails when
# one moved. Scripts/test.sh runs it after the unit tests; Scripts/reproduce_results.sh reruns
# everything.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product deepgen >/dev/null
deepgen="$PWD/.build/release/deepgen"
work="$(mktemp -d "${TMPDIR:-/tmp}/deepgen-figures.XXXXXX")"
trap 'rm -rf "$work"' EXIT
failed=0

# check NAME EXPECTED TOLERANCE -- deepgen train ARGS: the last "test negative ELBO" the run prints.
check() {
  local name="$1" expected="$2" tolerance="$3"; shift 4
  "$deepgen" train "$@" --out "$work/$name" >"$work/$name.log" 2>&1 || { tail -n 20 "$work/$name.log"; exit 1; }
  local got
  got="$(grep -oE 'test negative ELBO [0-9.]+' "$work/$name.log" | tail -n 1 | awk '{print $4}')"
  if awk -v g="$got" -v e="$expected" -v t="$tolerance" 'BEGIN { exit !(g != "" && (g - e) <= t && (e - g) <= t) }'; then
    echo "check_figures.sh: $name: test negative ELBO $got (README: $expected ± $tolerance)"
  else
    echo "check_figures.sh: $name: test negative ELBO ${got:-missing}, README says $expected ± $tolerance: update the README or find what changed" >&2
    failed=1
  fi
}

# The README's first command, one epoch of it.
check shapes-epoch1 75.89 0.5 -- conv-vae --data shapes --epochs 1
# The README's Fashion-MNIST VAE (needs dataset-fashion-mnist, which Scripts/test.sh installs).
check vae-fmnist 244.35 0.5 -- vae --data fashion-mnist --epochs 10
exit "$failed"
