#!/usr/bin/env bash
# Sets up what the tests need on a fresh machine, then runs them: the README's test command
# (`.ci/run` calls it too). Extra arguments go to `swift test` (e.g. `--filter Trainer`).
#   - Fashion-MNIST from Debian (`dataset-fashion-mnist`), which the data, training and
#     evaluation tests read;
#   - libsndfile and libsamplerate (DeepGen loads them at run time for audio data; the -dev
#     packages also let the build check its declarations against their headers);
#   - Open MPI (`mpirun`, and libmpi loaded at run time for data-parallel training; the -dev
#     package lets the build check its declarations), which the `mpirun -np 2` tests use;
#   - python3 with safetensors, numpy and tensorboard, with which the interop tests check that
#     Python reads DeepGen's files (without them those tests are skipped, saying why).
# PngSuite and every other fixture are in the repository. After the unit tests it checks the
# README's cheap figures (Scripts/check_figures.sh, release build).
set -euo pipefail
cd "$(dirname "$0")/.."

packages="dataset-fashion-mnist libsndfile1-dev libsamplerate0-dev openmpi-bin libopenmpi-dev"
missing=""
for package in $packages; do
  dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "test.sh: missing packages need root to install: apt-get install$missing" >&2
    exit 1
  fi
  $sudo apt-get update
  $sudo apt-get install -y $missing
fi
# The audio tests skip where libsndfile or libsamplerate cannot be loaded; here they were just
# installed, so their absence must fail the tests instead.
export DEEPGEN_REQUIRE_AUDIO=1
# Likewise the `mpirun -np 2` tests, which skip where Open MPI is missing.
export DEEPGEN_REQUIRE_MPI=1

modules="safetensors numpy tensorboard"
if ! python3 -c "import ${modules// /, }" 2>/dev/null; then
  if ! python3 -m pip install --quiet $modules 2>/dev/null; then
    # Debian's own python3 refuses pip installs (PEP 668): a virtual environment under .build.
    if python3 -m venv .build/test-python >/dev/null 2>&1 && .build/test-python/bin/pip install --quiet $modules; then
      export PATH="$PWD/.build/test-python/bin:$PATH"
    else
      echo "test.sh: could not install $modules for python3 (apt-get install python3-venv, or pip install them);" \
           "the Python interop tests will be skipped" >&2
    fi
  fi
fi

swift test "$@"
# The README's figures that are cheap to recompute (release build); skipped when only some tests ran.
if [ $# -eq 0 ]; then Scripts/check_figures.sh; fi
