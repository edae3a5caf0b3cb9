#!/usr/bin/env python3
"""PyTorch reference values for DeepGen's spectral normalization (`torch.nn.utils.spectral_norm`).

A Linear(5, 3) and a Conv2d(2, 4, 3, padding=1), each with spectral norm (one power iteration
per training-mode forward). For each, `spectral_norm.safetensors` holds the state_dict before
(`linear.weight_orig`, `linear.weight_u`, ...) and `spectral_norm_io.safetensors`:

  <layer>.x, <layer>.g             input and upstream gradient
  <layer>.train_out                 training-mode output (after one power iteration)
  <layer>.u_after, <layer>.v_after  the vectors after it
  <layer>.grad.weight_orig/bias     gradients of sum(out * g)
  <layer>.eval_out                  evaluation-mode output afterwards (no iteration)

Committed under Tests/DeepGenModelsTests/Fixtures/. Regenerate:  python3 Scripts/make_spectral_norm_fixtures.py
"""
import os

import torch
import torch.nn as nn
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DeepGenModelsTests", "Fixtures")


def main():
    torch.manual_seed(7)
    layers = {
        "linear": (nn.utils.spectral_norm(nn.Linear(5, 3)), torch.randn(4, 5)),
        "conv": (nn.utils.spectral_norm(nn.Conv2d(2, 4, 3, padding=1)), torch.randn(2, 2, 5, 5)),
    }
    state, io = {}, {}
    for name, (layer, x) in layers.items():
        layer.train()
        for k, v in layer.state_dict().items():
            state[f"{name}.{k}"] = v.detach().clone().contiguous()
        y = layer(x)
        g = torch.randn_like(y)
        (y * g).sum().backward()
        io[f"{name}.x"], io[f"{name}.g"], io[f"{name}.train_out"] = x, g, y.detach()
        io[f"{name}.u_after"], io[f"{name}.v_after"] = layer.weight_u.clone(), layer.weight_v.clone()
        io[f"{name}.grad.weight_orig"] = layer.weight_orig.grad.clone()
        io[f"{name}.grad.bias"] = layer.bias.grad.clone()
        layer.eval()
        with torch.no_grad():
            io[f"{name}.eval_out"] = layer(x)
    save_file(state, os.path.join(OUT, "spectral_norm.safetensors"))
    save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(OUT, "spectral_norm_io.safetensors"),
              metadata={"generator": "Scripts/make_spectral_norm_fixtures.py", "torch_version": torch.__version__})
    print("wrote spectral_norm.safetensors, spectral_norm_io.safetensors")


if __name__ == "__main__":
    main()
