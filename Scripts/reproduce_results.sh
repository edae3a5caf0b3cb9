#!/usr/bin/env bash
# Reproduces the figures of README.md and docs/RESULTS.md at the current commit: trains each
# recipe with the release build, evaluates it, and prints each run's wall time and peak memory
# (/usr/bin/time) and the tables of docs/RESULTS.md (Scripts/results_tables.py). Training is
# deterministic for a thread count, so the metrics are the commands' own; wall times need a
# quiet machine.
#
#   Scripts/reproduce_results.sh OUT [GROUP ...]
#
# Groups (default: all but torch):
#   shapes      the README's first command (conv VAE on shapes, 5 epochs)
#   fmnist-gan  DCGAN 5 epochs and cDCGAN 3 epochs on Fashion-MNIST, with `deepgen eval`
#   gan-recipes DCGAN and MLP GAN recipes on Fashion-MNIST (5 epochs, one thread each), with `deepgen eval`
#   fmnist-vae  MLP VAE 10 epochs, binarized 100 epochs (plain and with 10 planar flows), conv VAE 10
#               epochs, with `deepgen eval`
#   cyclegan    CycleGAN sneaker ↔ ankle boot: RESULTS' 1 + 1 epochs with eval, the README's 3 + 2
#               (before and with the generators' average, the latter with eval), and the average,
#               spectral normalization and two learning rates at 1 + 1 epochs on two seeds
#   mixtures    GAN, GAN + R1 and WGAN-GP on ring8 and grid25, with `deepgen eval`
#   classifier  the Fashion-MNIST (10 epochs) and shapes (2 epochs) feature classifiers, with `deepgen eval`
#   shapes-gan  DCGAN on the built-in shapes, 5 epochs on one thread: the paper's recipe, the 2026-12-06
#               default, faster rates, the default since 2026-12-07 and the shapes default since its
#               fifth change (a hidden layer in D), then one epoch of the former, its 20-epoch run,
#               the latter's 20-epoch run and 5 and 20 of the MLP GAN's, judged by the bundled shapes
#               classifier
#   flows       RealNVP on ring8, grid25 and two-moons, planar and radial flows on U1–U4, Glow on
#               Fashion-MNIST 5 epochs, with `deepgen eval`
#   text        gpt on tiny Shakespeare: the standard minimal GPT's CPU recipe and the default recipe,
#               with `deepgen eval` and a sample
#   audio       the FSDD spectrogram classifier (15 epochs) and wavenet on FSDD (12 epochs + 24 of
#               linear decay), with `deepgen eval` (test NLL; generated digits judged by the bundled
#               classifier) of the last and every third epoch, and 10 sampled clips; FSDD from $FSDD (default ../shared/data/fsdd/recordings)
#   torch       the PyTorch VAEs, flows and GPT of RESULTS (needs torch), the VAEs and flows evaluated by `deepgen eval`
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: Scripts/reproduce_results.sh OUT [GROUP ...]}"
shift
groups="${*:-shapes shapes-gan fmnist-gan gan-recipes fmnist-vae cyclegan mixtures classifier flows text audio}"
mkdir -p "$out"
swift build -c release --product deepgen >/dev/null
deepgen="$PWD/.build/release/deepgen"
echo "# $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (uncommitted changes)'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"

# Runs `deepgen ARGS…` with its output in OUT/NAME.log and prints the wall time and peak memory.
timed() {
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$deepgen" "$@" >"$out/$name.log" 2>&1 || { tail -n 20 "$out/$name.log"; exit 1; }
  read -r seconds kb <"$out/$name.time"
  printf '%-28s %6.0f s  %5d MB   deepgen %s\n' "$name" "$seconds" $((kb / 1024)) "$*"
}
train() { local name="$1"; shift; rm -rf "$out/$name"; timed "$name" train "$@" --out "$out/$name"; }
evaluate() { local name="$1"; shift; timed "$name-eval" eval "$out/$name" "$@"; }
last() { grep -E "$2" "$out/$1.log" | tail -n 1; }

for group in $groups; do
  case "$group" in
    shapes)
      train shapes conv-vae --data shapes --epochs 5
      last shapes "test negative ELBO"
      ;;
    shapes-gan)
      while IFS='|' read -r name flags; do
        train "$name" dcgan --data shapes --epochs 5 --threads 1 $flags
        evaluate "$name" --metrics fid,kid,pr,score
      done <<'RUNS'
