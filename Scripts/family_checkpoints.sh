#!/usr/bin/env bash
# Trains every model name for a few steps with a given deepgen binary and keeps each run's
# checkpoint, so two builds can be compared tensor by tensor (Scripts/compare_checkpoints.py):
#   Scripts/family_checkpoints.sh OLD_BINARY /tmp/before
#   Scripts/family_checkpoints.sh .build/release/deepgen /tmp/after
#   python3 Scripts/compare_checkpoints.py /tmp/before /tmp/after
set -euo pipefail
bin="$1"; out="$2"
pngsuite="$(cd "$(dirname "$0")/.." && pwd)/Tests/DeepGenDataTests/Fixtures/pngsuite"
mkdir -p "$out"
common=(--max-steps 3 --threads 2 --synthetic-count 512)
run() {
  local name="$1"; shift
  rm -rf "$out/$name"
  "$bin" train "$@" "${common[@]}" --out "$out/$name" > "$out/$name.log" 2>&1 || { cat "$out/$name.log"; exit 1; }
}
run gan-ring8 gan --data ring8
run gan-shapes gan --data shapes
run dcgan-shapes dcgan --data shapes
run dcgan-r1 dcgan --data shapes --r1 1
run wgan-gp-shapes wgan-gp --data shapes
run wgan-gp-ring8 wgan-gp --data ring8
run cdcgan-shapes cdcgan --data shapes:circle,cross
run vae-shapes vae --data shapes
run vae-binarized vae --data shapes --binarize --kl-weight 2
run conv-vae-shapes conv-vae --data shapes
run cyclegan-shapes cyclegan --data shapes:square,circle --decay-epochs 1
run classifier-shapes classifier --data shapes
run realnvp-two-moons realnvp --data two-moons
run glow-shapes glow --data shapes --steps 2 --hidden-channels 16
run realnvp-shapes realnvp --data shapes --hidden-channels 8
run gpt-shakespeare gpt --data shakespeare --layers 2 --heads 2 --embedding 32 --block-size 32 --batch-size 8 --dropout 0.1
run char-rnn-shakespeare char-rnn --data shakespeare --hidden-size 32 --embedding 16 --sequence-length 32 --batch-size 8 --dropout 0.1
run wavenet-tones wavenet --data tones --stacks 1 --layers-per-stack 6 --residual-channels 16 --dilation-channels 16 --skip-channels 32 --window 1000 --batch-size 4
if [ -d "$pngsuite/png" ]; then
  # The Radford 4×4 layout on 32×32 colour images: PngSuite's valid basic images.
  mkdir -p "$out/pngsuite" && cp "$pngsuite"/png/bas*.png "$out/pngsuite/"
  run dcgan-folder32 dcgan --data "folder:$out/pngsuite" --image-size 32 --batch-size 16
fi
echo "checkpoints in $out"
