#!/usr/bin/env python3
"""Generation throughput of WaveNet in PyTorch with fast generation's per-layer queues (Paine et
al. 2016): the PyTorch half of `deepgen bench generate wavenet` (Scripts/bench/ab.py alternates
the two as the workloads wavenet-generate-1 and wavenet-generate-16).

    python3 Scripts/bench/pytorch_generate.py [--batch B] [--threads N] [--warmup-steps W]
                                              [--seconds S] [--seed 0] [--json]

The model is `deepgen train wavenet`'s default (the `WaveNet` of pytorch_train.py: 3 stacks of
dilations 1...512, 32/32/256 channels, 10 classes, PyTorch's default initialisation), in
evaluation mode under torch.inference_mode(). Each step feeds every sequence's last class,
reads each layer's input `dilation` steps back from its queue, pushes the current one, runs the
layer on [B, channels] rows (the dilated convolution's two taps as two matrix products), sums
the skip outputs, and draws the next class from the softmax (torch.multinomial). After W warm-up
steps (default 200) it steps until S seconds (default 10) have passed and reports
steps x B / elapsed samples per second. With --json the last line of stdout is one JSON object
as pytorch_train.py's, with "images_per_second" holding samples per second.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

from pytorch_train import WaveNet


class Generator:
    def __init__(self, net, labels):
        self.net, b = net, labels.shape[0]
        w = net.input_conv.weight
        self.tap1 = w[:, :, 1].t().contiguous()
        self.tap0 = torch.cat([w[:, :, 0].t(), w.new_zeros(1, w.shape[0])])
        self.bias = net.input_conv.bias
        self.previous = torch.full((b,), net.levels, dtype=torch.long)
        self.layers = []
        for layer in net.layers:
            d = layer.dilation
            self.layers.append({
                "d": d, "pos": 0,
                "w0": layer.dilated.weight[:, :, 0].contiguous(), "w1": layer.dilated.weight[:, :, 1].contiguous(),
                "bias": layer.dilated.bias + layer.condition(labels),
                "res": None if layer.residual is None else (layer.residual.weight[:, :, 0].contiguous(), layer.residual.bias),
                "skip": (layer.skip.weight[:, :, 0].contiguous(), layer.skip.bias),
                "queue": w.new_zeros(d, b, w.shape[0]),
            })
        self.end1 = (net.end_conv1.weight[:, :, 0].contiguous(), net.end_conv1.bias)
        self.end2 = (net.end_conv2.weight[:, :, 0].contiguous(), net.end_conv2.bias)

    def step(self, q):
        h = self.tap1[q] + self.tap0[self.previous] + self.bias
        self.previous = q
        skip = 0
        for l in self.layers:
            past = l["queue"][l["pos"]]
            pre = F.linear(past, l["w0"]) + F.linear(h, l["w1"], l["bias"])
            l["queue"][l["pos"]] = h
            l["pos"] = (l["pos"] + 1) % l["d"]
            a, g = pre.chunk(2, dim=1)
            z = torch.tanh(a) * torch.sigmoid(g)
            skip = skip + F.linear(z, *l["skip"])
            if l["res"] is not None:
                h = h + F.linear(z, *l["res"])
        logits = F.linear(F.relu(F.linear(F.relu(skip), *self.end1)), *self.end2)
        return torch.multinomial(F.softmax(logits, dim=1), 1).squeeze(1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", nargs="?", default="wavenet", choices=["wavenet"])
    p.add_argument("--batch", type=int, default=1, help="sequences generated together (default 1)")
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    p.add_argument("--warmup-steps", type=int, default=200)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    net = WaveNet([2 ** i for i in range(10)] * 3).eval()
    with torch.inference_mode():
        gen = Generator(net, torch.arange(args.batch) % 10)
        q = torch.full((args.batch,), 128, dtype=torch.long)
        for _ in range(args.warmup_steps):
            q = gen.step(q)
        start, steps = time.perf_counter(), 0
        while True:
            q = gen.step(q)
            steps += 1
            elapsed = time.perf_counter() - start
            if elapsed >= args.seconds:
                break
    rate = steps * args.batch / elapsed
    name = f"wavenet-generate-{args.batch}"
    print(f"{name}: {rate:.0f} samples/s ({rate / 8000:.2f}x real time at 8 kHz; batch {args.batch}, {args.threads} threads, "
          f"{steps} steps in {elapsed:.1f} s; PyTorch {torch.__version__})", flush=True)
    if args.json:
        print(json.dumps({"framework": "pytorch", "version": torch.__version__, "model": name, "batch": args.batch,
                          "threads": args.threads, "steps": steps, "seconds": elapsed, "images_per_second": rate}), flush=True)


if __name__ == "__main__":
    main()
