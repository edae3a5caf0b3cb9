#!/usr/bin/env python3
"""Trains DeepGen's MLP VAE (784-400-20, Bernoulli pixels) on Fashion-MNIST in PyTorch, with the
same loss, optimizer, batch and data order rules as `deepgen train vae`, and saves it as a
DeepGen weights file, so `deepgen eval` measures both frameworks' models with the same code:

    python3 Scripts/pytorch/train_vae.py --epochs 10 --out runs/torch-vae.safetensors
    deepgen eval runs/torch-vae.safetensors --metrics nll,fid,kid,pr,score

--binarize trains on pixels drawn as Bernoulli(intensity) afresh each batch, as
`deepgen train vae --binarize`. Needs torch, numpy and safetensors.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file


def load_idx_images(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    n, h, w = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(data, np.uint8, offset=16).reshape(n, 1, h, w).astype(np.float32) / 255


def find(directory, stem):
    for name in (stem + ".gz", stem):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    raise SystemExit(f"{stem} not found in {directory}")


def fashion_mnist(directory):
    """The training and test images of Fashion-MNIST in `directory`, [N, 1, 28, 28] in [0, 1]."""
    return tuple(torch.from_numpy(load_idx_images(find(directory, stem)))
                 for stem in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"))


class VAE(torch.nn.Module):
    """pytorch/examples' VAE: the layer names DeepGen's MLPVAE uses."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 400)
        self.fc21 = torch.nn.Linear(400, 20)
        self.fc22 = torch.nn.Linear(400, 20)
        self.fc3 = torch.nn.Linear(20, 400)
        self.fc4 = torch.nn.Linear(400, 784)

    def negative_elbo(self, x):
        h = F.relu(self.fc1(x.flatten(1)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.fc4(F.relu(self.fc3(z)))
        rec = F.binary_cross_entropy_with_logits(logits, x.flatten(1), reduction="none").sum(1)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
        return (rec + kl).mean()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--binarize", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    train, test = fashion_mnist(args.data_dir)
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    batch = 128
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train))
        for i in range(len(train) // batch):  # drop_last, as DeepGen's loader
            x = train[order[i * batch:(i + 1) * batch]]
            if args.binarize:
                x = torch.bernoulli(x)
            loss = model.negative_elbo(x)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            g = torch.Generator().manual_seed(1234)
            xs = torch.bernoulli(test, generator=g) if args.binarize else test
            nelbo = sum(model.negative_elbo(xs[i:i + 500]).item() * len(xs[i:i + 500]) for i in range(0, len(xs), 500)) / len(xs)
        print(f"epoch {epoch + 1}: loss {loss.item():.2f}, test negative ELBO {nelbo:.2f} "
              f"({(epoch + 1) * (len(train) // batch) * batch / (time.time() - start):.0f} images/s)", flush=True)
    config = dict(batchSize=batch, beta1=0.9, beta2=0.999, classCount=10, criticSteps=1, cycleWeight=10, dataset="fashion-mnist",
                  decayEpochs=0, epochs=args.epochs, gradientPenaltyWeight=10, hiddenSize=400, identityFraction=0.5, klWeight=1,
                  latentSize=20, learningRate=1e-3, likelihood="bernoulli", model="vae", objective="non-saturating", patchLayers=3,
                  poolSize=50, residualBlocks=9, sampleShape=[1, 28, 28], seed=args.seed, width=64)
    if args.binarize:
        config["binarize"] = True
    save_deepgen_weights(model, "vae", config, format_version=2, epochs=args.epochs, out=args.out, script="train_vae.py")
    print(f"wrote {args.out} after {time.time() - start:.0f} s")


def save_deepgen_weights(model, network, config, format_version, epochs, out, script):
    """Saves `model`'s state_dict as a DeepGen weights file: tensors under `network.`, the model
    configuration and Fashion-MNIST data options in the metadata, as `deepgen export` writes."""
    metadata = {
        "deepgen.format_version": str(format_version),
        "deepgen.model_config": json.dumps(config, sort_keys=True),
        "deepgen.data": json.dumps({"imageSize": 64, "spec": "fashion-mnist", "syntheticCount": 60000}, sort_keys=True),
        "deepgen.epoch": str(epochs),
        "trained_by": f"PyTorch {torch.__version__}, Scripts/pytorch/{script}",
    }
    tensors = {f"{network}.{k}": v.contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, out, metadata=metadata)


if __name__ == "__main__":
    main()
