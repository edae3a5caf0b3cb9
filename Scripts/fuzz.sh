#!/usr/bin/env bash
# Fuzzes the IDX, PNG, JPEG, .npy and safetensors readers and checkpoint restoring for
# FUZZ_SECONDS (default 20) each and fails on a
# crash. Uses libFuzzer (with AddressSanitizer and coverage) when the toolchain ships its runtime;
# otherwise runs deepgen-fuzz's deterministic mutation loop and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
scratch="${FUZZ_SCRATCH:-.build-fuzz}"
work="$(mktemp -d "${TMPDIR:-/tmp}/deepgen-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Seed corpora: the test fixtures and PngSuite (its corrupt x* files included).
pngsuite="Tests/DeepGenDataTests/Fixtures/pngsuite/png"
mkdir -p "$work"/{idx,png,jpeg,npy,safetensors,checkpoint} "$work/artifacts"
cp Tests/DeepGenDataTests/Fixtures/*-ubyte* "$work/idx/"
cp Tests/DeepGenDataTests/Fixtures/*.npy "$work/npy/"
cp Tests/DeepGenDataTests/Fixtures/*.jpg "$work/jpeg/"
if [ -d "$pngsuite" ]; then cp "$pngsuite"/*.png "$work/png/"; else echo "fuzz.sh: $pngsuite missing; seeding PNG with the fixtures only" >&2; fi
cp Tests/DeepGenDataTests/Fixtures/*.png "$work/png/" 2>/dev/null || true
# A small GAN checkpoint (the model the checkpoint target restores into) and a plain tensor file.
seed_checkpoint=Tests/DeepGenTrainingTests/Fixtures/legacy-runs/gan-ring8/checkpoints/latest.safetensors
cp "$seed_checkpoint" "$work/checkpoint/gan-ring8.safetensors"
cp "$seed_checkpoint" "$work/safetensors/gan-ring8.safetensors"
cp Tests/DeepGenTrainingTests/Fixtures/legacy-runs/gan-ring8/expected-after-resume.safetensors "$work/safetensors/weights.safetensors"

runtime="$(ls "$(dirname "$(command -v swiftc)")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a 2>/dev/null | head -n 1 || true)"
mode=mutation
if [ -n "$runtime" ] && swift build --scratch-path "$scratch" --product deepgen-fuzz \
      -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
      -Xswiftc -DDEEPGEN_LIBFUZZER -Xcc -fsanitize=address,fuzzer-no-link \
      -Xlinker "$runtime" -Xlinker -lstdc++ >"$work/build.log" 2>&1; then
  mode=libfuzzer
else
  grep -v "Cannot export local symbol" "$work/build.log" | tail -n 20 >&2 || true
fi
if [ "$mode" = mutation ]; then
  echo "fuzz.sh: libFuzzer build unavailable; using the deterministic mutation loop" >&2
  swift build --scratch-path "$scratch-plain" --product deepgen-fuzz
  binary="$(swift build --scratch-path "$scratch-plain" --show-bin-path)/deepgen-fuzz"
else
  binary="$(swift build --scratch-path "$scratch" --show-bin-path)/deepgen-fuzz"
fi

for target in idx png jpeg npy safetensors checkpoint; do
  echo "fuzz.sh: $target ($mode, ${seconds}s)"
  set +e
  if [ "$mode" = libfuzzer ]; then
    "$binary" "$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 \
      -artifact_prefix="$work/artifacts/$target-" "$work/$target" >"$work/$target.log" 2>&1
    status=$?
    grep -E "^Done|ERROR|Fatal error|SUMMARY|Test unit written" "$work/$target.log"
    [ "$status" -ne 0 ] && tail -n 40 "$work/$target.log" >&2
  else
    "$binary" "$target" -runs=$((seconds * 1000)) "$work/$target"
    status=$?
  fi
  set -e
  if [ "$status" -ne 0 ]; then
    mkdir -p fuzz-crashes && cp "$work"/artifacts/* fuzz-crashes/ 2>/dev/null || true
    echo "fuzz.sh: $target reader crashed (inputs kept in fuzz-crashes/)" >&2
    exit 1
  fi
done
echo "fuzz.sh: no crash"