dcgan-shapes-paper|--lr-g 2e-4 --ema 0 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0 --discriminator-hidden 0
dcgan-shapes|--lr-g 1.6e-3 --ema 0.999 --minibatch-stddev 4 --lr 2e-4 --beta1 0.5 --r1 0 --discriminator-hidden 0
dcgan-shapes-lr1e-3|--lr 1e-3 --lr-g 1e-3 --ema 0.999 --minibatch-stddev 4 --beta1 0.5 --r1 0 --discriminator-hidden 0
dcgan-shapes-recipe-e5|--lr 1e-3 --beta1 0 --r1 1 --ema 0.999 --minibatch-stddev 4 --discriminator-hidden 0
dcgan-shapes-hidden256-e5|--lr 1e-3 --beta1 0 --r1 1 --ema 0.999 --minibatch-stddev 4 --discriminator-hidden 256
RUNS
      # One epoch of the Fashion-MNIST recipe of 2026-12-07 (the 28×28 default since): RESULTS' prose.
      train dcgan-shapes-recipe-e1 dcgan --data shapes --epochs 1 --threads 1 --discriminator-hidden 0
      evaluate dcgan-shapes-recipe-e1 --metrics fid,kid,pr,score
      # The same recipe for 20 epochs without and with the hidden layer (RESULTS, "The DCGAN past
      # blobs": their per-epoch checkpoints, evaluated one by one, as far as the text reports).
      for units in 0 256; do
        train dcgan-shapes-hidden$units-e20 dcgan --data shapes --epochs 20 --threads 1 --discriminator-hidden $units
        for ckpt in "$out"/dcgan-shapes-hidden$units-e20/checkpoints/epoch-*.safetensors; do
          timed "dcgan-shapes-hidden$units-e20-$(basename "$ckpt" .safetensors)" eval "$ckpt" --metrics fid,kid,pr,score \
            --out "$out/dcgan-shapes-hidden$units-e20/eval-$(basename "$ckpt" .safetensors).json"
        done
      done
      # The MLP GAN's image recipe (2026-12-07's second change) on the same data: RESULTS' prose.
      train mlpgan-shapes gan --data shapes --epochs 5 --threads 1
      evaluate mlpgan-shapes --metrics fid,kid,pr,score
      train mlpgan-shapes-e20 gan --data shapes --epochs 20 --threads 1
      evaluate mlpgan-shapes-e20 --metrics fid,kid,pr,score
      python3 Scripts/results_tables.py images "$out"/dcgan-shapes-paper "$out"/dcgan-shapes "$out"/dcgan-shapes-lr1e-3 \
        "$out"/dcgan-shapes-recipe-e5 "$out"/dcgan-shapes-hidden256-e5 "$out"/dcgan-shapes-recipe-e1 "$out"/mlpgan-shapes \
        "$out"/mlpgan-shapes-e20
      ;;
    fmnist-gan)
      # The paper's rates without an average: the 28×28 default until 2026-12-06 (RESULTS' first row).
      train dcgan-fmnist dcgan --data fashion-mnist --epochs 5 --lr-g 2e-4 --ema 0 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
      evaluate dcgan-fmnist
      train cdcgan-fmnist cdcgan --data fashion-mnist --epochs 3 --width 32 --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --minibatch-stddev 0
      evaluate cdcgan-fmnist
      # The 28×28 DCGAN's recipe on the conditional DCGAN (its default since 2026-12-07's third
      # change) against the paper's training, one thread, two seeds.
      for seed in 0 1; do
        train cdcgan-1t-paper-s$seed cdcgan --data fashion-mnist --epochs 3 --width 32 --threads 1 --seed $seed \
          --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --minibatch-stddev 0
        evaluate cdcgan-1t-paper-s$seed
        train cdcgan-1t-recipe-s$seed cdcgan --data fashion-mnist --epochs 3 --width 32 --threads 1 --seed $seed \
          --lr 1e-3 --beta1 0 --r1 1 --ema 0.999 --minibatch-stddev 4
        evaluate cdcgan-1t-recipe-s$seed
      done
      # The averages of the paper's single rate (the 28×28 default before 2026-12-06's recipe).
      train dcgan-fmnist-ema99 dcgan --data fashion-mnist --epochs 5 --lr-g 2e-4 --ema 0.99 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
      train dcgan-fmnist-ema999 dcgan --data fashion-mnist --epochs 5 --lr-g 2e-4 --ema 0.999 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
      train mlpgan-plain gan --data fashion-mnist --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
      train mlpgan-ema99 gan --data fashion-mnist --ema 0.99 --lr 2e-4 --beta1 0.5 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
      for run in dcgan-fmnist-ema99 dcgan-fmnist-ema999 mlpgan-plain mlpgan-ema99; do evaluate "$run"; done
      timed dcgan-fmnist-ema999-raw-eval eval "$out/dcgan-fmnist-ema999" --raw-weights --out "$out/eval-dcgan-fmnist-ema999-raw.json"
      python3 Scripts/results_tables.py images "$out/dcgan-fmnist" "$out/cdcgan-fmnist" "$out/dcgan-fmnist-ema99" "$out/dcgan-fmnist-ema999" \
        "$out/mlpgan-plain" "$out/mlpgan-ema99" "$out/eval-dcgan-fmnist-ema999-raw.json"
      python3 Scripts/results_tables.py images "$out"/cdcgan-1t-paper-s0 "$out"/cdcgan-1t-recipe-s0 "$out"/cdcgan-1t-paper-s1 "$out"/cdcgan-1t-recipe-s1
      ;;
    gan-recipes)
      # Issue 24's candidate recipes on Fashion-MNIST at the default's budget (5 epochs), from seed 0
      # on one thread each (two ran side by side): RESULTS' recipe table. DCGAN: the default, spectral
      # norm with a faster discriminator and an average, the faster discriminator alone, a faster
      # generator (with an average), R1, a decay to zero within the 5 epochs; the MLP GAN: the
      # default, R1 (γ 10 and 1), an average, a faster generator (with an average); then the
      # minibatch standard deviation, G at eight times D's rate, and a second seed; then (2026-12-07)
      # least squares, spectral normalization, batch 32 and Adam without momentum (β₁ = 0) at 1e-3,
      # with and without R1: the MLP GAN's and the DCGAN's defaults since then; then the MLP GAN with a
      # learning-rate decay, two D steps, batch 32, a faster D, β₂ 0.99, least squares and the
      # minibatch statistic, BatchNorm in G, with the statistic, R1, batch 16 and 32: its default
      # since 2026-12-07's second change (BatchNorm in G, the statistic, batch 32) and a second seed;
      # then (2026-12-07, third) 20 epochs of the paper's MLP GAN and 10, 20 (two seeds) and 15 + 5
      # of decay of that recipe: 20 epochs are the MLP GAN's image default since.
      runs=()
      while IFS='|' read -r name model flags; do
        train "$name" "$model" --data fashion-mnist --threads 1 $flags
        evaluate "$name" --metrics fid,kid,pr
        runs+=("$out/$name")
      done <<'RECIPES'
