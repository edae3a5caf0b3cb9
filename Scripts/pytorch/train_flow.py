#!/usr/bin/env python3
"""Trains DeepGen's `glow` (the PyTorch GlowImages of Scripts/bench/pytorch_train.py: the same
layers, initialization, dequantization, logit transform, Adam settings and batch) on
Fashion-MNIST in PyTorch and saves it as a DeepGen weights file, so `deepgen eval` measures both
frameworks' models with the same code:

    python3 Scripts/pytorch/train_flow.py --epochs 5 --out runs/torch-glow.safetensors
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
from pytorch_train import GlowImages, logit_dequantize  # noqa: E402
from train_vae import fashion_mnist, save_deepgen_weights  # noqa: E402


def nll_nats(model, x, alpha):
    v, log_det = logit_dequantize(x, alpha)
    return -(model.log_prob(v) + log_det) + x[0].numel() * math.log(256)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--levels", type=int, default=2)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--hidden-channels", type=int, default=64)
    p.add_argument("--logit-alpha", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    train, test = fashion_mnist(args.data_dir)
    model = GlowImages((1, 28, 28), args.levels, args.steps, args.hidden_channels)
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
        "hyperparameters": {"actNorm": True, "hiddenChannels": args.hidden_channels, "levels": args.levels,
                            "logitAlpha": args.logit_alpha, "stepsPerLevel": args.steps},
        "model": "glow",
        "training": {"batchSize": batch, "decayEpochs": 0, "epochs": args.epochs,
                     "optimizer": {"beta1": 0.9, "beta2": 0.999, "kind": "adam", "learningRate": 1e-3}, "seed": args.seed},
    }
    save_deepgen_weights(model, "flow", config, format_version=3, epochs=args.epochs, out=args.out, script="train_flow.py")
    print(f"wrote {args.out} after {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
