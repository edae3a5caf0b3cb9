#!/usr/bin/env python3
"""Steady-state training throughput of DeepGen's benchmark workloads in JAX (`jax.jit` of the whole
training step): the JAX side of the side-by-side benchmark (Scripts/bench/ab.py alternates it with
`deepgen bench train MODEL`, PyTorch eager and torch.compile).

    python3 Scripts/bench/jax_train.py MODEL [--threads N] [--warmup-steps W] [--seconds S]
                                       [--seed 0] [--json]

MODEL is one of: mlp-gan, dcgan, dcgan-256, mlp-vae, conv-vae, gpt, char-rnn. Each is the network of
Scripts/bench/pytorch_train.py (the layer sizes, losses, optimizer settings and batch of `deepgen train`
on 28x28 images; gpt and char-rnn on batches of random token ids), written with jax.numpy and
jax.lax, NCHW, float32, PyTorch's weight layouts and default initialisation ranges (gpt: nanoGPT's). Adam follows torch.optim.Adam (bias-corrected, eps outside the
square root). One step is one jitted function with its parameters donated: for the GANs the
discriminator step on a detached fake and the generator step through the updated discriminator,
its gradient pulled back through the generator's forward pass of the same fake (jax.vjp, as
PyTorch's retained graph); BatchNorm in training mode with running statistics carried as state;
dropout from a key split per step. Data: a fixed pool of 8 synthetic batches made up front and
cycled, as the other two sides do.

Threads: XLA's CPU backend sizes its thread pool from the CPUs the process may run on, so the
count is set by pinning (os.sched_setaffinity to the first N CPUs it may use, before jax is
imported); with one thread XLA's multi-threaded Eigen is also turned off. ab.py pins every side
the same way.

The warm-up steps (default 5; the first traces and compiles) are timed apart and reported as
"compile_seconds". With --json the last line of stdout is one JSON object:

    {"framework": "jax", "version": "...", "model": "...", "batch": B, "threads": N,
     "steps": K, "seconds": T, "images_per_second": X, "compile_seconds": C}

Exits with status 1 if a loss stops being finite, 2 for a model it does not implement. Needs jax.
"""
import argparse
import json
import math
import os
import sys
import time

MODELS = ("mlp-gan", "dcgan", "dcgan-256", "mlp-vae", "conv-vae", "gpt", "char-rnn")
LATENT = 100
POOL_BATCHES = 8


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help=f"the workload: {', '.join(MODELS)}")
    p.add_argument("--threads", type=int, default=1, help="CPUs the process is pinned to (default 1)")
    p.add_argument("--warmup-steps", type=int, default=5, help="untimed steps first, compilation included (default 5)")
    p.add_argument("--seconds", type=float, default=10, help="train whole steps for at least this long (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights and noise (default 0)")
    p.add_argument("--json", action="store_true", help="also print one JSON line, the last line of stdout (for ab.py)")
    args = p.parse_args()
    if args.model not in MODELS:
        print(f"jax_train.py: no JAX version of {args.model} (available: {', '.join(MODELS)})", file=sys.stderr)
        sys.exit(2)
    if args.threads < 1:
        p.error(f"--threads must be at least 1, got {args.threads}")
    if args.warmup_steps < 1:
        p.error("--warmup-steps must be at least 1 (the first step compiles)")
    if not args.seconds > 0:
        p.error(f"--seconds must be positive, got {args.seconds}")
    cpus = sorted(os.sched_getaffinity(0))
    if args.threads > len(cpus):
        p.error(f"--threads {args.threads} but this process may run on only {len(cpus)} CPUs")
    os.sched_setaffinity(0, set(cpus[:args.threads]))
    if args.threads == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")

    import jax
    import jax.numpy as jnp
    from jax import lax

    workloads = make_workloads(jax, jnp, lax)
    init, step, batch, draw = workloads[args.model]()
    key = jax.random.PRNGKey(args.seed)
    key, init_key, data_key = jax.random.split(key, 3)
    state = init(init_key)
    if isinstance(draw, tuple):  # images uniform in a range
        low, high = draw
        pool = [jax.random.uniform(k, (batch, 1, 28, 28), minval=low, maxval=high)
                for k in jax.random.split(data_key, POOL_BATCHES)]
    else:
        pool = [draw(k) for k in jax.random.split(data_key, POOL_BATCHES)]
    step = jax.jit(step, donate_argnums=(0,))

    count = 0
    losses = None

    def train_one():
        nonlocal state, key, count, losses
        key, k = jax.random.split(key)
        state, losses = step(state, pool[count % POOL_BATCHES], k)
        count += 1

    def check():
        values = {name: float(v) for name, v in losses.items()}  # waits for the step to finish
        if not all(math.isfinite(v) for v in values.values()):
            print(f"{args.model}: loss not finite at step {count}: {values}", file=sys.stderr, flush=True)
            sys.exit(1)
        return values

    warmup_start = time.perf_counter()
    for _ in range(args.warmup_steps):
        train_one()
        check()
    compile_seconds = time.perf_counter() - warmup_start
    start = time.perf_counter()
    timed = 0
    while True:
        train_one()
        values = check()  # every step: the same synchronisation as the other sides' loss.item()
        timed += 1
        elapsed = time.perf_counter() - start
        if elapsed >= args.seconds:
            break
    rate = timed * batch / elapsed
    loss_text = ", ".join(f"{k} {v:.4g}" for k, v in sorted(values.items()))
    print(f"{args.model}: {rate:.1f} images/s (batch {batch}, {args.threads} threads, {timed} steps in {elapsed:.1f} s "
          f"after {args.warmup_steps} warm-up steps in {compile_seconds:.1f} s; JAX {jax.__version__} jit); "
          f"last losses: {loss_text}", flush=True)
    if args.json:
        print(json.dumps({"framework": "jax", "version": jax.__version__, "model": args.model, "batch": batch,
                          "threads": args.threads, "steps": timed, "seconds": elapsed, "images_per_second": rate,
                          "compile_seconds": compile_seconds}), flush=True)


