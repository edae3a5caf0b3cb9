#!/usr/bin/env python3
"""Trains DeepGen's character GPT (the GPT of Scripts/bench/pytorch_train.py: the standard minimal
GPT in nanoGPT's layout, with the same initialization, AdamW parameter groups, learning-rate
schedule, gradient clipping and batch sampling as `deepgen train gpt`) on tiny Shakespeare in
PyTorch, and measures it with DeepGen's validation loss, so both frameworks can be compared:

    python3 Scripts/pytorch/train_gpt.py --iters 2000 --json
    python3 Scripts/pytorch/train_gpt.py --iters 2000 --eval-every 500 --sample 500 --out runs/torch-gpt.safetensors

The vocabulary is the sorted distinct characters (code points) of the whole file; the first 90%
of its characters train and the rest validate. Training draws `--batch-size` random windows a
step. The loss of a split is DeepGen's: the mean cross-entropy over every position of its
non-overlapping windows of `--block-size` characters (starting at 0, block, 2 block, ...; the
last partial window dropped), in nats per character, in eval mode.

Prints the loss, learning rate and elapsed time every --log-every iterations; with
--eval-every K the validation and training losses every K iterations (timed apart from
training); then the final validation and training losses in nats/char, bits/char and
perplexity, the training time and tokens/s; with --sample N, N characters generated from
--prompt with a key/value cache and the characters/s; with --json one JSON line, the last line
of stdout:

    {"framework": "pytorch", "version": "...", "iters": I, "train_seconds": T, "val_loss": L,
     "val_bpc": B, "train_loss": L, "threads": N, "peak_rss_mb": M, ...}

--out writes the weights as safetensors with DeepGen's names ("gpt." + the state_dict key; the
tied lm_head.weight is left out, as DeepGen stores only transformer.wte.weight). Needs torch,
numpy and safetensors.
"""
import argparse
import gzip
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Scripts", "bench"))
from pytorch_train import GPT, gpt_loss, gpt_optimizer  # noqa: E402

DEFAULT_DATA = os.path.join("Sources", "DeepGenTraining", "Resources", "tinyshakespeare.txt.gz")


def load_text(path):
    """The characters of a UTF-8 file (gzip when the name ends in .gz), without newline translation."""
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
        return f.read().decode("utf-8")


