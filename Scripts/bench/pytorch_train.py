#!/usr/bin/env python3
"""Steady-state training throughput of DeepGen's benchmark workloads in PyTorch: the PyTorch half
of the side-by-side benchmark (`deepgen bench train MODEL` is the DeepGen half, and
Scripts/bench/ab.py alternates the two).

    python3 Scripts/bench/pytorch_train.py MODEL [--threads N] [--warmup-steps W] [--seconds S]
                                           [--seed 0] [--json]

MODEL is one of: mlp-gan, dcgan, dcgan-256, wgan-gp, mlp-vae, conv-vae, cyclegan-small, realnvp-2d, glow, realnvp-image,
gpt, char-rnn, wavenet.
Each is built with the layer sizes, losses, optimizers and batch of `deepgen train` on 28x28 images
(realnvp-2d: on 2-D points; the flows with DeepGen's state_dict names)
(eager mode, float32, PyTorch's default initialisation), and trained on a fixed pool of 8
synthetic batches generated up front and cycled, so data loading is not measured (DeepGen's
benchmark does the same). gpt is the character GPT of `deepgen train gpt`'s CPU recipe (4 layers,
4 heads, width 128, block 64, vocabulary 65, no biases, no dropout, nanoGPT's initialization and
state_dict names; AdamW at a constant 1e-3, betas (0.9, 0.99), weight decay 0.1 on matrices,
gradient norm clipped to 1) on batches of 12 sequences of random token ids (65 per sequence:
inputs the first 64, targets the last 64); its "images" are sequences. After W warm-up steps (default 5) it trains whole steps until at
least S seconds (default 10) have passed and reports steps x batch / elapsed.

One step processes one batch: for the GANs one discriminator step plus one generator step; for
wgan-gp one critic step (the generator steps on every 5th critic step, inside the timing); for
cyclegan-small one generator step plus one discriminator step on 16 A and 16 B images (counted
as 16 images). With --json the last line of stdout is one JSON object:

    {"framework": "pytorch", "version": "...", "model": "...", "batch": B, "threads": N,
     "steps": K, "seconds": T, "images_per_second": X}

(gpt adds "tokens_per_second": 64 X; wavenet "samples_per_second": 4000 X).

wavenet is `deepgen train wavenet`'s default (3 stacks of dilations 1...512, 32 residual and
dilation channels, 256 skip channels, 10 classes, Adam 1e-3) on batches of 4 windows of 4,000
uniform samples mu-law encoded: its "images" are windows. Its input convolution looks up rows of
the weight (as DeepGen does) rather than convolving a one-hot tensor.

With --compile the modules and optimizer steps run through torch.compile (inductor, which needs a C++
compiler); the warm-up steps, which compile, are reported apart as "compile_seconds" (otherwise
"warmup_seconds"), and "framework" is "torch.compile".

Exits with status 1 if a loss stops being finite. Needs torch.
"""
import argparse
import json
import math
import os
import random
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = ("mlp-gan", "dcgan", "dcgan-256", "wgan-gp", "mlp-vae", "conv-vae", "cyclegan-small", "realnvp-2d", "glow", "realnvp-image",
          "gpt", "char-rnn", "wavenet")
LATENT = 100  # GAN latent size
POOL_BATCHES = 8  # synthetic batches generated once and cycled


# ---------------------------------------------------------------------------------------------
# Data parallelism (--ddp under torchrun): every trainer's `distribute(wrap)` wraps what it trains
# in DistributedDataParallel, so each backward pass averages those gradients over the ranks.


class LossOf(nn.Module):
    """A module whose forward is `loss` (a bound method of `model` or its trainer), so that DDP,
    which hooks forward() only, can wrap a model trained through another method."""

    def __init__(self, model, loss):
        super().__init__()
        self.model, self.loss = model, loss

    def forward(self, *args):
        return self.loss(*args)


def per_rank_buffers():
    """DDP's option that keeps buffers per rank after the start (`forward_sync_buffers=False` where
    this PyTorch has it, else the older `broadcast_buffers=False`)."""
    import inspect
    if "forward_sync_buffers" in inspect.signature(nn.parallel.DistributedDataParallel.__init__).parameters:
        return {"forward_sync_buffers": False}
    return {"broadcast_buffers": False}


def plain(module):
    """The module inside a DDP wrapper: a forward through it averages nothing (used where a
    network is only passed through, not trained, as D in the generator's step)."""
    return module.module if isinstance(module, nn.parallel.DistributedDataParallel) else module


# ---------------------------------------------------------------------------------------------
# GANs: mlp-gan, dcgan, dcgan-256, wgan-gp


def mlp_generator():
    return nn.Sequential(
        nn.Linear(LATENT, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 1024), nn.LeakyReLU(0.2),
        nn.Linear(1024, 784), nn.Tanh(),
        nn.Unflatten(1, (1, 28, 28)))


def mlp_discriminator():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 1))


def dcgan_generator():
    # 7x7 -> 7x7 -> 14x14 -> 28x28.
    return nn.Sequential(
        nn.Linear(LATENT, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(0.2),
        nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=False), nn.BatchNorm2d(64),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1), nn.Tanh())


def dcgan_discriminator(dropout=True):
    # The WGAN-GP critic is this network without the dropout layers.
    def drop():
        return [nn.Dropout(0.3)] if dropout else []
    return nn.Sequential(
        nn.Conv2d(1, 64, 5, stride=2, padding=2), nn.LeakyReLU(0.2), *drop(),
        nn.Conv2d(64, 128, 5, stride=2, padding=2), nn.LeakyReLU(0.2), *drop(),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))


