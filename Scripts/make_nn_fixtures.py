#!/usr/bin/env python3
"""Interoperability fixtures for DeepGenNN, made with PyTorch.

Builds, in PyTorch, a (narrow) DCGAN generator and discriminator for 28x28 images and a small
CycleGAN ResNet generator with exactly the architectures the Swift tests build, saves their
`state_dict`s as safetensors (PyTorch's own names and dtypes, int64 `num_batches_tracked`
included), and saves inputs and outputs in train and eval mode, and the BatchNorm running
statistics after one training-mode forward pass. DeepGen must load these files and reproduce
the outputs.

The outputs are committed under Tests/DeepGenModelsTests/Fixtures/ so the tests need no PyTorch.
Regenerate with:  python3 Scripts/make_nn_fixtures.py  (tensor values are deterministic; the order
of the metadata keys in the safetensors header may differ between runs)
"""
import os

import torch
import torch.nn as nn
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DeepGenModelsTests", "Fixtures")


class DCGANGenerator(nn.Module):
    """DCGAN for 28x28 (issue 5's layout) at reduced width: Dense -> 7x7xC, BN, LeakyReLU,
    ConvT C/2 5x5 s1, ConvT C/4 5x5 s2, ConvT 1 5x5 s2, tanh."""

    def __init__(self, nz=8, c=16):
        super().__init__()
        self.main = nn.Sequential(
            nn.Linear(nz, 7 * 7 * c, bias=False),
            nn.BatchNorm1d(7 * 7 * c),
            nn.LeakyReLU(0.2),
            nn.Unflatten(1, (c, 7, 7)),
            nn.ConvTranspose2d(c, c // 2, 5, stride=1, padding=2, bias=False),
            nn.BatchNorm2d(c // 2),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(c // 2, c // 4, 5, stride=2, padding=2, output_padding=1, bias=False),
            nn.BatchNorm2d(c // 4),
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(c // 4, 1, 5, stride=2, padding=2, output_padding=1),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class DCGANDiscriminator(nn.Module):
    def __init__(self, c=8, hidden=None):
        super().__init__()
        layers = [
            nn.Conv2d(1, c, 5, stride=2, padding=2),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Conv2d(c, 2 * c, 5, stride=2, padding=2),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Flatten(),
        ]
        if hidden is None:
            layers.append(nn.Linear(2 * c * 7 * 7, 1))
        else:
            layers += [nn.Linear(2 * c * 7 * 7, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1)]
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x)


class ResnetBlock(nn.Module):
    """As in the CycleGAN repository (reflect padding, no dropout)."""

    def __init__(self, dim, use_bias):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), nn.InstanceNorm2d(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), nn.InstanceNorm2d(dim),
        )

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """The CycleGAN repository's ResnetGenerator with InstanceNorm (so use_bias=True)."""

    def __init__(self, input_nc=1, output_nc=1, ngf=8, n_blocks=2):
        super().__init__()
        use_bias = True
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7, padding=0, bias=use_bias),
                 nn.InstanceNorm2d(ngf), nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=use_bias),
                      nn.InstanceNorm2d(ngf * mult * 2), nn.ReLU(True)]
        for _ in range(n_blocks):
            model += [ResnetBlock(ngf * 4, use_bias)]
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1,
                                         bias=use_bias),
                      nn.InstanceNorm2d(ngf * mult // 2), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


def randomize_batchnorm(module, gen):
    """Non-trivial affine parameters and running statistics, so eval mode is really tested."""
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.weight.copy_(1 + 0.1 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(1 + 0.2 * torch.rand(m.running_var.shape, generator=gen))
                m.num_batches_tracked.fill_(3)


def state(module):
    return {k: v.detach().contiguous() for k, v in module.state_dict().items()}


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(1234)
    os.makedirs(OUT, exist_ok=True)
    io = {}

    g = DCGANGenerator()
    randomize_batchnorm(g, gen)
    save_file(state(g), os.path.join(OUT, "dcgan_generator.safetensors"))
    z = torch.randn(4, 8, generator=gen)
    io["g.z"] = z
    g.eval()
    with torch.no_grad():
        io["g.out_eval"] = g(z)
    g.train()
    with torch.no_grad():
        io["g.out_train"] = g(z)
    for k, v in g.state_dict().items():
        if "running" in k:
            io["g.after_train." + k] = v.clone()

    d = DCGANDiscriminator()
    save_file(state(d), os.path.join(OUT, "dcgan_discriminator.safetensors"))
    x = torch.rand(3, 1, 28, 28, generator=gen) * 2 - 1
    io["d.x"] = x
    d.eval()
    with torch.no_grad():
        io["d.out_eval"] = d(x)

    r = ResnetGenerator()
    save_file(state(r), os.path.join(OUT, "resnet_generator.safetensors"))
    rx = torch.rand(2, 1, 28, 28, generator=gen) * 2 - 1
    io["r.x"] = rx
    with torch.no_grad():
        io["r.out"] = r(rx)

    # The discriminator with a hidden dense layer (`--discriminator-hidden`), from its own
    # generator so that the tensors above stay as they were.
    hidden_gen = torch.Generator().manual_seed(24)
    torch.manual_seed(24)
    dh = DCGANDiscriminator(hidden=16)
    save_file(state(dh), os.path.join(OUT, "dcgan_discriminator_hidden.safetensors"))
    io["dh.x"] = torch.rand(3, 1, 28, 28, generator=hidden_gen) * 2 - 1
    dh.eval()
    with torch.no_grad():
        io["dh.out_eval"] = dh(io["dh.x"])

    save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(OUT, "interop_io.safetensors"),
              metadata={"generator": "Scripts/make_nn_fixtures.py", "torch_version": torch.__version__})
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