dcgan-1t|dcgan|--epochs 5 --lr-g 2e-4 --ema 0 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-sn-ttur-ema999|dcgan|--epochs 5 --spectral-norm --lr-d 4e-4 --lr-g 1e-4 --ema 0.999 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-ttur-d|dcgan|--epochs 5 --lr-d 4e-4 --lr-g 1e-4 --ema 0 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-ttur-g|dcgan|--epochs 5 --lr-g 4e-4 --ema 0 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-r1-10|dcgan|--epochs 5 --r1 10 --lr-g 2e-4 --ema 0 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5
dcgan-1t-decay|dcgan|--epochs 3 --decay-epochs 2 --lr-g 2e-4 --ema 0 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-ttur-g8-ema999|dcgan|--epochs 5 --lr-g 8e-4 --ema 0.999 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-ttur-g8-ema999-mb4|dcgan|--epochs 5 --lr-g 8e-4 --ema 0.999 --minibatch-stddev 4 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-ttur-g16-ema999|dcgan|--epochs 5 --lr-g 1.6e-3 --ema 0.999 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-ttur-g16-ema999-mb4|dcgan|--epochs 5 --lr-g 1.6e-3 --ema 0.999 --minibatch-stddev 4 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-s1|dcgan|--epochs 5 --lr-g 2e-4 --ema 0 --seed 1 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-ttur-g8-ema999-s1|dcgan|--epochs 5 --lr-g 8e-4 --ema 0.999 --seed 1 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-ttur-g16-ema999-s1|dcgan|--epochs 5 --lr-g 1.6e-3 --ema 0.999 --seed 1 --minibatch-stddev 0 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-ttur-g16-ema999-mb4-s1|dcgan|--epochs 5 --lr-g 1.6e-3 --ema 0.999 --minibatch-stddev 4 --seed 1 --lr 2e-4 --beta1 0.5 --r1 0
dcgan-1t-ttur-g16-ema999-pack2|dcgan|--epochs 5 --lr-g 1.6e-3 --ema 0.999 --minibatch-stddev 0 --pack 2 --lr 2e-4 --beta1 0.5 --r1 0
mlpgan-1t|gan|--epochs 5 --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-r1-10|gan|--epochs 5 --r1 10 --lr 2e-4 --beta1 0.5 --ema 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-r1-1|gan|--epochs 5 --r1 1 --lr 2e-4 --beta1 0.5 --ema 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-ema999|gan|--epochs 5 --ema 0.999 --lr 2e-4 --beta1 0.5 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-ttur-g|gan|--epochs 5 --lr-g 4e-4 --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-ttur-g8-ema999|gan|--epochs 5 --lr-g 8e-4 --ema 0.999 --lr 2e-4 --beta1 0.5 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-mb4|gan|--epochs 5 --minibatch-stddev 4 --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --no-generator-batchnorm --batch-size 64
mlpgan-1t-mb4-ema999|gan|--epochs 5 --minibatch-stddev 4 --ema 0.999 --lr 2e-4 --beta1 0.5 --r1 0 --no-generator-batchnorm --batch-size 64
mlpgan-1t-mb4-ema999-g4|gan|--epochs 5 --minibatch-stddev 4 --ema 0.999 --lr-g 4e-4 --lr 2e-4 --beta1 0.5 --r1 0 --no-generator-batchnorm --batch-size 64
mlpgan-1t-mb4-ema999-e20|gan|--epochs 20 --minibatch-stddev 4 --ema 0.999 --lr 2e-4 --beta1 0.5 --r1 0 --no-generator-batchnorm --batch-size 64
mlpgan-1t-pack2|gan|--epochs 5 --pack 2 --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-pack4|gan|--epochs 5 --pack 4 --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-lsgan|gan|--epochs 5 --objective lsgan --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-lsgan-ema999|gan|--epochs 5 --objective lsgan --ema 0.999 --lr 2e-4 --beta1 0.5 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-sn|gan|--epochs 5 --spectral-norm --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-sn-ema999|gan|--epochs 5 --spectral-norm --ema 0.999 --lr 2e-4 --beta1 0.5 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-g16-ema999|gan|--epochs 5 --lr-g 1.6e-3 --ema 0.999 --lr 2e-4 --beta1 0.5 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b32-ema999|gan|--epochs 5 --batch-size 32 --ema 0.999 --lr 2e-4 --beta1 0.5 --r1 0 --no-generator-batchnorm --minibatch-stddev 0
mlpgan-1t-lr1e3-ema999|gan|--epochs 5 --lr 1e-3 --ema 0.999 --beta1 0.5 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-ema999|gan|--epochs 5 --beta1 0 --ema 0.999 --lr 2e-4 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-ema999|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-r1-1-ema999|gan|--epochs 5 --lr 1e-3 --beta1 0 --r1 1 --ema 0.999 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-r1-10-ema999|gan|--epochs 5 --lr 1e-3 --beta1 0 --r1 10 --ema 0.999 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr2e3-r1-1-ema999|gan|--epochs 5 --lr 2e-3 --beta1 0 --r1 1 --ema 0.999 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-g5-r1-1-ema999|gan|--epochs 5 --lr 1e-3 --lr-g 5e-4 --beta1 0 --r1 1 --ema 0.999 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-s1|gan|--epochs 5 --seed 1 --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-ema999-s1|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --seed 1 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-r1-1-ema999-s1|gan|--epochs 5 --lr 1e-3 --beta1 0 --r1 1 --ema 0.999 --seed 1 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-ema999-decay3-2|gan|--epochs 3 --decay-epochs 2 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-ema999-decay4-1|gan|--epochs 4 --decay-epochs 1 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-ema999-cs2|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --critic-steps 2 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-ema999-b32|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 32
mlpgan-1t-b0-lr1e3-ema999-d2e3|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --lr-d 2e-3 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-ema999-beta2-99|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --beta2 0.99 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-ema999-lsgan|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --objective lsgan --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-b0-lr1e3-ema999-mb4|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --no-generator-batchnorm --minibatch-stddev 4 --batch-size 64
mlpgan-1t-bng|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-bng-mb4|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 4 --batch-size 64
mlpgan-1t-bng-mb4-lsgan|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --objective lsgan --generator-batchnorm --minibatch-stddev 4 --batch-size 64
mlpgan-1t-bng-mb4-r1-1|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 1 --generator-batchnorm --minibatch-stddev 4 --batch-size 64
mlpgan-1t-bng-mb4-decay4-1|gan|--epochs 4 --decay-epochs 1 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 4 --batch-size 64
mlpgan-1t-bng-mb4-b16|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 4 --batch-size 16
mlpgan-1t-bng-mb4-r1-1-b32|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 1 --generator-batchnorm --minibatch-stddev 4 --batch-size 32
mlpgan-1t-bng-mb4-b32|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 4 --batch-size 32
mlpgan-1t-bng-mb8-b32|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 8 --batch-size 32
mlpgan-1t-bng-mb8-b32-s1|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 8 --batch-size 32 --seed 1
mlpgan-1t-bng-mb4-s1|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 4 --batch-size 64 --seed 1
mlpgan-1t-bng-mb4-r1-1-s1|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 1 --generator-batchnorm --minibatch-stddev 4 --batch-size 64 --seed 1
mlpgan-1t-bng-mb4-b32-s1|gan|--epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 4 --batch-size 32 --seed 1
mlpgan-1t-e20|gan|--epochs 20 --lr 2e-4 --beta1 0.5 --r1 0 --ema 0 --no-generator-batchnorm --minibatch-stddev 0 --batch-size 64
mlpgan-1t-bng-mb4-b32-e10|gan|--epochs 10 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 4 --batch-size 32
mlpgan-1t-bng-mb4-b32-e20|gan|--epochs 20 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 4 --batch-size 32
mlpgan-1t-bng-mb4-b32-e20-s1|gan|--epochs 20 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 4 --batch-size 32 --seed 1
mlpgan-1t-bng-mb4-b32-e15-d5|gan|--epochs 15 --decay-epochs 5 --lr 1e-3 --beta1 0 --ema 0.999 --r1 0 --generator-batchnorm --minibatch-stddev 4 --batch-size 32
dcgan-1t-b0|dcgan|--epochs 5 --lr 2e-4 --lr-g 1.6e-3 --beta1 0 --r1 0 --ema 0.999 --minibatch-stddev 4
dcgan-1t-b0-s1|dcgan|--epochs 5 --lr 2e-4 --lr-g 1.6e-3 --beta1 0 --r1 0 --ema 0.999 --minibatch-stddev 4 --seed 1
dcgan-1t-b0-lr1e3-r1-1|dcgan|--epochs 5 --lr 1e-3 --lr-g 1e-3 --beta1 0 --r1 1 --ema 0.999 --minibatch-stddev 4
dcgan-1t-b0-lr1e3-r1-1-s1|dcgan|--epochs 5 --lr 1e-3 --lr-g 1e-3 --beta1 0 --r1 1 --ema 0.999 --minibatch-stddev 4 --seed 1
RECIPES
      # The averaged runs' trained weights (those of the same recipe without --ema: the average draws nothing).
      for name in dcgan-1t-sn-ttur-ema999 dcgan-1t-ttur-g8-ema999 dcgan-1t-ttur-g8-ema999-mb4 dcgan-1t-ttur-g16-ema999 \
                  dcgan-1t-ttur-g16-ema999-mb4 dcgan-1t-ttur-g8-ema999-s1 dcgan-1t-ttur-g16-ema999-s1 \
                  dcgan-1t-ttur-g16-ema999-mb4-s1 mlpgan-1t-ttur-g8-ema999; do
        timed "$name-raw-eval" eval "$out/$name" --raw-weights --metrics fid,kid,pr --out "$out/eval-$name-raw.json"
        runs+=("$out/eval-$name-raw.json")
      done
      python3 Scripts/results_tables.py images "${runs[@]}"
      ;;
    fmnist-vae)
      train vae-fmnist vae --data fashion-mnist --epochs 10
      last vae-fmnist "test negative ELBO"
      evaluate vae-fmnist
      train vae-fmnist-bin vae --data fashion-mnist --epochs 100 --binarize
      evaluate vae-fmnist-bin
      train vae-fmnist-bin-planar10 vae --data fashion-mnist --epochs 100 --binarize --flow planar --flow-length 10
      evaluate vae-fmnist-bin-planar10 --metrics nll
      train conv-vae-fmnist conv-vae --data fashion-mnist --epochs 10
      evaluate conv-vae-fmnist --metrics fid,kid,pr,score
      timed conv-vae-fmnist-nll eval "$out/conv-vae-fmnist" --metrics nll --count 1000 --iwae-samples 1000 --out "$out/conv-vae-fmnist/eval-nll.json"
      python3 Scripts/results_tables.py images "$out/vae-fmnist" "$out/vae-fmnist-bin" "$out/conv-vae-fmnist"
      python3 Scripts/results_tables.py nll "$out/vae-fmnist" "$out/vae-fmnist-bin" "$out/vae-fmnist-bin-planar10" "$out/conv-vae-fmnist/eval-nll.json"
      ;;
    cyclegan)
      # Without the generators' average, the default until 2026-12-07's fifth change.
      train cyclegan-sneaker-boot cyclegan --data fashion-mnist:sneaker,ankle-boot --epochs 1 --decay-epochs 1 --batch-size 4 --ema 0
      evaluate cyclegan-sneaker-boot
      python3 Scripts/results_tables.py translation "$out/cyclegan-sneaker-boot"
      train cyclegan-readme cyclegan --data fashion-mnist:sneaker,ankle-boot --epochs 3 --decay-epochs 2 --batch-size 4 --ema 0
      # The README's command as it runs now (translations through the generators' 0.999 average).
      train cyclegan-readme-ema cyclegan --data fashion-mnist:sneaker,ankle-boot --epochs 3 --decay-epochs 2 --batch-size 4
      evaluate cyclegan-readme-ema
      timed cyclegan-readme-ema-raw-eval eval "$out/cyclegan-readme-ema" --raw-weights --out "$out/cyclegan-readme-ema/eval-raw.json"
      # Issue 24's options at 1 + 1 epochs, one thread, two seeds (RESULTS, "CycleGAN with issue
      # 24's options"): the average (the default since), and it with spectral normalization; each
      # run's trained weights (--raw-weights) are the run without the average's.
      for seed in 0 1; do
        for extra in "" "--spectral-norm"; do
          name=cyclegan-1t-ema999${extra:+-sn}-s$seed
          train $name cyclegan --data fashion-mnist:sneaker,ankle-boot --epochs 1 --decay-epochs 1 --batch-size 4 --threads 1 \
            --seed $seed --ema 0.999 $extra
          evaluate $name
          timed "$name-raw-eval" eval "$out/$name" --raw-weights --out "$out/$name/eval-raw.json"
        done
        # Two time scales (SAGAN's rates) with the average.
        name=cyclegan-1t-ema999-ttur-s$seed
        train $name cyclegan --data fashion-mnist:sneaker,ankle-boot --epochs 1 --decay-epochs 1 --batch-size 4 --threads 1 \
          --seed $seed --ema 0.999 --lr-g 1e-4 --lr-d 4e-4
        evaluate $name
        timed "$name-raw-eval" eval "$out/$name" --raw-weights --out "$out/$name/eval-raw.json"
      done
      ;;
    mixtures)
      # The 2-D default (R1, TTUR, β₁ = 0, --ema 0.9999, 200 + 200 epochs) and, at equal epochs,
      # the recipe it replaced (R1 alone: equal rates, β₁ = 0.5), scored on its trained weights.
      train gan-ring8-default gan --data ring8
      train gan-grid25-default gan --data grid25
      train gan-grid25-pack2 gan --data grid25 --pack 2 --ema 0.999
      # The first 2-D default of 2026-12-06, whose average was shorter (the same training).
      train gan-ring8-ema999 gan --data ring8 --ema 0.999
      train gan-grid25-ema999 gan --data grid25 --ema 0.999
      train gan-ring8-r1-400 gan --data ring8 --beta1 0.5 --lr-g 1e-3 --epochs 200 --decay-epochs 200
      train gan-grid25-r1-400 gan --data grid25 --beta1 0.5 --lr-g 1e-3 --epochs 200 --decay-epochs 200
      for run in gan-ring8-r1-400 gan-grid25-r1-400; do
        timed "$run-eval" eval "$out/$run" --raw-weights
      done
      # The earlier rows: the recipes before TTUR and β₁ = 0 (equal rates, β₁ = 0.5), on their trained
      # weights unless they ask for --ema (2-D runs keep an average by default since 8b21c9f).
      old="--beta1 0.5 --lr-g 1e-3"
      train gan-ring8-r1 gan --data ring8 --epochs 30 --decay-epochs 10 --r1 0.1 $old
      train gan-ring8 gan --data ring8 --epochs 30 --decay-epochs 10 --r1 0 $old
      wold="--lr 5e-4 --critic-steps 5"  # WGAN-GP's 2-D rates until 2026-12-07's third change
      train wgan-gp-ring8 wgan-gp --data ring8 --epochs 100 --decay-epochs 50 $wold
      train gan-grid25-r1 gan --data grid25 --epochs 40 --decay-epochs 20 --r1 0.1 $old
      train gan-grid25 gan --data grid25 --epochs 40 --decay-epochs 20 --r1 0 $old
      train wgan-gp-grid25 wgan-gp --data grid25 --epochs 200 --decay-epochs 100 $wold
      # WGAN-GP towards issue 24's 97% (2026-12-07): its default since (200 + 200 epochs; ring8 also
      # sampled from an average), an average, λ 0.01, β₁ 0, 1e-3 (100 + 50 epochs), 400 + 400 epochs.
      train wgan-gp-ring8-400-ema9999 wgan-gp --data ring8 --ema 0.9999 $wold
      train wgan-gp-grid25-default wgan-gp --data grid25 --epochs 200 --decay-epochs 200 --ema 0 $wold
      train wgan-gp-ring8-800 wgan-gp --data ring8 --epochs 400 --decay-epochs 400 $wold
      train wgan-gp-ring8-ema999 wgan-gp --data ring8 --epochs 100 --decay-epochs 50 --ema 0.999 $wold
      train wgan-gp-ring8-gp001-ema999 wgan-gp --data ring8 --epochs 100 --decay-epochs 50 --gradient-penalty 0.01 --ema 0.999 $wold
      train wgan-gp-ring8-b0-ema999 wgan-gp --data ring8 --epochs 100 --decay-epochs 50 --beta1 0 --ema 0.999 $wold
      train wgan-gp-ring8-lr1e3-ema999 wgan-gp --data ring8 --epochs 100 --decay-epochs 50 --lr 1e-3 --ema 0.999 --critic-steps 5
      train wgan-gp-grid25-ema999 wgan-gp --data grid25 --epochs 200 --decay-epochs 100 --ema 0.999 $wold
      # Then (third change) 1e-3 for 200 + 200 epochs, with 5, 2 and 1 critic steps per generator
      # step: 1e-3 with two critic steps is its 2-D default since; one suits ring8 (also seed 1).
      train wgan-gp-ring8-lr1e3-400 wgan-gp --data ring8 --lr 1e-3 --critic-steps 5 --epochs 200 --decay-epochs 200
      train wgan-gp-grid25-lr1e3-400 wgan-gp --data grid25 --lr 1e-3 --critic-steps 5 --epochs 200 --decay-epochs 200
      train wgan-gp-ring8-default wgan-gp --data ring8 --lr 1e-3 --critic-steps 2 --epochs 200 --decay-epochs 200
      train wgan-gp-grid25-cs2-default wgan-gp --data grid25 --lr 1e-3 --critic-steps 2 --epochs 200 --decay-epochs 200
      train wgan-gp-ring8-cs1 wgan-gp --data ring8 --lr 1e-3 --critic-steps 1 --epochs 200 --decay-epochs 200
      train wgan-gp-ring8-cs1-s1 wgan-gp --data ring8 --lr 1e-3 --critic-steps 1 --epochs 200 --decay-epochs 200 --seed 1
      train wgan-gp-grid25-cs1 wgan-gp --data grid25 --lr 1e-3 --critic-steps 1 --epochs 200 --decay-epochs 200
      train wgan-gp-grid25-cs3 wgan-gp --data grid25 --lr 1e-3 --critic-steps 3 --epochs 200 --decay-epochs 200
      train wgan-gp-grid25-cs2-800 wgan-gp --data grid25 --lr 1e-3 --critic-steps 2 --epochs 400 --decay-epochs 400
      # The same session's tries on grid25 against the 2-D default (one flag each; RESULTS, "2-D
      # mixtures"), whose epochs and lack of an average they spell out: grid25's own default has been
      # the last run's recipe since (800 + 800 epochs, --ema 0.9999), ring8's --critic-steps 1.
      w2d="--epochs 200 --decay-epochs 200"
      train wgan-gp-grid25-ema9999 wgan-gp --data grid25 --ema 0.9999 $w2d
      train wgan-gp-grid25-latent8 wgan-gp --data grid25 --latent-size 8 --ema 0 $w2d
      train wgan-gp-grid25-h256 wgan-gp --data grid25 --hidden-size 256 --ema 0 $w2d
      train wgan-gp-grid25-g5e4 wgan-gp --data grid25 --lr-g 5e-4 --ema 0 $w2d
      train wgan-gp-grid25-cs1-g5e4 wgan-gp --data grid25 --critic-steps 1 --lr-g 5e-4 --ema 0 $w2d
      train wgan-gp-grid25-g2e3 wgan-gp --data grid25 --lr-g 2e-3 --ema 0 $w2d
      train wgan-gp-grid25-lr2e3 wgan-gp --data grid25 --lr 2e-3 --ema 0 $w2d
      train wgan-gp-grid25-cs2-1600 wgan-gp --data grid25 --epochs 800 --decay-epochs 800 --ema 0
      train wgan-gp-grid25-cs2-1600-ema9999 wgan-gp --data grid25 --epochs 800 --decay-epochs 800 --ema 0.9999
      wgan=(wgan-gp-ring8-default wgan-gp-ring8-cs1 wgan-gp-ring8-cs1-s1 wgan-gp-ring8-lr1e3-400 wgan-gp-grid25-cs2-default
            wgan-gp-grid25-cs1 wgan-gp-grid25-cs3 wgan-gp-grid25-cs2-800 wgan-gp-grid25-lr1e3-400 wgan-gp-ring8-400-ema9999 wgan-gp-ring8-800 wgan-gp-ring8-lr1e3-ema999 wgan-gp-ring8-ema999 wgan-gp-ring8-gp001-ema999
            wgan-gp-ring8-b0-ema999 wgan-gp-grid25-default wgan-gp-grid25-ema999 wgan-gp-grid25-ema9999 wgan-gp-grid25-latent8
            wgan-gp-grid25-h256 wgan-gp-grid25-g5e4 wgan-gp-grid25-cs1-g5e4 wgan-gp-grid25-g2e3 wgan-gp-grid25-lr2e3
            wgan-gp-grid25-cs2-1600 wgan-gp-grid25-cs2-1600-ema9999)
      for run in "${wgan[@]}"; do evaluate "$run"; done
      for run in wgan-gp-ring8-400-ema9999 wgan-gp-ring8-lr1e3-ema999 wgan-gp-ring8-ema999 wgan-gp-grid25-ema999 wgan-gp-grid25-ema9999 wgan-gp-grid25-cs2-1600-ema9999; do
        timed "$run-raw-eval" eval "$out/$run" --raw-weights --out "$out/eval-$run-raw.json"
      done
      python3 Scripts/results_tables.py modes "${wgan[@]/#/$out/}" "$out"/eval-wgan-gp-*-raw.json
      # What --ema and --spectral-norm do to the R1 recipes (README's 2-D paragraph).
      for ema in 0.99 0.999; do
        train "gan-ring8-r1-ema$ema" gan --data ring8 --epochs 30 --decay-epochs 10 --r1 0.1 --ema "$ema" $old
        train "gan-grid25-r1-ema$ema" gan --data grid25 --epochs 40 --decay-epochs 20 --r1 0.1 --ema "$ema" $old
      done
      train gan-ring8-r1-ema-sn gan --data ring8 --epochs 30 --decay-epochs 10 --r1 0.1 --ema 0.999 --spectral-norm $old
      train gan-grid25-r1-ema-sn gan --data grid25 --epochs 40 --decay-epochs 20 --r1 0.1 --ema 0.999 --spectral-norm $old
      for run in gan-ring8-r1 gan-ring8 gan-grid25-r1 gan-grid25; do timed "$run-eval" eval "$out/$run" --raw-weights; done
      for run in gan-ring8-default wgan-gp-ring8 gan-grid25-default wgan-gp-grid25 gan-grid25-pack2 gan-ring8-ema999 gan-grid25-ema999 \
          gan-ring8-r1-ema0.99 gan-ring8-r1-ema0.999 gan-grid25-r1-ema0.99 gan-grid25-r1-ema0.999 gan-ring8-r1-ema-sn gan-grid25-r1-ema-sn; do
        evaluate "$run"
      done
      python3 Scripts/results_tables.py modes "$out"/gan-ring8-r1-ema* "$out"/gan-grid25-r1-ema*
      python3 Scripts/results_tables.py modes "$out"/gan-ring8-default "$out"/gan-ring8-ema999 "$out"/gan-ring8-r1-400 "$out"/gan-ring8-r1 "$out"/gan-ring8 \
        "$out"/wgan-gp-ring8 "$out"/gan-grid25-default "$out"/gan-grid25-ema999 "$out"/gan-grid25-pack2 "$out"/gan-grid25-r1-400 "$out"/gan-grid25-r1 "$out"/gan-grid25 "$out"/wgan-gp-grid25
      ;;
    flows)
      train realnvp-ring8 realnvp --data ring8
      train realnvp-grid25 realnvp --data grid25
      train realnvp-two-moons realnvp --data two-moons
      for run in realnvp-ring8 realnvp-grid25 realnvp-two-moons; do evaluate "$run"; done
      for flow in planar radial; do
        for energy in u1 u2 u3 u4; do
          train "$flow-$energy" "$flow" --data "energy:$energy"
          for seed in 1 2 3; do train "$flow-$energy-s$seed" "$flow" --data "energy:$energy" --seed "$seed"; done
        done
      done
      python3 Scripts/results_tables.py kl "$out"/planar-u{1,2,3,4}{,-s1,-s2,-s3} "$out"/radial-u{1,2,3,4}{,-s1,-s2,-s3}
      train glow-fmnist glow --data fashion-mnist
      evaluate glow-fmnist
      train realnvp-fmnist realnvp --data fashion-mnist
      evaluate realnvp-fmnist
      python3 Scripts/results_tables.py flows "$out"/realnvp-ring8 "$out"/realnvp-grid25 "$out"/realnvp-two-moons "$out"/glow-fmnist \
        "$out"/realnvp-fmnist
      python3 Scripts/results_tables.py images "$out"/glow-fmnist "$out"/realnvp-fmnist
      ;;
    classifier)
      train classifier-fmnist classifier --data fashion-mnist --epochs 10
      evaluate classifier-fmnist
      last classifier-fmnist-eval "test accuracy"
      train classifier-shapes classifier --data shapes --epochs 2 --threads 1
      evaluate classifier-shapes
      last classifier-shapes-eval "test accuracy"
      ;;
    text)
      train gpt-cpu gpt --data shakespeare --layers 4 --heads 4 --embedding 128 --block-size 64 --batch-size 12 --dropout 0 --total-steps 2000
      evaluate gpt-cpu
      train gpt-shakespeare gpt --data shakespeare
      evaluate gpt-shakespeare
      for run in gpt-cpu gpt-shakespeare; do
        last "$run" "validation loss"
        grep -A3 "^split" "$out/$run-eval.log"
        timed "$run-sample" sample "$out/$run" --prompt "ROMEO:" --length 500 --top-k 40 --seed 0 --out "$out/$run-sample.txt"
        last "$run-sample" "characters/s"
      done
      ;;
    audio)
      fsdd="${FSDD:-../shared/data/fsdd/recordings}"
      train classifier-fsdd classifier --data "fsdd:$fsdd"
      evaluate classifier-fsdd
      last classifier-fsdd-eval "test accuracy"
      train wavenet-fsdd wavenet --data "fsdd:$fsdd" --epochs 12 --decay-epochs 24
      grep "test NLL" "$out/wavenet-fsdd.log"
      evaluate wavenet-fsdd
      sed -n '/^split/,/^(/p' "$out/wavenet-fsdd-eval.log"
      # The curve of RESULTS: every third epoch's checkpoint judged the same way.
      for epoch in 03 06 09 12 15 18 21 24 27 30 33; do
        timed "wavenet-fsdd-eval-$epoch" eval "$out/wavenet-fsdd/checkpoints/epoch-0$epoch.safetensors" --out "$out/wavenet-fsdd-eval-$epoch.json"
      done
      timed wavenet-fsdd-sample sample "$out/wavenet-fsdd" --count 10 --seconds 1 --seed 0 --out "$out/wavenet-fsdd-clips"
      last wavenet-fsdd-sample "real time"
      ;;
    torch)
      python3 Scripts/pytorch/train_vae.py --epochs 10 --out "$out/torch-vae.safetensors"
      python3 Scripts/pytorch/train_vae.py --epochs 100 --binarize --out "$out/torch-vae-bin.safetensors"
      timed torch-vae-eval eval "$out/torch-vae.safetensors" --out "$out/eval-torch-vae.json"
      timed torch-vae-bin-eval eval "$out/torch-vae-bin.safetensors" --out "$out/eval-torch-vae-bin.json"
      python3 Scripts/results_tables.py images "$out/eval-torch-vae.json" "$out/eval-torch-vae-bin.json"
      python3 Scripts/results_tables.py nll "$out/eval-torch-vae.json" "$out/eval-torch-vae-bin.json"
      python3 Scripts/pytorch/train_flow.py --epochs 5 --out "$out/torch-glow.safetensors"
      python3 Scripts/pytorch/train_flow.py --model realnvp --epochs 5 --out "$out/torch-realnvp.safetensors"
      timed torch-glow-eval eval "$out/torch-glow.safetensors" --out "$out/eval-torch-glow.json"
      timed torch-realnvp-eval eval "$out/torch-realnvp.safetensors" --out "$out/eval-torch-realnvp.json"
      python3 Scripts/results_tables.py flows "$out/eval-torch-glow.json" "$out/eval-torch-realnvp.json"
      python3 Scripts/results_tables.py images "$out/eval-torch-glow.json" "$out/eval-torch-realnvp.json"
      /usr/bin/time -f "%e s %M KB" python3 Scripts/pytorch/train_gpt.py --threads 2 --json | tail -n 1
      ;;
    *) echo "unknown group $group" >&2; exit 2 ;;
  esac
done