def gradient_penalty(critic, real, fake):
    """WGAN-GP's penalty ((||grad critic(x_hat)||_2 - 1)^2).mean() on random interpolates x_hat."""
    alpha = torch.rand(real.shape[0], 1, 1, 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


class GAN:
    """One discriminator (critic) step per batch; the generator steps on every
    `critic_steps`-th one, through the just-updated discriminator, with the same fake."""

    def __init__(self, generator, discriminator, lr, betas, wasserstein=False, critic_steps=1):
        self.g, self.d = generator, discriminator
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=lr, betas=betas)
        self.wasserstein, self.critic_steps = wasserstein, critic_steps
        self.d_steps = 0  # counts warm-up steps too, as DeepGen's counter does
        self.last_g_loss = None

    def distribute(self, wrap):
        self.g, self.d = wrap(self.g), wrap(self.d)

    def step(self, real):
        n = real.shape[0]
        fake = self.g(torch.randn(n, LATENT))
        detached = fake.detach()
        if self.wasserstein:
            loss_d = self.d(detached).mean() - self.d(real).mean() + 10 * gradient_penalty(self.d, real, detached)
        else:
            d_real, d_fake = self.d(real), self.d(detached)
            loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                      + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        self.opt_d.zero_grad()
        loss_d.backward()
        self.opt_d.step()
        self.d_steps += 1
        if self.d_steps % self.critic_steps == 0:
            out = plain(self.d)(fake)  # D is not trained here: DDP must not average its gradients
            loss_g = -out.mean() if self.wasserstein else F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
            self.opt_g.zero_grad()
            loss_g.backward()  # also leaves gradients on D; opt_d.zero_grad() clears them next step
            self.opt_g.step()
            self.last_g_loss = loss_g.item()
        losses = {"loss_d": loss_d.item()}
        if self.last_g_loss is not None:  # none before wgan-gp's first generator step
            losses["loss_g"] = self.last_g_loss
        return losses


# ---------------------------------------------------------------------------------------------
# VAEs: mlp-vae, conv-vae (Bernoulli likelihood on pixels in [0, 1])


def negative_elbo(logits, x, mu, logvar):
    rec = F.binary_cross_entropy_with_logits(logits.flatten(1), x.flatten(1), reduction="none").sum(1)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
    return (rec + kl).mean()


