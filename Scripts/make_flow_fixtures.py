#!/usr/bin/env python3
"""PyTorch reference values for DeepGen's `realnvp` flow on 2-D points and on images.

Builds the PyTorch RealNVP of Scripts/bench/pytorch_train.py (the identical architecture, with
DeepGen's state_dict names) at a small size (3 steps, 16-unit conditioners), initializes its
ActNorms from a batch, moves every parameter off its initial value, and saves:

  realnvp_points.safetensors     the state_dict
  realnvp_points_io.safetensors  x, log p(x), z = f(x), the inverse of fixed noise, and the
                                 gradient of the mean negative log-likelihood with respect to
                                 every parameter (`grad.<name>`)

and for images, a RealNVP of 2 scales on 1x4x4 inputs with batch normalization as the flow layer
(4-channel, 1-block ResNet conditioners), its running statistics moved by training-mode passes:

  realnvp_images.safetensors     the state_dict
  realnvp_images_io.safetensors  x; in evaluation mode log p(x) and the inverse of fixed latents
                                 (`latent0`, `latent1` -> `inverse`); in training mode (batch
                                 statistics) log p(x) and every parameter's gradient of the mean
                                 negative log-likelihood (`grad.<name>`)

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
from pytorch_train import RealNVPImages, RealNVPPoints  # noqa: E402


def main():
    points()
    images()


def points():
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
    if name == "CheckerboardCoupling":
        transformed = 1 - layer.mask
        h = layer.conditioner(y * layer.mask)
        s = layer.scale.view(1, -1, 1, 1) * torch.tanh(h[:, :layer.c]) * transformed
        return (y - h[:, layer.c:] * transformed) * (-s).exp()
    if name == "ChannelCoupling":
        c = y.shape[1]
        changed, kept = (y[:, :c // 2], y[:, c // 2:]) if layer.flipped else (y[:, c // 2:], y[:, :c // 2])
        h = layer.conditioner(kept)
        s = layer.scale.view(1, -1, 1, 1) * torch.tanh(h[:, :layer.changed])
        x = (changed - h[:, layer.changed:]) * (-s).exp()
        return torch.cat([x, kept] if layer.flipped else [kept, x], 1)
    if name == "BatchNormFlow":
        view = (1, -1, 1, 1)
        return ((y - layer.beta.view(view)) * (-layer.log_gamma).exp().view(view) * (layer.running_var + layer.eps).sqrt().view(view)
                + layer.running_mean.view(view))
    if name == "Squeeze":
        n, c4, h, w = y.shape
        return y.reshape(n, c4 // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c4 // 4, 2 * h, 2 * w)
    raise ValueError(name)


def images():
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(2025)
    model = RealNVPImages(shape=(1, 4, 4), scales=2, hidden=4, blocks=1, norm="batchnorm")
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=gen))
        for _ in range(3):  # move the running statistics (of the flow's and the conditioners' batch norms)
            model.log_prob(torch.randn(16, 1, 4, 4, generator=gen) * 1.3 + 0.4)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    x = torch.randn(6, 1, 4, 4, generator=gen) * 1.2 - 0.1
    latents = [torch.randn(3, 2, 2, 2, generator=gen) * 0.7, torch.randn(3, 2, 2, 2, generator=gen) * 0.7]
    io = {"x": x, "latent0": latents[0], "latent1": latents[1]}
    model.eval()
    with torch.no_grad():
        io["log_prob_eval"] = model.log_prob(x)
        h = latents[1]
        for i in reversed(range(len(model.levels))):
            if i < len(model.levels) - 1:
                h = torch.cat([h, latents[i]], 1)
            for layer in reversed(model.levels[i].layers):
                h = invert(layer, h)
        io["inverse"] = h
    model.train()
    logp = model.log_prob(x)
    (-logp.mean()).backward()
    io["log_prob_train"] = logp.detach()
    for name, p in model.named_parameters():
        io["grad." + name] = p.grad.detach().clone()
    save_file(state, os.path.join(OUT, "realnvp_images.safetensors"))
    save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(OUT, "realnvp_images_io.safetensors"),
              metadata={"generator": "Scripts/make_flow_fixtures.py", "torch_version": torch.__version__})
    print("wrote realnvp_images.safetensors, realnvp_images_io.safetensors")


if __name__ == "__main__":
    main()