def make_workloads(jax, jnp, lax):
    """{model: () -> (init(key) -> state, step(state, batch, key) -> (state, losses), batch, data range)}."""

    # --- layers: parameters in PyTorch's layouts, initialised in PyTorch's default ranges -------
    def uniform(key, shape, bound):
        return jax.random.uniform(key, shape, minval=-bound, maxval=bound)

    def linear(key, n_in, n_out, bias=True):
        k1, k2 = jax.random.split(key)
        bound = 1 / math.sqrt(n_in)
        p = {"weight": uniform(k1, (n_out, n_in), bound)}
        if bias:
            p["bias"] = uniform(k2, (n_out,), bound)
        return p

    def apply_linear(p, x):
        y = x @ p["weight"].T
        return y + p["bias"] if "bias" in p else y

    def conv(key, c_in, c_out, k, bias=True, transposed=False):
        k1, k2 = jax.random.split(key)
        # PyTorch's fan-in is weight.size(1) * k * k: c_in for Conv2d, c_out for ConvTranspose2d.
        bound = 1 / math.sqrt((c_out if transposed else c_in) * k * k)
        shape = (c_in, c_out, k, k) if transposed else (c_out, c_in, k, k)
        p = {"weight": uniform(k1, shape, bound)}
        if bias:
            p["bias"] = uniform(k2, (c_out,), bound)
        return p

    def apply_conv(p, x, stride, padding):
        y = lax.conv_general_dilated(x, p["weight"], (stride, stride), [(padding, padding)] * 2,
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return y + p["bias"][None, :, None, None] if "bias" in p else y

    def apply_conv_transpose(p, x, stride, padding, output_padding=0):
        # PyTorch's ConvTranspose2d: the input dilated by the stride, convolved with the kernel
        # flipped and its in/out axes swapped.
        k = p["weight"].shape[2]
        w = jnp.flip(p["weight"], (2, 3)).transpose(1, 0, 2, 3)
        lo, hi = k - 1 - padding, k - 1 - padding + output_padding
        y = lax.conv_general_dilated(x, w, (1, 1), [(lo, hi)] * 2, lhs_dilation=(stride, stride),
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return y + p["bias"][None, :, None, None] if "bias" in p else y

    def batch_norm(c):
        return {"weight": jnp.ones((c,)), "bias": jnp.zeros((c,))}, {"mean": jnp.zeros((c,)), "var": jnp.ones((c,))}

    def apply_batch_norm(p, stats, x, axes, momentum=0.1, eps=1e-5):
        """Training mode: batch statistics; returns the output and the updated running statistics."""
        mean = x.mean(axes)
        var = ((x - mean.reshape([1, -1] + [1] * (x.ndim - 2))) ** 2).mean(axes)
        n = x.size // x.shape[1]
        shape = [1, -1] + [1] * (x.ndim - 2)
        y = (x - mean.reshape(shape)) * lax.rsqrt(var.reshape(shape) + eps) * p["weight"].reshape(shape) + p["bias"].reshape(shape)
        new = {"mean": (1 - momentum) * stats["mean"] + momentum * lax.stop_gradient(mean),
               "var": (1 - momentum) * stats["var"] + momentum * lax.stop_gradient(var) * n / (n - 1)}
        return y, new

    def leaky(x):
        return jnp.where(x > 0, x, 0.2 * x)

    def dropout(key, x, rate):
        keep = jax.random.bernoulli(key, 1 - rate, x.shape)
        return jnp.where(keep, x / (1 - rate), 0)

    def bce_with_logits(logits, target):
        # mean of max(l, 0) - l t + log(1 + exp(-|l|)), as F.binary_cross_entropy_with_logits
        return (jnp.maximum(logits, 0) - logits * target + jnp.log1p(jnp.exp(-jnp.abs(logits)))).mean()

    # --- Adam as torch.optim.Adam ---------------------------------------------------------------
    def adam_init(params):
        # Two trees of their own: donated buffers must not be shared.
        return {"m": jax.tree_util.tree_map(jnp.zeros_like, params), "v": jax.tree_util.tree_map(jnp.zeros_like, params),
                "t": jnp.zeros((), jnp.int32)}

    def adam_update(params, grads, opt, lr, betas, eps=1e-8):
        b1, b2 = betas
        t = opt["t"] + 1
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, opt["m"], grads)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, opt["v"], grads)
        c1 = 1 - b1 ** t.astype(jnp.float32)
        c2 = 1 - b2 ** t.astype(jnp.float32)
        params = jax.tree_util.tree_map(
            lambda p, m, v: p - lr * (m / c1) / (jnp.sqrt(v / c2) + eps), params, m, v)
        return params, {"m": m, "v": v, "t": t}

    # --- GANs -----------------------------------------------------------------------------------
    def mlp_gan():
        def init(key):
            ks = jax.random.split(key, 7)
            g = [linear(ks[0], LATENT, 256), linear(ks[1], 256, 512), linear(ks[2], 512, 1024), linear(ks[3], 1024, 784)]
            d = [linear(ks[4], 784, 512), linear(ks[5], 512, 256), linear(ks[6], 256, 1)]
            return {"g": g, "d": d, "bn": {}}

        def generate(g, bn, z):
            h = z
            for layer in g[:-1]:
                h = leaky(apply_linear(layer, h))
            return jnp.tanh(apply_linear(g[-1], h)).reshape(-1, 1, 28, 28), bn

        def discriminate(d, x, key):
            h = x.reshape(x.shape[0], -1)
            for layer in d[:-1]:
                h = leaky(apply_linear(layer, h))
            return apply_linear(d[-1], h)

        return gan(init, generate, discriminate, 64, 2e-4, (0.5, 0.999))

    def dcgan(batch):
        def init(key):
            ks = jax.random.split(key, 6)
            bn0, s0 = batch_norm(7 * 7 * 256)
            bn1, s1 = batch_norm(128)
            bn2, s2 = batch_norm(64)
            g = {"fc": linear(ks[0], LATENT, 7 * 7 * 256, bias=False), "bn0": bn0,
                 "t1": conv(ks[1], 256, 128, 5, bias=False, transposed=True), "bn1": bn1,
                 "t2": conv(ks[2], 128, 64, 5, bias=False, transposed=True), "bn2": bn2,
                 "t3": conv(ks[3], 64, 1, 5, transposed=True)}
            d = {"c1": conv(ks[4], 1, 64, 5), "c2": conv(ks[5], 64, 128, 5),
                 "fc": linear(jax.random.fold_in(key, 7), 128 * 7 * 7, 1)}
            return {"g": g, "d": d, "bn": {"bn0": s0, "bn1": s1, "bn2": s2}}

        def generate(g, bn, z):
            h, s0 = apply_batch_norm(g["bn0"], bn["bn0"], apply_linear(g["fc"], z), (0,))
            h = leaky(h).reshape(-1, 256, 7, 7)
            h, s1 = apply_batch_norm(g["bn1"], bn["bn1"], apply_conv_transpose(g["t1"], h, 1, 2), (0, 2, 3))
            h, s2 = apply_batch_norm(g["bn2"], bn["bn2"], apply_conv_transpose(g["t2"], leaky(h), 2, 2, 1), (0, 2, 3))
            x = jnp.tanh(apply_conv_transpose(g["t3"], leaky(h), 2, 2, 1))
            return x, {"bn0": s0, "bn1": s1, "bn2": s2}

        def discriminate(d, x, key):
            k1, k2 = jax.random.split(key)
            h = dropout(k1, leaky(apply_conv(d["c1"], x, 2, 2)), 0.3)
            h = dropout(k2, leaky(apply_conv(d["c2"], h, 2, 2)), 0.3)
            return apply_linear(d["fc"], h.reshape(h.shape[0], -1))

        return gan(init, generate, discriminate, batch, 2e-4, (0.5, 0.999))

    def gan(init_networks, generate, discriminate, batch, lr, betas):
        def init(key):
            s = init_networks(key)
            return {**s, "opt_g": adam_init(s["g"]), "opt_d": adam_init(s["d"])}

        def step(state, real, key):
            kz, kd1, kd2, kd3 = jax.random.split(key, 4)
            z = jax.random.normal(kz, (real.shape[0], LATENT))
            fake, pull_back, bn = jax.vjp(lambda g: generate(g, state["bn"], z), state["g"], has_aux=True)

            def d_loss(d):
                dr = discriminate(d, real, kd1)
                df = discriminate(d, lax.stop_gradient(fake), kd2)
                return bce_with_logits(dr, jnp.ones_like(dr)) + bce_with_logits(df, jnp.zeros_like(df))

            loss_d, grads_d = jax.value_and_grad(d_loss)(state["d"])
            d, opt_d = adam_update(state["d"], grads_d, state["opt_d"], lr, betas)

            def g_loss(x):
                out = discriminate(d, x, kd3)
                return bce_with_logits(out, jnp.ones_like(out))

            loss_g, grad_fake = jax.value_and_grad(g_loss)(fake)
            (grads_g,) = pull_back(grad_fake)
            g, opt_g = adam_update(state["g"], grads_g, state["opt_g"], lr, betas)
            return {"g": g, "d": d, "bn": bn, "opt_g": opt_g, "opt_d": opt_d}, {"loss_d": loss_d, "loss_g": loss_g}

        return init, step, batch, (-1, 1)

    # --- VAEs (Bernoulli likelihood on pixels in [0, 1]) ----------------------------------------
    def negative_elbo(logits, x, mu, logvar):
        x = x.reshape(x.shape[0], -1)
        logits = logits.reshape(x.shape[0], -1)
        rec = (jnp.maximum(logits, 0) - logits * x + jnp.log1p(jnp.exp(-jnp.abs(logits)))).sum(1)
        kl = -0.5 * (1 + logvar - mu ** 2 - jnp.exp(logvar)).sum(1)
        return (rec + kl).mean()

    def vae(init_model, loss):
        def init(key):
            params = init_model(key)
            return {"params": params, "opt": adam_init(params)}

        def step(state, x, key):
            value, grads = jax.value_and_grad(loss)(state["params"], x, key)
            params, opt = adam_update(state["params"], grads, state["opt"], 1e-3, (0.9, 0.999))
            return {"params": params, "opt": opt}, {"loss": value}

        return init, step, 128, (0, 1)

    def mlp_vae():
        def init(key):
            ks = jax.random.split(key, 5)
            return {"fc1": linear(ks[0], 784, 400), "fc21": linear(ks[1], 400, 20), "fc22": linear(ks[2], 400, 20),
                    "fc3": linear(ks[3], 20, 400), "fc4": linear(ks[4], 400, 784)}

        def loss(p, x, key):
            h = jax.nn.relu(apply_linear(p["fc1"], x.reshape(x.shape[0], -1)))
            mu, logvar = apply_linear(p["fc21"], h), apply_linear(p["fc22"], h)
            z = mu + jnp.exp(0.5 * logvar) * jax.random.normal(key, mu.shape)
            return negative_elbo(apply_linear(p["fc4"], jax.nn.relu(apply_linear(p["fc3"], z))), x, mu, logvar)

        return vae(init, loss)

    def conv_vae():
        def init(key):
            ks = jax.random.split(key, 7)
            return {"e1": conv(ks[0], 1, 32, 4), "e2": conv(ks[1], 32, 64, 4), "mu": linear(ks[2], 3136, 20),
                    "logvar": linear(ks[3], 3136, 20), "d_in": linear(ks[4], 20, 3136),
                    "t1": conv(ks[5], 64, 32, 4, transposed=True), "t2": conv(ks[6], 32, 1, 4, transposed=True)}

        def loss(p, x, key):
            h = jax.nn.relu(apply_conv(p["e2"], jax.nn.relu(apply_conv(p["e1"], x, 2, 1)), 2, 1)).reshape(x.shape[0], -1)
            mu, logvar = apply_linear(p["mu"], h), apply_linear(p["logvar"], h)
            z = mu + jnp.exp(0.5 * logvar) * jax.random.normal(key, mu.shape)
            h = jax.nn.relu(apply_linear(p["d_in"], z).reshape(-1, 64, 7, 7))
            logits = apply_conv_transpose(p["t2"], jax.nn.relu(apply_conv_transpose(p["t1"], h, 2, 1)), 2, 1)
            return negative_elbo(logits, x, mu, logvar)

        return vae(init, loss)

    # --- text: batches of random token ids [B, block + 1]; inputs the first block, targets the last
    def clip_by_global_norm(grads, max_norm):
        # torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
        norm = jnp.sqrt(sum(jnp.sum(g * g) for g in jax.tree_util.tree_leaves(grads)))
        scale = jnp.minimum(1.0, max_norm / (norm + 1e-6))
        return jax.tree_util.tree_map(lambda g: g * scale, grads)

    def cross_entropy(logits, targets):
        logp = jax.nn.log_softmax(logits.reshape(-1, logits.shape[-1]))
        return -jnp.take_along_axis(logp, targets.reshape(-1, 1), axis=1).mean()

    def tokens(batch, block, vocabulary=65):
        return lambda key: jax.random.randint(key, (batch, block + 1), 0, vocabulary, dtype=jnp.int32)

    def gpt():
        """The CPU recipe of pytorch_train.py's GPTTrainer: 4 pre-LN blocks, 4 heads, width 128, block
        64, vocabulary 65, no biases, no dropout, LM head tied to the token embedding; AdamW 1e-3,
        betas (0.9, 0.99), weight decay 0.1 on parameters of 2+ axes, gradient norm clipped to 1."""
        vocab, block, layers, heads, c = 65, 64, 4, 4, 128

        def init(key):
            ks = iter(jax.random.split(key, 2 + 4 * layers))
            normal = lambda k, shape, std=0.02: std * jax.random.normal(k, shape)
            proj_std = 0.02 / math.sqrt(2 * layers)
            params = {"wte": normal(next(ks), (vocab, c)), "wpe": normal(next(ks), (block, c)), "ln_f": jnp.ones((c,)),
                      "h": [{"ln_1": jnp.ones((c,)), "c_attn": normal(next(ks), (3 * c, c)),
                             "attn_proj": normal(next(ks), (c, c), proj_std), "ln_2": jnp.ones((c,)),
                             "c_fc": normal(next(ks), (4 * c, c)), "mlp_proj": normal(next(ks), (c, 4 * c), proj_std)}
                            for _ in range(layers)]}
            return {"params": params, "opt": adam_init(params)}

        def layer_norm(w, x):
            mean = x.mean(-1, keepdims=True)
            var = ((x - mean) ** 2).mean(-1, keepdims=True)
            return (x - mean) * lax.rsqrt(var + 1e-5) * w

        def forward(p, idx):
            b, t = idx.shape
            x = p["wte"][idx] + p["wpe"][:t]
            mask = jnp.tril(jnp.ones((t, t), bool))
            for layer in p["h"]:
                q, k, v = jnp.split(layer_norm(layer["ln_1"], x) @ layer["c_attn"].T, 3, axis=2)
                q, k, v = (z.reshape(b, t, heads, c // heads).transpose(0, 2, 1, 3) for z in (q, k, v))
                scores = jnp.where(mask, q @ k.transpose(0, 1, 3, 2) / math.sqrt(c // heads), -jnp.inf)
                y = (jax.nn.softmax(scores, axis=-1) @ v).transpose(0, 2, 1, 3).reshape(b, t, c)
                x = x + y @ layer["attn_proj"].T
                h = jax.nn.gelu(layer_norm(layer["ln_2"], x) @ layer["c_fc"].T, approximate=False)
                x = x + h @ layer["mlp_proj"].T
            return layer_norm(p["ln_f"], x) @ p["wte"].T

        def step(state, batch, key):
            loss, grads = jax.value_and_grad(lambda p: cross_entropy(forward(p, batch[:, :-1]), batch[:, 1:]))(state["params"])
            grads = clip_by_global_norm(grads, 1.0)
            lr = 1e-3
            # AdamW (torch.optim.AdamW): decay the matrices first, then Adam's step.
            decayed = jax.tree_util.tree_map(lambda w: w * (1 - lr * 0.1) if w.ndim >= 2 else w, state["params"])
            params, opt = adam_update(decayed, grads, state["opt"], lr, (0.9, 0.99))
            return {"params": params, "opt": opt}, {"loss": loss}

        return init, step, 12, tokens(12, block)

    def char_rnn():
        """pytorch_train.py's CharRNNTrainer: Embedding(65, 128), a 2-layer LSTM of 128 (PyTorch's gate
        order i, f, g, o; zero initial state), Linear(128, 65); sequences of 50, batch 50; RMSprop 2e-3
        (alpha 0.95, eps 1e-8), gradient norm clipped to 5."""
        vocab, hidden, embedding, layers, block = 65, 128, 128, 2, 50

        def init(key):
            ks = jax.random.split(key, 2 + 4 * layers)
            bound = 1 / math.sqrt(hidden)
            params = {"encoder": jax.random.normal(ks[0], (vocab, embedding)), "decoder": linear(ks[1], hidden, vocab),
                      "rnn": [{"w_ih": uniform(ks[2 + 4 * l], (4 * hidden, embedding if l == 0 else hidden), bound),
                               "w_hh": uniform(ks[3 + 4 * l], (4 * hidden, hidden), bound),
                               "b_ih": uniform(ks[4 + 4 * l], (4 * hidden,), bound),
                               "b_hh": uniform(ks[5 + 4 * l], (4 * hidden,), bound)} for l in range(layers)]}
            return {"params": params, "v": jax.tree_util.tree_map(jnp.zeros_like, params)}

        def lstm(layer, xs):
            gates_in = xs @ layer["w_ih"].T + layer["b_ih"] + layer["b_hh"]  # [T, B, 4H], all steps at once

            def cell(carry, g):
                h, c = carry
                g = g + h @ layer["w_hh"].T
                i, f, gg, o = jnp.split(g, 4, axis=-1)
                c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(gg)
                h = jax.nn.sigmoid(o) * jnp.tanh(c)
                return (h, c), h

            zeros = jnp.zeros((xs.shape[1], hidden))
            return lax.scan(cell, (zeros, zeros), gates_in)[1]

        def loss_fn(p, batch):
            h = p["encoder"][batch[:, :-1]].transpose(1, 0, 2)  # time-major [T, B, E]
            for layer in p["rnn"]:
                h = lstm(layer, h)
            logits = apply_linear(p["decoder"], h.transpose(1, 0, 2))
            return cross_entropy(logits, batch[:, 1:])

        def step(state, batch, key):
            loss, grads = jax.value_and_grad(loss_fn)(state["params"], batch)
            grads = clip_by_global_norm(grads, 5.0)
            v = jax.tree_util.tree_map(lambda v, g: 0.95 * v + 0.05 * g * g, state["v"], grads)
            params = jax.tree_util.tree_map(lambda p, g, v: p - 2e-3 * g / (jnp.sqrt(v) + 1e-8), state["params"], grads, v)
            return {"params": params, "v": v}, {"loss": loss}

        return init, step, 50, tokens(50, block)

    return {"mlp-gan": mlp_gan, "dcgan": lambda: dcgan(64), "dcgan-256": lambda: dcgan(256),
            "mlp-vae": mlp_vae, "conv-vae": conv_vae, "gpt": gpt, "char-rnn": char_rnn}


if __name__ == "__main__":
    main()