class MLPVAE(nn.Module):
    """pytorch/examples' VAE (784-400-20), as Scripts/pytorch/train_vae.py."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def loss(self, x):
        h = F.relu(self.fc1(x.flatten(1)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return negative_elbo(self.fc4(F.relu(self.fc3(z))), x, mu, logvar)


class ConvVAE(nn.Module):
    def __init__(self):
        super().__init__()
        # 28x28 -> 14x14 -> 7x7 and back.
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.ReLU(),
            nn.Flatten())
        self.fc_mu = nn.Linear(3136, 20)
        self.fc_logvar = nn.Linear(3136, 20)
        self.decoder_input = nn.Linear(20, 3136)
        self.decoder = nn.Sequential(
            nn.Unflatten(1, (64, 7, 7)), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1))

    def loss(self, x):
        h = self.encoder(x)
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return negative_elbo(self.decoder(self.decoder_input(z)), x, mu, logvar)


class VAE:
    def __init__(self, model):
        self.model = model
        self.opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
        self.loss = model.loss

    def distribute(self, wrap):
        self.loss = wrap(LossOf(self.model, self.model.loss))

    def step(self, x):
        loss = self.loss(x)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return {"loss": loss.item()}


# ---------------------------------------------------------------------------------------------
# CycleGAN: cyclegan-small (the structure of junyanz/pytorch-CycleGAN-and-pix2pix, small sizes)


class ResidualBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c))

    def forward(self, x):
        return x + self.body(x)


def resnet_generator(w=32, blocks=3, channels=1):
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels, w, 7), nn.InstanceNorm2d(w), nn.ReLU()]
    for c in (w, 2 * w):  # 28 -> 14 -> 7
        layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.InstanceNorm2d(2 * c), nn.ReLU()]
    layers += [ResidualBlock(4 * w) for _ in range(blocks)]
    for c in (4 * w, 2 * w):  # 7 -> 14 -> 28
        layers += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1), nn.InstanceNorm2d(c // 2),
                   nn.ReLU()]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(w, channels, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def patch_discriminator(w=32, channels=1):
    # n_layers = 2: 28 -> 14 -> 7 -> 6 -> 5x5 patch logits.
    return nn.Sequential(
        nn.Conv2d(channels, w, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(w, 2 * w, 4, stride=2, padding=1), nn.InstanceNorm2d(2 * w), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * w, 4 * w, 4, stride=1, padding=1), nn.InstanceNorm2d(4 * w), nn.LeakyReLU(0.2),
        nn.Conv2d(4 * w, 1, 4, stride=1, padding=1))


class ImagePool:
    """CycleGAN's ImagePool: the discriminators see a mix of current and earlier fakes.
    While not full, store and return each image; once full, with probability 0.5 return a stored
    image (replacing it with the new one), else return the new one. Image by image."""

    def __init__(self, size, rng):
        self.size, self.rng, self.images = size, rng, []

    def query(self, images):
        out = []
        for image in images:
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif self.rng.random() > 0.5:
                i = self.rng.randrange(self.size)
                out.append(self.images[i].clone())
                self.images[i] = image
            else:
                out.append(image)
        return torch.cat(out)


def mse_to(pred, target):
    return F.mse_loss(pred, torch.full_like(pred, target))


class CycleGAN:
    def __init__(self, rng):
        self.g_ab, self.g_ba = resnet_generator(), resnet_generator()
        self.d_a, self.d_b = patch_discriminator(), patch_discriminator()
        self.opt_g = torch.optim.Adam(list(self.g_ab.parameters()) + list(self.g_ba.parameters()), lr=2e-4,
                                      betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(list(self.d_a.parameters()) + list(self.d_b.parameters()), lr=2e-4,
                                      betas=(0.5, 0.999))
        self.pool_a, self.pool_b = ImagePool(50, rng), ImagePool(50, rng)

    def distribute(self, wrap):
        self.g_ab, self.g_ba, self.d_a, self.d_b = wrap(self.g_ab), wrap(self.g_ba), wrap(self.d_a), wrap(self.d_b)

    def set_discriminators_trainable(self, flag):
        for p in list(self.d_a.parameters()) + list(self.d_b.parameters()):
            p.requires_grad_(flag)

    def step(self, batch):
        a, b = batch
        # Generator step; the discriminators are frozen so its backward pass computes no
        # discriminator parameter gradients (as the CycleGAN repo does).
        self.set_discriminators_trainable(False)
        fake_b, fake_a = self.g_ab(a), self.g_ba(b)
        rec_a, rec_b = self.g_ba(fake_b), self.g_ab(fake_a)
        loss_g = (mse_to(plain(self.d_b)(fake_b), 1.0) + mse_to(plain(self.d_a)(fake_a), 1.0)
                  + 10 * F.l1_loss(rec_a, a) + 10 * F.l1_loss(rec_b, b)
                  + 5 * F.l1_loss(self.g_ba(a), a) + 5 * F.l1_loss(self.g_ab(b), b))
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()
        self.set_discriminators_trainable(True)
        # Discriminator step on real images and pooled, detached fakes.
        pooled_b, pooled_a = self.pool_b.query(fake_b.detach()), self.pool_a.query(fake_a.detach())
        loss_d = (0.5 * (mse_to(self.d_b(b), 1.0) + mse_to(self.d_b(pooled_b), 0.0))
                  + 0.5 * (mse_to(self.d_a(a), 1.0) + mse_to(self.d_a(pooled_a), 0.0)))
        self.opt_d.zero_grad()
        loss_d.backward()
        self.opt_d.step()
        return {"loss_g": loss_g.item(), "loss_d": loss_d.item()}


# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Flows: realnvp-2d (DeepGen's `realnvp` on points: per coupling an ActNorm, an LU-parameterized
# invertible linear map and an affine coupling with a bounded scale; Adam 1e-3, gradient norm
# clipped to 1, batch 256)


class ActNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(c))
        self.logs = nn.Parameter(torch.zeros(c))
        self.register_buffer("initialized", torch.tensor(0.0))

    def forward(self, x):
        axes = [0] + list(range(2, x.dim()))
        view = (1, -1) + (1,) * (x.dim() - 2)
        if self.training and self.initialized.item() == 0:
            with torch.no_grad():
                self.bias.copy_(-x.mean(axes))
                self.logs.copy_(-x.var(axes, unbiased=False).sqrt().clamp_min(1e-6).log())
                self.initialized.fill_(1)
        spatial = x[0, 0].numel()
        return (x + self.bias.view(view)) * self.logs.exp().view(view), (self.logs.sum() * spatial).expand(x.shape[0])


class InvertibleLinear(nn.Module):
    def __init__(self, c):
        super().__init__()
        q = torch.linalg.qr(torch.randn(c, c))[0]
        p, lower, upper = torch.linalg.lu(q)
        s = torch.diagonal(upper)
        self.lower = nn.Parameter(lower)
        self.upper = nn.Parameter(torch.triu(upper, 1))
        self.log_scale = nn.Parameter(s.abs().log())
        self.register_buffer("permutation", p)
        self.register_buffer("sign", torch.sign(s))
        self.register_buffer("lower_mask", torch.tril(torch.ones(c, c), -1), persistent=False)
        self.register_buffer("eye", torch.eye(c), persistent=False)

    def forward(self, x):
        lower = self.lower * self.lower_mask + self.eye
        upper = self.upper * self.lower_mask.T + torch.diag(self.sign * self.log_scale.exp())
        w = self.permutation @ lower @ upper
        if x.dim() == 2:
            return x @ w.T, self.log_scale.sum().expand(x.shape[0])
        spatial = x.shape[2] * x.shape[3]
        y = (x.permute(0, 2, 3, 1) @ w.T).permute(0, 3, 1, 2)
        return y, (self.log_scale.sum() * spatial).expand(x.shape[0])


class AffineCoupling(nn.Module):
    def __init__(self, d, hidden, hidden_layers, parity):
        super().__init__()
        layers = [nn.Linear(d, hidden), nn.ReLU()]
        for _ in range(hidden_layers - 1):
            layers += [nn.Linear(hidden, hidden), nn.ReLU()]
        last = nn.Linear(hidden, 2 * d)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.conditioner = nn.Sequential(*layers, last)
        self.scale = nn.Parameter(torch.ones(d))
        self.register_buffer("mask", torch.tensor([1.0 if i % 2 == parity else 0.0 for i in range(d)]))
        self.d = d

    def forward(self, x):
        transformed = 1 - self.mask
        h = self.conditioner(x * self.mask)
        s = self.scale * torch.tanh(h[:, :self.d]) * transformed
        t = h[:, self.d:] * transformed
        return x * s.exp() + t, s.sum(1)


class FlowSequence(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        log_det = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, l = layer(x)
            log_det = log_det + l
        return x, log_det


class RealNVPPoints(nn.Module):
    def __init__(self, d=2, couplings=8, hidden=64, hidden_layers=2):
        super().__init__()
        layers = []
        for k in range(couplings):
            layers += [ActNorm(d), InvertibleLinear(d), AffineCoupling(d, hidden, hidden_layers, k % 2)]
        self.flow = FlowSequence(layers)

    def log_prob(self, x):
        z, log_det = self.flow(x)
        return -0.5 * (z * z).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi) + log_det


class Squeeze(nn.Module):
    def forward(self, x):
        n, c, h, w = x.shape
        y = x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(n, 4 * c, h // 2, w // 2)
        return y, x.new_zeros(n)


class ChannelCoupling(nn.Module):
    """Glow's coupling (the 3x3-1x1-3x3 CNN) by default; RealNVP's channel coupling with a
    ResNet conditioner and, when flipped, the last half of the channels conditioning."""

    def __init__(self, c, hidden, conditioner=None, flipped=False):
        super().__init__()
        self.flipped = flipped
        self.kept, self.changed = (c - c // 2, c // 2) if flipped else (c // 2, c - c // 2)
        if conditioner is None:
            last = nn.Conv2d(hidden, 2 * self.changed, 3, padding=1)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
            conditioner = nn.Sequential(nn.Conv2d(self.kept, hidden, 3, padding=1), nn.ReLU(),
                                        nn.Conv2d(hidden, hidden, 1), nn.ReLU(), last)
        self.conditioner = conditioner
        self.scale = nn.Parameter(torch.ones(self.changed))

    def forward(self, x):
        c = x.shape[1]
        if self.flipped:
            changed, kept = x[:, :c // 2], x[:, c // 2:]
        else:
            kept, changed = x[:, :c // 2], x[:, c // 2:]
        h = self.conditioner(kept)
        s = self.scale.view(1, -1, 1, 1) * torch.tanh(h[:, :self.changed])
        y = changed * s.exp() + h[:, self.changed:]
        return torch.cat([y, kept] if self.flipped else [kept, y], 1), s.flatten(1).sum(1)


class ConditionerBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm1, self.conv1 = nn.BatchNorm2d(c), nn.Conv2d(c, c, 3, padding=1)
        self.norm2, self.conv2 = nn.BatchNorm2d(c), nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(torch.relu(self.norm2(self.conv1(torch.relu(self.norm1(x))))))


class ResNetConditioner(nn.Module):
    def __init__(self, inputs, hidden, outputs, blocks):
        super().__init__()
        self.in_conv = nn.Conv2d(inputs, hidden, 3, padding=1)
        self.blocks = nn.ModuleList([ConditionerBlock(hidden) for _ in range(blocks)])
        self.out_norm = nn.BatchNorm2d(hidden)
        self.out_conv = nn.Conv2d(hidden, outputs, 3, padding=1)
        nn.init.zeros_(self.out_conv.weight)
        nn.init.zeros_(self.out_conv.bias)

    def forward(self, x):
        h = self.in_conv(x)
        for block in self.blocks:
            h = block(h)
        return self.out_conv(torch.relu(self.out_norm(h)))


class CheckerboardCoupling(nn.Module):
    def __init__(self, shape, parity, hidden, blocks):
        super().__init__()
        c, h, w = shape
        self.c = c
        self.conditioner = ResNetConditioner(c, hidden, 2 * c, blocks)
        self.scale = nn.Parameter(torch.ones(c))
        grid = torch.arange(h).view(-1, 1) + torch.arange(w).view(1, -1)
        self.register_buffer("mask", ((grid % 2) == parity).float().view(1, 1, h, w), persistent=False)

    def forward(self, x):
        transformed = 1 - self.mask
        h = self.conditioner(x * self.mask)
        s = self.scale.view(1, -1, 1, 1) * torch.tanh(h[:, :self.c]) * transformed
        t = h[:, self.c:] * transformed
        return x * s.exp() + t, s.flatten(1).sum(1)


class BatchNormFlow(nn.Module):
    def __init__(self, c, eps=1e-5, momentum=0.05):
        super().__init__()
        self.log_gamma = nn.Parameter(torch.zeros(c))
        self.beta = nn.Parameter(torch.zeros(c))
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))
        self.eps, self.momentum = eps, momentum

    def forward(self, x):
        axes = [0] + list(range(2, x.dim()))
        view = (1, -1) + (1,) * (x.dim() - 2)
        if self.training:
            mean, var = x.mean(axes), x.var(axes, unbiased=False)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var)
        else:
            mean, var = self.running_mean, self.running_var
        y = (x - mean.view(view)) / (var + self.eps).sqrt().view(view) * self.log_gamma.exp().view(view) + self.beta.view(view)
        spatial = x[0, 0].numel()
        return y, ((self.log_gamma - 0.5 * (var + self.eps).log()).sum() * spatial).expand(x.shape[0])


def flow_normalization(kind, c):
    return {"actnorm": lambda: [ActNorm(c)], "batchnorm": lambda: [BatchNormFlow(c)], "none": lambda: []}[kind]()


class MultiScaleFlow(nn.Module):
    """DeepGen's MultiScaleFlow: levels of flow layers; after each level but the last, half the
    channels are factored out to the standard normal base density."""

    def log_prob(self, x):
        total = x.new_zeros(x.shape[0])
        h = x
        for i, level in enumerate(self.levels):
            h, log_det = level(h)
            total = total + log_det
            if i < len(self.levels) - 1:
                keep = h.shape[1] // 2
                total = total + standard_normal_log_density(h[:, keep:])
                h = h[:, :keep]
        return total + standard_normal_log_density(h)


class GlowImages(MultiScaleFlow):
    """DeepGen's `glow`: per level a squeeze and `steps` x (ActNorm, invertible 1x1 convolution,
    channel coupling); all levels but the last factor out half the channels."""

    def __init__(self, shape=(1, 28, 28), levels=2, steps=4, hidden=64):
        super().__init__()
        c = shape[0]
        built = []
        for level in range(levels):
            c *= 4
            layers = [Squeeze()]
            for _ in range(steps):
                layers += [ActNorm(c), InvertibleLinear(c), ChannelCoupling(c, hidden)]
            built.append(FlowSequence(layers))
            if level < levels - 1:
                c //= 2
        self.levels = nn.ModuleList(built)


class RealNVPImages(MultiScaleFlow):
    """DeepGen's `realnvp` on images: per scale but the last, 3 checkerboard couplings, a squeeze,
    3 channel couplings (alternate halves conditioning), half the channels factored out; the last
    scale 4 checkerboard couplings; ResNet conditioners; a normalization layer before each coupling."""

    def __init__(self, shape=(1, 28, 28), scales=2, hidden=32, blocks=1, norm="actnorm"):
        super().__init__()
        c, h, w = shape
        built = []
        for scale in range(scales):
            last = scale == scales - 1
            layers = []
            for k in range(4 if last else 3):
                layers += flow_normalization(norm, c) + [CheckerboardCoupling((c, h, w), k % 2, hidden, blocks)]
            if not last:
                layers.append(Squeeze())
                c, h, w = 4 * c, h // 2, w // 2
                for k in range(3):
                    flipped = k % 2 == 1
                    conditioning, transformed = (c - c // 2, c // 2) if flipped else (c // 2, c - c // 2)
                    conditioner = ResNetConditioner(conditioning, hidden, 2 * transformed, blocks)
                    layers += flow_normalization(norm, c) + [ChannelCoupling(c, hidden, conditioner, flipped)]
                c //= 2
            built.append(FlowSequence(layers))
        self.levels = nn.ModuleList(built)


def standard_normal_log_density(z):
    flat = z.flatten(1)
    return -0.5 * (flat * flat).sum(1) - 0.5 * flat.shape[1] * math.log(2 * math.pi)


def logit_dequantize(x, alpha=0.05):
    """DeepGen's LogitDequantization: y = (round(255x) + u)/256, v = logit(alpha + (1 - 2 alpha) y)."""
    y = ((x * 255).round().clamp(0, 255) + torch.rand_like(x)) / 256
    p = alpha + (1 - 2 * alpha) * y
    log_p, log_q = p.log(), (1 - p).log()
    log_det = (math.log(1 - 2 * alpha) - log_p - log_q).flatten(1).sum(1)
    return log_p - log_q, log_det


