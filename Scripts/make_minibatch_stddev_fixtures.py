#!/usr/bin/env python3
"""PyTorch reference values for DeepGen's minibatch standard deviation layer (Karras et al. 2018).

PyTorch has no such layer; this is the formula of StyleGAN2-ADA's `MinibatchStdLayer` (one
statistic channel, epsilon 1e-8) written in torch ops, with groups of consecutive samples as
DeepGen forms them, so autograd supplies independent gradients. Cases:

  flat      x [8, 5],        group 4   -> [8, 6]
  image     x [8, 3, 2, 3],  group 4   -> [8, 4, 2, 3]
  uneven    x [6, 3, 2, 2],  group 4   -> groups of 3 (the largest divisor of 6 not above 4)
  single    x [1, 4],        group 4   -> a group of one (standard deviation sqrt(1e-8))

For each: <case>.x, <case>.out, <case>.g (upstream gradient), <case>.grad (of sum(out * g)).
Committed as Tests/DeepGenNNTests/Fixtures/minibatch_stddev.safetensors.
Regenerate:  python3 Scripts/make_minibatch_stddev_fixtures.py
"""
import os

import torch
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DeepGenNNTests", "Fixtures")


def minibatch_stddev(x, group_size):
    n = x.shape[0]
    g = max(d for d in range(1, min(group_size, n) + 1) if n % d == 0)
    y = x.reshape(n // g, g, -1)
    y = y - y.mean(dim=1, keepdim=True)
    y = (y.square().mean(dim=1) + 1e-8).sqrt()
    s = y.mean(dim=1)  # one statistic per group
    s = s.repeat_interleave(g)  # each sample gets its group's
    s = s.reshape([n, 1] + [1] * (x.dim() - 2)).expand([n, 1] + list(x.shape[2:]))
    return torch.cat([x, s], dim=1)


def main():
    torch.manual_seed(11)
    cases = {"flat": [8, 5], "image": [8, 3, 2, 3], "uneven": [6, 3, 2, 2], "single": [1, 4]}
    out = {}
    for name, shape in cases.items():
        x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
        y = minibatch_stddev(x, 4)
        g = torch.randn_like(y)
        (y * g).sum().backward()
        for key, value in {"x": x, "out": y, "g": g, "grad": x.grad}.items():
            out[f"{name}.{key}"] = value.detach().float().contiguous()
    os.makedirs(OUT, exist_ok=True)
    save_file(out, os.path.join(OUT, "minibatch_stddev.safetensors"),
              metadata={"generator": "Scripts/make_minibatch_stddev_fixtures.py", "torch_version": torch.__version__})
    print("wrote minibatch_stddev.safetensors")


if __name__ == "__main__":
    main()