def tokenize(text):
    """(vocabulary: the distinct code points sorted, int64 ids of every character)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    vocabulary = np.unique(codes)  # sorted
    ids = np.searchsorted(vocabulary, codes).astype(np.int64)
    return [chr(c) for c in vocabulary], torch.from_numpy(ids)


def learning_rate(it, args):
    """Linear warm-up, then cosine decay to min_lr at lr_decay_iters, then min_lr."""
    if it < args.warmup:
        return args.lr * (it + 1) / (args.warmup + 1)
    if it > args.lr_decay_iters:
        return args.min_lr
    span = args.lr_decay_iters - args.warmup
    ratio = (it - args.warmup) / span if span > 0 else 1.0
    return args.min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (args.lr - args.min_lr)


def random_batch(data, batch, block):
    i = torch.randint(len(data) - block, (batch,))
    offsets = i[:, None] + torch.arange(block)
    return data[offsets], data[offsets + 1]


@torch.no_grad()
def split_loss(model, data, block, windows_per_batch=64):
    """DeepGen's loss of a split: mean cross-entropy (nats per character) over every position of
    the windows starting at 0, block, 2 block, ... that have a next character for each position."""
    windows = (len(data) - 1) // block
    if windows == 0:
        return float("nan")
    x = data[:windows * block].view(windows, block)
    y = data[1:windows * block + 1].view(windows, block)
    was_training = model.training
    model.eval()
    total = 0.0
    for s in range(0, windows, windows_per_batch):
        logits = model(x[s:s + windows_per_batch])
        losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[s:s + windows_per_batch].reshape(-1),
                                 reduction="none")
        total += losses.double().sum().item()
    model.train(was_training)
    return total / (windows * block)


@torch.no_grad()
def generate(model, prompt_ids, count, temperature, top_k, generator=None):
    """`count` token ids sampled after `prompt_ids`, with a key/value cache while the context fits
    the block; past it, each token recomputes the last block_size tokens (as nanoGPT)."""
    model.eval()
    block = model.block_size
    tokens = list(prompt_ids)
    cache = model.new_cache()
    logits = model(torch.tensor([tokens[-block:]]), cache)[:, -1, :]  # prefill
    out = []
    for _ in range(count):
        logits = logits / temperature
        if top_k is not None and top_k > 0:
            kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, [-1]]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        token = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator).item()
        tokens.append(token)
        out.append(token)
        if len(tokens) <= block and cache is not None:
            logits = model(torch.tensor([[token]]), cache)[:, -1, :]  # one position per layer
        else:
            cache = None
            logits = model(torch.tensor([tokens[-block:]]))[:, -1, :]
    return out


def save_weights(model, path):
    from safetensors.torch import save_file
    tensors = {"gpt." + k: v.detach().float().contiguous().clone()
               for k, v in model.state_dict().items() if k != "lm_head.weight"}
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    save_file(tensors, path, metadata={"generator": "Scripts/pytorch/train_gpt.py"})
    return sorted(tensors)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help=f"text file, UTF-8 (gzip if its name ends in .gz; default: {DEFAULT_DATA} "
                   "in the repository)")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--embedding", type=int, default=128, help="model width")
    p.add_argument("--block-size", type=int, default=64, help="context length in characters")
    p.add_argument("--batch-size", type=int, default=12, help="sequences per step")
    p.add_argument("--iters", type=int, default=2000, help="training steps")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--lr-decay-iters", type=int, help="end of the cosine decay (default: --iters)")
    p.add_argument("--warmup", type=int, default=100, help="linear warm-up iterations")
    p.add_argument("--beta2", type=float, default=0.99)
    p.add_argument("--weight-decay", type=float, default=0.1, help="on parameters of 2 or more axes")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--bias", action="store_true", help="biases in the Linear and LayerNorm layers")
    p.add_argument("--grad-clip", type=float, default=1.0, help="global gradient norm limit (0: none)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="torch intra-op threads (inter-op is always 1)")
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--eval-every", type=int, default=0, help="also evaluate every K iterations (0: only at the end)")
    p.add_argument("--sample", type=int, default=0, metavar="N", help="generate N characters after training")
    p.add_argument("--prompt", default="\n")
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--top-k", type=int, default=40, help="0: no top-k")
    p.add_argument("--out", help="write the trained weights here (.safetensors)")
    p.add_argument("--json", action="store_true", help="also print one JSON line, the last line of stdout")
    args = p.parse_args()
    if args.lr_decay_iters is None:
        args.lr_decay_iters = args.iters
    for name in ("layers", "heads", "embedding", "block_size", "batch_size", "threads", "log_every"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.iters < 0 or args.eval_every < 0 or args.sample < 0 or args.warmup < 0:
        p.error("--iters, --eval-every, --sample and --warmup cannot be negative")
    if args.embedding % args.heads != 0:
        p.error(f"--embedding {args.embedding} is not a multiple of --heads {args.heads}")
    if not args.temperature > 0:
        p.error("--temperature must be positive")

    torch.set_num_interop_threads(1)  # before any parallel work
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    path = args.data or os.path.join(ROOT, DEFAULT_DATA)
    text = load_text(path)
    vocabulary, data = tokenize(text)
    n = len(data)
    train, val = data[:int(n * 0.9)], data[int(n * 0.9):]
    if len(train) <= args.block_size:
        sys.exit(f"{path}: the training split ({len(train)} characters) is not longer than the block size")
    print(f"{os.path.relpath(path, ROOT) if path.startswith(ROOT) else path}: {n} characters, "
          f"vocabulary {len(vocabulary)}; {len(train)} train, {len(val)} validation", flush=True)

    model = GPT(len(vocabulary), args.block_size, args.layers, args.heads, args.embedding, args.dropout, args.bias)
    parameters = sum(q.numel() for q in model.parameters())  # the tied matrix once
    opt = gpt_optimizer(model, args.lr, args.weight_decay, (0.9, args.beta2))
    print(f"GPT: {args.layers} layers, {args.heads} heads, width {args.embedding}, block {args.block_size}, "
          f"{'with' if args.bias else 'no'} biases, dropout {args.dropout}: {parameters} parameters; "
          f"PyTorch {torch.__version__}, {args.threads} threads", flush=True)

    eval_seconds = 0.0
    last_eval = None  # (iteration, val loss, train loss)

    def evaluate(it):
        nonlocal eval_seconds, last_eval
        t0 = time.perf_counter()
        v, t = split_loss(model, val, args.block_size), split_loss(model, train, args.block_size)
        eval_seconds += time.perf_counter() - t0
        last_eval = (it, v, t)
        print(f"iter {it}: val loss {v:.4f} ({v / math.log(2):.4f} bits/char), train loss {t:.4f} "
              f"(evaluation {time.perf_counter() - t0:.1f} s)", flush=True)

    model.train()
    start = time.perf_counter()
    for it in range(args.iters):
        lr = learning_rate(it, args)
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = random_batch(train, args.batch_size, args.block_size)
        loss = gpt_loss(model, x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        opt.step()
        if it % args.log_every == 0 or it == args.iters - 1:
            value = loss.item()
            if not math.isfinite(value):
                sys.exit(f"loss not finite at iteration {it}: {value}")
            elapsed = time.perf_counter() - start - eval_seconds
            print(f"iter {it}: loss {value:.4f}, lr {lr:.3e}, {elapsed:.1f} s", flush=True)
        if args.eval_every and (it + 1) % args.eval_every == 0:
            evaluate(it + 1)
    train_seconds = time.perf_counter() - start - eval_seconds

    if last_eval is None or last_eval[0] != args.iters:
        evaluate(args.iters)
    _, val_loss, train_loss = last_eval
    tokens_per_second = args.iters * args.batch_size * args.block_size / train_seconds if train_seconds > 0 else 0.0
    ln2 = math.log(2)
    print(f"after {args.iters} iterations ({train_seconds:.1f} s training, {tokens_per_second:.0f} tokens/s; "
          f"{eval_seconds:.1f} s evaluating):")
    print(f"  validation: {val_loss:.4f} nats/char, {val_loss / ln2:.4f} bits/char, perplexity {math.exp(val_loss):.3f}")
    print(f"  training:   {train_loss:.4f} nats/char, {train_loss / ln2:.4f} bits/char, perplexity "
          f"{math.exp(train_loss):.3f}", flush=True)

    if args.sample:
        index = {c: i for i, c in enumerate(vocabulary)}
        missing = sorted(set(args.prompt) - set(index))
        if not args.prompt or missing:
            sys.exit(f"the prompt is empty or has characters outside the vocabulary: {missing}")
        t0 = time.perf_counter()
        ids = generate(model, [index[c] for c in args.prompt], args.sample, args.temperature, args.top_k)
        seconds = time.perf_counter() - t0
        print(f"--- sample ({args.sample} characters, temperature {args.temperature}, top-k {args.top_k}) ---")
        print(args.prompt + "".join(vocabulary[i] for i in ids))
        print(f"--- {args.sample / seconds:.0f} characters/s ---", flush=True)

    if args.out:
        keys = save_weights(model, args.out)
        print(f"wrote {args.out} ({len(keys)} tensors)", flush=True)

    if args.json:
        print(json.dumps({"framework": "pytorch", "version": torch.__version__, "iters": args.iters,
                          "train_seconds": train_seconds, "val_loss": val_loss, "val_bpc": val_loss / ln2,
                          "val_perplexity": math.exp(val_loss), "train_loss": train_loss,
                          "train_bpc": train_loss / ln2, "tokens_per_second": tokens_per_second,
                          "eval_seconds": eval_seconds, "parameters": parameters, "threads": args.threads,
                          "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)


if __name__ == "__main__":
    main()