class Flow:
    def __init__(self, model, clip=None, images=False):
        self.model = model
        self.clip = clip
        self.images = images
        self.opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
        self.averaged_loss = self.loss

    def distribute(self, wrap):
        self.averaged_loss = wrap(LossOf(self.model, self.loss))

    def loss(self, x):
        if not self.images:
            return -self.model.log_prob(x).mean()
        v, log_det = logit_dequantize(x)
        return -(self.model.log_prob(v) + log_det).mean() + x[0].numel() * math.log(256)

    def step(self, x):
        loss = self.averaged_loss(x)
        self.opt.zero_grad()
        loss.backward()
        if self.clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.opt.step()
        return {"nll": loss.item()}


# ---------------------------------------------------------------------------------------------
# Transformers: gpt (DeepGen's character GPT: the standard minimal GPT in nanoGPT's layout and
# state_dict names; Scripts/pytorch/train_gpt.py trains it on tiny Shakespeare)


class LayerNorm(nn.Module):
    """LayerNorm over the last axis (eps 1e-5) whose bias is optional."""

    def __init__(self, c, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, c, heads, dropout, bias):
        super().__init__()
        if c % heads != 0:
            raise ValueError(f"embedding width {c} is not a multiple of the {heads} heads")
        self.c_attn = nn.Linear(c, 3 * c, bias=bias)
        self.c_proj = nn.Linear(c, c, bias=bias)
        self.resid_dropout = nn.Dropout(dropout)
        self.heads, self.dropout = heads, dropout

    def forward(self, x, cache=None, layer=0):
        b, t, c = x.shape
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in self.c_attn(x).split(c, dim=2))
        causal = True
        if cache is not None:
            past = cache.layers[layer]
            if past is not None:
                if t != 1:
                    raise ValueError("with a filled key/value cache, run one position at a time")
                k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
                causal = False  # the one new query attends to every cached position and itself
            cache.layers[layer] = (k, v)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0,
                                           is_causal=causal)  # softmax(q k^T / sqrt(hs)) v
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(b, t, c)))


