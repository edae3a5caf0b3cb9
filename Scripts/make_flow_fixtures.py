#!/usr/bin/env python3
"""PyTorch reference values for DeepGen's `realnvp` flow on 2-D points.

Builds the PyTorch RealNVP of Scripts/bench/pytorch_train.py (the identical architecture, with
DeepGen's state_dict names) at a small size (3 steps, 16-unit conditioners), initializes its
ActNorms from a batch, moves every parameter off its initial value, and saves:

  realnvp_points.safetensors     the state_dict
  realnvp_points_io.safetensors  x, log p(x), z = f(x), the inverse of fixed noise, and the
                                 gradient of the mean negative log-likelihood with respect to
                                 every parameter (`grad.<name>`)

The files are committed under Tests/DeepGenModelsTests/Fixtures/ so the tests need no PyTorch.
Regenerate with:  python3 Scripts/make_flow_fixtures.py
"""
import os
import sys

import torch
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DeepGenModelsTests", "Fixtures")
sys.path.insert(0, os.path.join(ROOT, "Scripts", "bench"))
from pytorch_train import RealNVPPoints  # noqa: E402


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(2024)
    model = RealNVPPoints(d=2, couplings=3, hidden=16, hidden_layers=2)
    batch = torch.randn(64, 2, generator=gen) * torch.tensor([1.5, 0.5]) + torch.tensor([0.3, -0.2])
    model.log_prob(batch)  # ActNorm's data-dependent initialization
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=gen))
    model.eval()
    x = torch.randn(5, 2, generator=gen)
    noise = torch.randn(4, 2, generator=gen) * 0.8
    io = {"x": x, "noise": noise}
    logp = model.log_prob(x)
    (-logp.mean()).backward()
    for name, p in model.named_parameters():
        io["grad." + name] = p.grad.detach().clone()
    with torch.no_grad():
        io["log_prob"] = logp.detach()
        io["z"] = model.flow(x)[0]
        inverse = noise
        for layer in reversed(model.flow.layers):
            inverse = invert(layer, inverse)
        io["inverse"] = inverse
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(OUT, "realnvp_points.safetensors"))
    save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(OUT, "realnvp_points_io.safetensors"),
              metadata={"generator": "Scripts/make_flow_fixtures.py", "torch_version": torch.__version__})
    print("wrote realnvp_points.safetensors, realnvp_points_io.safetensors")


def invert(layer, y):
    """Each layer's inverse, written out here from its definition (the bench script needs none)."""
    name = type(layer).__name__
    if name == "ActNorm":
        return y * (-layer.logs).exp() - layer.bias
    if name == "InvertibleLinear":
        lower = layer.lower * layer.lower_mask + layer.eye
        upper = layer.upper * layer.lower_mask.T + torch.diag(layer.sign * layer.log_scale.exp())
        w = (layer.permutation @ lower @ upper).double()
        return (y.double() @ torch.linalg.inv(w).T).float()
    if name == "AffineCoupling":
        transformed = 1 - layer.mask
        h = layer.conditioner(y * layer.mask)
        s = layer.scale * torch.tanh(h[:, :layer.d]) * transformed
        t = h[:, layer.d:] * transformed
        return (y - t) * (-s).exp()
    raise ValueError(name)


if __name__ == "__main__":
    main()
