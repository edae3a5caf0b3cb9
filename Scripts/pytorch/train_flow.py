#!/usr/bin/env python3
"""Trains DeepGen's `glow` or `realnvp` on images (the PyTorch GlowImages and RealNVPImages of
Scripts/bench/pytorch_train.py: the same layers, initialization, dequantization, logit
transform, Adam settings and batch) on Fashion-MNIST in PyTorch and saves it as a DeepGen
weights file, so `deepgen eval` measures both frameworks' models with the same code:

    python3 Scripts/pytorch/train_flow.py --epochs 5 --out runs/torch-glow.safetensors
    python3 Scripts/pytorch/train_flow.py --model realnvp --epochs 5 --out runs/torch-realnvp.safetensors
    deepgen eval runs/torch-glow.safetensors --metrics nll,fid,kid,pr,score

Prints each epoch's test bits/dim (one dequantization draw per image) and the images/s. Needs
torch, numpy and safetensors.
"""
import argparse
import math
import os
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Scripts", "bench"))
sys.path.insert(0, os.path.join(ROOT, "Scripts", "pytorch"))
from pytorch_train import GlowImages, RealNVPImages, logit_dequantize  # noqa: E402
from train_vae import fashion_mnist, save_deepgen_weights  # noqa: E402


def nll_nats(model, x, alpha):
    v, log_det = logit_dequantize(x, alpha)
    return -(model.log_prob(v) + log_det) + x[0].numel() * math.log(256)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=("glow", "realnvp"), default="glow")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--levels", type=int, default=2, help="glow")
    p.add_argument("--steps", type=int, default=4, help="glow")
    p.add_argument("--scales", type=int, default=2, help="realnvp")
    p.add_argument("--residual-blocks", type=int, default=1, help="realnvp")
    p.add_argument("--norm", choices=("actnorm", "batchnorm", "none"), default="actnorm", help="realnvp")
    p.add_argument("--hidden-channels", type=int, help="default 64 (glow), 32 (realnvp)")
    p.add_argument("--logit-alpha", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    train, test = fashion_mnist(args.data_dir)
    if args.model == "glow":
        hidden = args.hidden_channels or 64
        model = GlowImages((1, 28, 28), args.levels, args.steps, hidden)
        hyperparameters = {"actNorm": True, "hiddenChannels": hidden, "levels": args.levels, "logitAlpha": args.logit_alpha,
                           "stepsPerLevel": args.steps}
    else:
        hidden = args.hidden_channels or 32
        model = RealNVPImages((1, 28, 28), args.scales, hidden, args.residual_blocks, args.norm)
        hyperparameters = {"actNorm": True, "hiddenChannels": hidden, "logitAlpha": args.logit_alpha, "scales": args.scales,
                           "residualBlocks": args.residual_blocks, "normalization": args.norm}
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    batch, dims = 64, 784
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train))
        for i in range(len(train) // batch):  # drop_last, as DeepGen's loader
            loss = nll_nats(model, train[order[i * batch:(i + 1) * batch]], args.logit_alpha).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            total = sum(nll_nats(model, test[i:i + 200], args.logit_alpha).sum().item() for i in range(0, len(test), 200))
        nll = total / len(test)
        print(f"epoch {epoch + 1}: loss {loss.item():.1f}, test NLL {nll:.2f} nats per image ({nll / (dims * math.log(2)):.4f} bits/dim) "
              f"({(epoch + 1) * (len(train) // batch) * batch / (time.time() - start):.0f} images/s)", flush=True)
    config = {
        "data": {"classLabels": list(range(10)), "domains": 1, "kind": "image", "range": "zeroToOne", "shape": [1, 28, 28]},
        "dataset": "fashion-mnist",
        "hyperparameters": hyperparameters,
        "model": args.model,
        "training": {"batchSize": batch, "decayEpochs": 0, "epochs": args.epochs,
                     "optimizer": {"beta1": 0.9, "beta2": 0.999, "kind": "adam", "learningRate": 1e-3}, "seed": args.seed},
    }
    save_deepgen_weights(model, "flow", config, format_version=3, epochs=args.epochs, out=args.out, script="train_flow.py")
    print(f"wrote {args.out} after {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