class MLP(nn.Module):
    def __init__(self, c, dropout, bias):
        super().__init__()
        self.c_fc = nn.Linear(c, 4 * c, bias=bias)
        self.gelu = nn.GELU()  # exact (erf) form
        self.c_proj = nn.Linear(4 * c, c, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-LayerNorm: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, c, heads, dropout, bias):
        super().__init__()
        self.ln_1 = LayerNorm(c, bias)
        self.attn = CausalSelfAttention(c, heads, dropout, bias)
        self.ln_2 = LayerNorm(c, bias)
        self.mlp = MLP(c, dropout, bias)

    def forward(self, x, cache=None, layer=0):
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


class KVCache:
    """Per layer the keys and values [B, heads, T, head size] of the positions run so far."""

    def __init__(self, layers):
        self.layers = [None] * layers
        self.length = 0


class GPT(nn.Module):
    """Token and position embeddings, embedding dropout, `layers` pre-LN blocks, a final
    LayerNorm and an LM head tied to the token embedding. Initialization: Linear and Embedding
    weights N(0, 0.02), the residual projections (c_proj.weight) N(0, 0.02 / sqrt(2 layers)),
    biases 0, LayerNorm weights 1."""

    def __init__(self, vocab_size=65, block_size=64, layers=4, heads=4, embedding=128, dropout=0.0, bias=False):
        super().__init__()
        self.block_size, self.layers = block_size, layers
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab_size, embedding),
            wpe=nn.Embedding(block_size, embedding),
            drop=nn.Dropout(dropout),
            h=nn.ModuleList([Block(embedding, heads, dropout, bias) for _ in range(layers)]),
            ln_f=LayerNorm(embedding, bias)))
        self.lm_head = nn.Linear(embedding, vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied: one Parameter
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, 0.0, 0.02)
                if getattr(module, "bias", None) is not None:
                    nn.init.zeros_(module.bias)
        for name, parameter in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(parameter, 0.0, 0.02 / math.sqrt(2 * layers))

    def new_cache(self):
        return KVCache(self.layers)

    def forward(self, idx, cache=None):
        """Logits [B, T, vocabulary] for token ids [B, T]; with a cache, the positions continue
        after the cached ones, and their keys and values are appended to it."""
        start = cache.length if cache is not None else 0
        t = idx.shape[1]
        if start + t > self.block_size:
            raise ValueError(f"{start + t} positions exceed the block size {self.block_size}")
        pos = torch.arange(start, start + t, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for i, block in enumerate(self.transformer.h):
            x = block(x, cache, i)
        if cache is not None:
            cache.length += t
        return self.lm_head(self.transformer.ln_f(x))


def gpt_optimizer(model, lr, weight_decay=0.1, betas=(0.9, 0.99)):
    """AdamW (eps 1e-8): weight decay on the parameters of 2 or more axes (matrices and
    embeddings; the tied one once), none on biases and LayerNorm weights."""
    parameters = list(model.parameters())  # each tied Parameter once
    groups = [{"params": [p for p in parameters if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in parameters if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=1e-8)


def gpt_loss(model, x, y):
    """Mean cross-entropy (nats per token) of the next-token predictions."""
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


class GPTTrainer:
    """The CPU recipe: 4 layers, 4 heads, width 128, block 64, vocabulary 65, no biases, no
    dropout; AdamW 1e-3 (constant here), betas (0.9, 0.99), weight decay 0.1 on matrices,
    gradient norm clipped to 1."""

    vocab_size, block_size = 65, 64

    def __init__(self):
        self.model = GPT(self.vocab_size, self.block_size, layers=4, heads=4, embedding=128, dropout=0.0, bias=False)
        self.opt = gpt_optimizer(self.model, 1e-3, 0.1, (0.9, 0.99))

    def distribute(self, wrap):
        self.model = wrap(self.model)

    def step(self, tokens):
        """tokens: [B, block + 1] ids; inputs are the first block, targets the last block."""
        loss = gpt_loss(self.model, tokens[:, :-1], tokens[:, 1:])
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        return {"loss": loss.item()}


class CharRNN(nn.Module):
    """char-rnn in its PyTorch ports' layout: Embedding `encoder`, `nn.LSTM` `rnn` (batch first),
    Linear `decoder`; DeepGen's `char-rnn` has the same names."""

    def __init__(self, vocabulary=65, embedding=128, hidden=128, layers=2, dropout=0.0):
        super().__init__()
        self.encoder = nn.Embedding(vocabulary, embedding)
        self.rnn = nn.LSTM(embedding, hidden, layers, batch_first=True, dropout=dropout)
        self.decoder = nn.Linear(hidden, vocabulary)

    def forward(self, ids, state=None):
        out, state = self.rnn(self.encoder(ids), state)
        return self.decoder(out), state


class CharRNNTrainer:
    """`deepgen train char-rnn`'s recipe: 2 LSTM layers of 128, sequences of 50, batch 50, RMSprop
    2e-3 (alpha 0.95, eps 1e-8), gradient norm clipped to 5."""

    vocab_size, block_size = 65, 50

    def __init__(self):
        self.model = CharRNN()
        self.opt = torch.optim.RMSprop(self.model.parameters(), lr=2e-3, alpha=0.95, eps=1e-8)

    def distribute(self, wrap):
        self.model = wrap(self.model)

    def step(self, tokens):
        logits, _ = self.model(tokens[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, self.vocab_size), tokens[:, 1:].reshape(-1))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
        self.opt.step()
        return {"loss": loss.item()}


class WaveNet(nn.Module):
    """`deepgen train wavenet`'s network with DeepGen's state_dict names: `input_conv` (a causal
    Conv1d(256, residual, 2) of the one-hot input, run as two row lookups), `layers.N.dilated`
    (filter and gate stacked), `layers.N.condition` (Embedding of the class), `layers.N.residual`
    (none in the last layer), `layers.N.skip`, `end_conv1`, `end_conv2`."""

    def __init__(self, dilations, residual=32, dilation_channels=32, skip=256, classes=10, levels=256):
        super().__init__()
        self.levels = levels
        self.input_conv = nn.Conv1d(levels, residual, 2)
        self.layers = nn.ModuleList()
        for i, d in enumerate(dilations):
            layer = nn.Module()
            layer.dilation = d
            layer.dilated = nn.Conv1d(residual, 2 * dilation_channels, 2, dilation=d)
            layer.condition = nn.Embedding(classes, 2 * dilation_channels)
            bound = 1 / classes ** 0.5
            nn.init.uniform_(layer.condition.weight, -bound, bound)
            layer.residual = nn.Conv1d(dilation_channels, residual, 1) if i < len(dilations) - 1 else None
            layer.skip = nn.Conv1d(dilation_channels, skip, 1)
            self.layers.append(layer)
        self.end_conv1 = nn.Conv1d(skip, skip, 1)
        self.end_conv2 = nn.Conv1d(skip, levels, 1)

    def forward(self, q, labels):
        w = self.input_conv.weight  # [residual, 256, 2]
        # Tap 0 reads the previous class; before the first sample, a zero row (the causal padding).
        previous = F.pad(q, (1, 0), value=self.levels)[:, :-1]
        tap0 = torch.cat([w[:, :, 0].t(), w.new_zeros(1, w.shape[0])])
        x = F.embedding(q, w[:, :, 1].t()) + F.embedding(previous, tap0)
        x = (x + self.input_conv.bias).transpose(1, 2)
        skip = 0
        for layer in self.layers:
            pre = layer.dilated(F.pad(x, (layer.dilation, 0))) + layer.condition(labels).unsqueeze(2)
            a, b = pre.chunk(2, dim=1)
            z = torch.tanh(a) * torch.sigmoid(b)
            skip = skip + layer.skip(z)
            if layer.residual is not None:
                x = x + layer.residual(z)
        return self.end_conv2(F.relu(self.end_conv1(F.relu(skip))))


def mu_law(x, mu=255):
    """DeepGen's MuLaw.encode: clipped to [-1, 1], companded, rounded to 0...255."""
    x = x.clamp(-1, 1)
    f = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)
    return torch.floor((f + 1) / 2 * mu + 0.5).long()


class WaveNetTrainer:
    window = 4000

    def __init__(self):
        self.model = WaveNet([2 ** i for i in range(10)] * 3)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def distribute(self, wrap):
        self.model = wrap(self.model)

    def step(self, batch):
        waves, labels = batch
        q = mu_law(waves)
        logits = self.model(q[:, :-1], labels)
        loss = F.cross_entropy(logits, q[:, 1:])
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return {"loss": loss.item()}


def make_workload(name, rng):
    """Returns (trainer, batch size, (low, high) range of the synthetic data, paired domains)."""
    if name == "mlp-gan":
        return GAN(mlp_generator(), mlp_discriminator(), 2e-4, (0.5, 0.999)), 64, (-1, 1), False
    if name in ("dcgan", "dcgan-256"):
        batch = 256 if name == "dcgan-256" else 64
        return GAN(dcgan_generator(), dcgan_discriminator(), 2e-4, (0.5, 0.999)), batch, (-1, 1), False
    if name == "wgan-gp":
        gan = GAN(dcgan_generator(), dcgan_discriminator(dropout=False), 1e-4, (0.5, 0.9), wasserstein=True,
                  critic_steps=5)
        return gan, 64, (-1, 1), False
    if name == "mlp-vae":
        return VAE(MLPVAE()), 128, (0, 1), False
    if name == "conv-vae":
        return VAE(ConvVAE()), 128, (0, 1), False
    if name == "cyclegan-small":
        return CycleGAN(rng), 16, (-1, 1), True
    if name == "realnvp-2d":
        return Flow(RealNVPPoints(), clip=1.0), 256, (-1, 1), False
    if name == "glow":
        return Flow(GlowImages(), images=True), 64, (0, 1), False
    if name == "realnvp-image":
        return Flow(RealNVPImages(), images=True), 64, (0, 1), False
    if name == "gpt":
        return GPTTrainer(), 12, (0, GPTTrainer.vocab_size), False  # token ids in [low, high)
    if name == "char-rnn":
        return CharRNNTrainer(), 50, (0, CharRNNTrainer.vocab_size), False
    if name == "wavenet":
        return WaveNetTrainer(), 4, (-1, 1), False
    raise ValueError(name)


TEXT_MODELS = {"gpt": GPTTrainer, "char-rnn": CharRNNTrainer}


def compile_workload(trainer):
    """torch.compile as a user who wants speed applies it: every module the trainer trains (for the
    VAEs and flows, the module whose forward is the whole loss) through `distribute`, the hook the
    DDP mode uses, and each optimizer's step (PyTorch's "compiled optimizer" recipe)."""
    trainer.distribute(torch.compile)
    for name, value in list(vars(trainer).items()):
        if isinstance(value, torch.optim.Optimizer):
            value.step = torch.compile(value.step)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", choices=MODELS, help="the workload")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1; inter-op is always 1)")
    p.add_argument("--batch-size", type=int, help="the batch (shared by the --ddp ranks); the workload's own by default")
    p.add_argument("--warmup-steps", type=int, default=5,
                   help="untimed training steps first (critic steps for wgan-gp; default 5)")
    p.add_argument("--seconds", type=float, default=10,
                   help="train whole steps until at least this many seconds have passed (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of torch's and the image pools' generators (default 0)")
    p.add_argument("--json", action="store_true", help="also print one JSON line, the last line of stdout (for ab.py)")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile every trained module (and the function its loss is computed by) and "
                        "the optimizers' steps; the warm-up steps, which compile, are timed apart (compile_seconds)")
    p.add_argument("--count-flops", action="store_true",
                   help="instead of timing: count the FLOPs of 5 training steps with torch.utils.flop_counter "
                        "(matrix products and convolutions, forward and backward) and print them per step as JSON")
    p.add_argument("--ddp", action="store_true",
                   help="data-parallel over the processes torchrun started (DistributedDataParallel, gloo): "
                        "each trains on its share of the batch; rank 0 reports the job's images/s and summed peak RSS")
    args = p.parse_args()
    if args.threads < 1:
        p.error(f"--threads must be at least 1, got {args.threads}")
    if args.batch_size is not None and args.batch_size < 1:
        p.error(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.warmup_steps < 0:
        p.error("--warmup-steps cannot be negative")
    if not args.seconds > 0:
        p.error(f"--seconds must be positive, got {args.seconds}")

    # Before any parallel work: the interop pool size can only be set once, before it starts.
    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    rank, processes = 0, 1
    if args.ddp:
        if "RANK" not in os.environ:
            p.error("--ddp runs under torchrun (torchrun --nproc_per_node N pytorch_train.py MODEL --ddp)")
        import torch.distributed as dist
        dist.init_process_group("gloo")
        rank, processes = dist.get_rank(), dist.get_world_size()
        # One core per rank, as `mpirun --bind-to core` places DeepGen's.
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[int(os.environ.get("LOCAL_RANK", rank)) % len(cores)]})
    torch.manual_seed(args.seed)
    trainer, batch, (low, high), paired = make_workload(args.model, random.Random(args.seed + rank))
    batch = args.batch_size or batch
    global_batch = batch
    if args.ddp:
        if batch % processes:
            p.error(f"the {args.model} batch of {batch} does not split evenly over {processes} processes")
        batch //= processes
        # Rank 0's initial weights reach every rank at wrapping. Buffers (BatchNorm's running
        # statistics) stay per rank, as DeepGen keeps them; DDP's default would broadcast rank 0's
        # before every forward.
        trainer.distribute(lambda m: nn.parallel.DistributedDataParallel(m, **per_rank_buffers()))
        torch.manual_seed(args.seed + 1 + rank)  # each rank its own noise and batches

    if args.compile:
        if args.ddp:
            p.error("--compile and --ddp are separate benchmarks; choose one")
        compile_workload(trainer)
    sample_shape = (2,) if args.model == "realnvp-2d" else (1, 28, 28)

    def uniform():
        if args.model == "wavenet":  # windows of uniform samples and their classes
            return (torch.rand(batch, WaveNetTrainer.window) * (high - low) + low, torch.randint(0, 10, (batch,)))
        if args.model in TEXT_MODELS:  # token ids: inputs are the first block, targets the last block
            return torch.randint(low, high, (batch, TEXT_MODELS[args.model].block_size + 1), dtype=torch.int64)
        return torch.rand(batch, *sample_shape) * (high - low) + low

    pool = [(uniform(), uniform()) if paired else uniform() for _ in range(POOL_BATCHES)]

    step = 0
    losses = {}

    def train_one():
        """One step; returns whether its loss is not finite."""
        nonlocal step, losses
        losses = trainer.step(pool[step % len(pool)])
        step += 1
        if args.ddp and step == 1:
            # Layers that initialize themselves from their first batch (ActNorm) saw each rank's
            # own: every rank takes rank 0's parameters, as DeepGen's ranks do.
            for module in (m for m in vars(trainer).values() if isinstance(m, nn.Module)):
                for p in module.parameters():
                    dist.broadcast(p.data, src=0)
        return not all(math.isfinite(v) for v in losses.values())

    def agree(more, bad):
        """Every rank takes as many steps as the slowest wants (their all-reduces pair up), and a
        non-finite loss on any rank ends all of them."""
        if args.ddp:
            flags = torch.tensor([1 if more else 0, 1 if bad else 0])
            dist.all_reduce(flags, op=dist.ReduceOp.MAX)
            more, bad = bool(flags[0]), bool(flags[1])
        # As DeepGen's benchmark: a diverged run would not measure normal training.
        if bad:
            print(f"{args.model}: loss not finite at step {step}: {losses}", file=sys.stderr, flush=True)
            os._exit(1)
        return more

    if args.count_flops:
        from torch.utils.flop_counter import FlopCounterMode
        train_one()  # layers that initialize from their first batch do so outside the count
        counted = 5  # wgan-gp's generator steps on every 5th critic step
        # The counter does not see into nn.LSTM's fused CPU op (it counted char-rnn's decoder
        # alone, 3% of the step): each LSTM's products are added from the shapes it ran on, one
        # input and one recurrent product per layer and step, their backward pass twice that.
        lstm_flops = 0

        def count_lstm(module, inputs, _):
            nonlocal lstm_flops
            x = inputs[0]
            rows = x.shape[0] * x.shape[1] if x.dim() == 3 else x.shape[0]
            h = module.hidden_size
            for layer in range(module.num_layers):
                width = module.input_size if layer == 0 else h
                lstm_flops += 3 * 2 * rows * 4 * h * (width + h)

        hooks = [m.register_forward_hook(count_lstm) for v in vars(trainer).values() if isinstance(v, nn.Module)
                 for m in v.modules() if isinstance(m, nn.LSTM)]
        try:
            with FlopCounterMode(display=False) as counter:
                for _ in range(counted):
                    train_one()
        except RuntimeError as e:  # e.g. the second derivative of wgan-gp's penalty
            print(f"{args.model}: torch.utils.flop_counter cannot count this step ({e})", file=sys.stderr)
            sys.exit(3)
        for hook in hooks:
            hook.remove()
        flops = (counter.get_total_flops() + lstm_flops) / counted
        print(f"{args.model}: {flops / 1e9:.3f} GFLOP per step of batch {batch} (matrix products and convolutions)")
        print(json.dumps({"model": args.model, "batch": batch, "flops_per_step": flops,
                          "flops_per_image": flops / batch}), flush=True)
        return

    warmup_start = time.perf_counter()
    for _ in range(args.warmup_steps):
        agree(True, train_one())
    warmup_seconds = time.perf_counter() - warmup_start
    start = time.perf_counter()
    timed = 0
    while True:  # whole steps, at least one
        bad = train_one()
        timed += 1
        elapsed = time.perf_counter() - start
        if not agree(elapsed < args.seconds, bad):
            break
    batch = global_batch
    rate = timed * batch / elapsed  # images (gpt: sequences) per second
    # The warm-up steps' time: for --compile mostly compilation (the first steps trace and compile).
    extra = {"compile_seconds" if args.compile else "warmup_seconds": warmup_seconds}
    unit = "images/s"
    if args.model == "wavenet":
        extra["samples_per_second"] = rate * WaveNetTrainer.window
        unit = f"windows/s, {extra['samples_per_second']:.0f} samples/s"
    if args.model in TEXT_MODELS:
        extra["tokens_per_second"] = rate * TEXT_MODELS[args.model].block_size
        unit = f"sequences/s, {extra['tokens_per_second']:.0f} tokens/s"

    if args.ddp:
        # The job's memory: every rank's peak RSS summed (KiB on Linux).
        peak = torch.tensor([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024], dtype=torch.float64)
        dist.all_reduce(peak)
        extra["processes"] = processes
        extra["peak_rss_mb"] = peak.item()
        dist.barrier()
        if rank != 0:
            os._exit(0)
    loss_text = ", ".join(f"{k} {v:.4g}" for k, v in sorted(losses.items()))
    ranks = f" x {processes} processes" if processes > 1 else ""
    mode = "torch.compile" if args.compile else "eager"
    print(f"{args.model}: {rate:.1f} {unit} (batch {batch}, {args.threads} threads{ranks}, {timed} steps in {elapsed:.1f} s "
          f"after {args.warmup_steps} warm-up steps in {warmup_seconds:.1f} s; PyTorch {torch.__version__} {mode}); "
          f"last losses: {loss_text}", flush=True)
    if args.json:
        print(json.dumps({"framework": "torch.compile" if args.compile else "pytorch", "version": torch.__version__,
                          "model": args.model, "batch": batch,
                          "threads": args.threads, "steps": timed, "seconds": elapsed, "images_per_second": rate,
                          **extra}),
              flush=True)
    if args.ddp:
        # Some runs abort in teardown ("terminate called without an active exception", gloo's
        # threads at interpreter exit) after a complete measurement: leave without the teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
