#!/usr/bin/env python3
"""Generate PyTorch golden reference values for DeepGen's Swift tests.

Run from anywhere:

    python3 Scripts/make_fixtures.py

It writes these JSON files into Tests/DeepGenTests/Fixtures/ (relative to the repository
root, found from this script's own location):

    conv2d.json             F.conv2d forward + grads of x, w, b
    conv_transpose2d.json   F.conv_transpose2d forward + grads of x, w, b
    cross_entropy.json      log_softmax, softmax, mean cross-entropy and their grads
    gradient_penalty.json   WGAN-GP: gradient penalty and its second-order grads
    pooling.json            max_pool2d / avg_pool2d forward + grad of x
    binary_cross_entropy.json  binary cross-entropy with logits summed per sample, grads of
                            logits and targets
    misc_ops.json           softplus, log_sigmoid, logsumexp, variance, nearest, sin, cos
                            upsampling, reflect padding, instance-norm-like normalization
    text_ops.json           the text models' ops: GELU, layer_norm, embedding lookup,
                            per-row cross-entropy, causal scaled-dot-product attention
                            (also with fewer queries than keys, a key/value cache's step),
                            one LSTM cell step from its gate pre-activations
    audio_ops.json          WaveNet's ops: F.conv1d (causal and explicit padding, dilated,
                            kernel 1 to 3) and the gated activation tanh(a)*sigmoid(b)

The outputs are committed to the repository, so the Swift tests need neither Python nor
PyTorch; rerun this script only to add or change cases. Output is deterministic: each case
seeds the RNG from a CRC32 of "file/case", torch runs single-threaded, and rerunning
produces byte-identical files.

File format:

    {"generator": "Scripts/make_fixtures.py", "torch_version": "...",
     "cases": [{"name": str, "params": {...},
                "tensors": {NAME: {"shape": [ints], "data": [floats, row-major]}}}, ...]}

Params are numbers, bools, strings or lists of ints only (what the Swift loader accepts).
Integer label arrays are stored as tensors whose float values are exact integers.

Method: inputs are drawn as float32 and stored exactly; every reference is then computed in
float64 from those exact values and rounded to float32 when written. Each float is written
as the shortest decimal string that reads back as the same float32, also when the reader
parses it as a double first and then rounds to float (falls back to 9 significant digits).
Upstream gradients: for an op with output y, grads are of loss = (y * grad_output).sum(),
with grad_output a fixed random tensor of y's shape stored as "grad_output".
Layouts are PyTorch's: NCHW, conv weight [out, in, kh, kw], conv_transpose weight
[in, out, kh, kw], Linear weight [out, in] with y = x W^T + b.
"""

import json
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "Tests", "DeepGenTests", "Fixtures")
GENERATOR = "Scripts/make_fixtures.py"

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


# ----------------------------------------------------------------------------- helpers

def seed(file, case):
    """Seeds torch from the case's identity so adding a case never changes another one."""
    torch.manual_seed(zlib.crc32(f"{file}/{case}".encode()))


def randn(*shape, scale=1.0):
    """float32 normal values (times scale, rounded to float32), returned as exact float64."""
    return (torch.randn(*shape, dtype=torch.float32) * scale).double()


def rand(*shape):
    return torch.rand(*shape, dtype=torch.float32).double()


def f32(values):
    """A float64 tensor of the given values, each rounded to float32 (stored inputs)."""
    return torch.tensor(values, dtype=torch.float32).double()


def fmt(v):
    """Shortest decimal for float32 v that round-trips directly and via float64."""
    x = np.float32(v)
    if not np.isfinite(x):
        raise ValueError(f"non-finite value {v} cannot be stored in JSON")
    s = str(x)  # numpy: shortest unique repr of the float32, e.g. '0.1', '1e-05', '-0.0'
    if np.float32(float(s)) != x:  # double rounding on a near-halfway string: be exact
        s = "%.9g" % float(x)
        if "." not in s and "e" not in s and "n" not in s:
            s += ".0"
    assert np.float32(float(s)) == x, (v, s)
    return s


class Case:
    def __init__(self, name, params):
        self.name = name
        self.params = params
        self.tensors = {}

    def add(self, key, t):
        if t is None:
            raise ValueError(f"{self.name}: tensor {key} is None")
        t = t.detach().double()
        assert key not in self.tensors, key
        self.tensors[key] = (list(t.shape), t.reshape(-1).tolist())

    def to_json(self):
        lines = ["    {", f'      "name": {json.dumps(self.name)},',
                 f'      "params": {json.dumps(self.params, sort_keys=True)},',
                 '      "tensors": {']
        items = []
        for key, (shape, data) in self.tensors.items():
            items.append(f'        {json.dumps(key)}: {{"shape": {json.dumps(shape)}, '
                         f'"data": [{", ".join(fmt(v) for v in data)}]}}')
        lines.append(",\n".join(items))
        lines.append("      }")
        lines.append("    }")
        return "\n".join(lines)


def write(file, cases):
    os.makedirs(OUT_DIR, exist_ok=True)
    body = ",\n".join(c.to_json() for c in cases)
    text = ('{\n  "generator": ' + json.dumps(GENERATOR) + ',\n  "torch_version": '
            + json.dumps(torch.__version__) + ',\n  "cases": [\n' + body + "\n  ]\n}\n")
    json.loads(text)  # must be valid JSON
    path = os.path.join(OUT_DIR, file)
    with open(path, "w", newline="\n") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(path, ROOT)} ({len(text)} bytes, {len(cases)} cases)")


def pair(v):
    return [v, v] if isinstance(v, int) else list(v)


def grads_of(y, inputs, G):
    """Gradients of (y * G).sum() w.r.t. inputs."""
    return torch.autograd.grad((y * G).sum(), inputs)


# ----------------------------------------------------------------------------- conv2d

def gradient_case(name, params, inputs, fn):
    """inputs: {key: tensor}; fn(*tensors) -> y. A case with the inputs, y, grad_output and
    grad_<key> of every input."""
    leaves = {k: v.clone().requires_grad_() for k, v in inputs.items()}
    y = fn(*leaves.values())
    G = randn(*y.shape)
    grads = grads_of(y, list(leaves.values()), G)
    c = Case(name, params)
    for k, v in leaves.items():
        c.add(k, v)
    c.add("y", y); c.add("grad_output", G)
    for k, g in zip(leaves, grads):
        c.add("grad_" + k, g)
    return c


def make_conv2d():
    file = "conv2d.json"
    specs = [
        ("s1_p0", [2, 3, 6, 5], [4, 3, 3, 3], 1, 0, 1, True),
        ("s2_p1", [2, 3, 7, 6], [4, 3, 3, 3], 2, 1, 1, True),
        ("s2_p2_k5", [2, 2, 9, 9], [3, 2, 5, 5], 2, 2, 1, True),
        ("rect", [1, 2, 8, 7], [3, 2, 3, 2], (2, 1), (1, 0), 1, False),
        ("dilated", [1, 2, 9, 9], [2, 2, 3, 3], 1, 2, 2, True),
        # More than 4 output channels: the im2col + GEMM path (fewer take the direct kernels).
        ("s1_p1_wide", [2, 3, 6, 5], [6, 3, 3, 3], 1, 1, 1, True),
        ("s2_p1_wide", [2, 3, 7, 6], [8, 3, 3, 3], 2, 1, 1, False),
        # Stride 1, 3×3 or 5×5, ≥ 16 channels each side: the Winograd kernels.
        ("winograd_k3", [2, 16, 7, 7], [20, 16, 3, 3], 1, 1, 1, True),
        ("winograd_k5", [2, 17, 6, 8], [16, 17, 5, 5], 1, 2, 1, False),
        # Stride 2, 5×5 pad 2 or 4×4 pad 1, even sides: stride 1 over pixel phases (Winograd).
        ("s2_phases_k5", [2, 4, 10, 8], [16, 4, 5, 5], 2, 2, 1, True),
        ("s2_phases_k4", [2, 5, 8, 10], [17, 5, 4, 4], 2, 1, 1, False),
    ]
    cases = []
    for name, xs, ws, stride, padding, dilation, bias in specs:
        seed(file, name)
        x = randn(*xs).requires_grad_()
        w = randn(*ws).requires_grad_()
        b = randn(ws[0]).requires_grad_() if bias else None
        s, p, d = pair(stride), pair(padding), pair(dilation)
        y = F.conv2d(x, w, b, stride=s, padding=p, dilation=d)
        G = randn(*y.shape)
        ins = [x, w] + ([b] if bias else [])
        g = grads_of(y, ins, G)
        c = Case(name, {"stride": s, "padding": p, "dilation": d, "bias": bias})
        c.add("x", x); c.add("w", w)
        if bias:
            c.add("b", b)
        c.add("y", y); c.add("grad_output", G)
        c.add("grad_x", g[0]); c.add("grad_w", g[1])
        if bias:
            c.add("grad_b", g[2])
        cases.append(c)
    write(file, cases)


# ----------------------------------------------------------------------------- conv_transpose2d

def make_conv_transpose2d():
    file = "conv_transpose2d.json"
    specs = [
        ("s1_p0", [2, 3, 4, 5], [3, 2, 3, 3], 1, 0, 0, True),
        ("s2_p1_op1", [2, 4, 4, 5], [4, 3, 3, 3], 2, 1, 1, True),
        ("s2_p2_op1_k5", [2, 4, 4, 4], [4, 2, 5, 5], 2, 2, 1, True),
        ("rect", [1, 3, 3, 4], [3, 2, 4, 3], (2, 1), (1, 1), (0, 0), False),
        # More than 4 input channels: the GEMM + col2im path for the output.
        ("s1_p1_wide", [2, 6, 4, 5], [6, 2, 3, 3], 1, 1, 0, True),
        ("s2_p1_op1_wide", [2, 6, 4, 4], [6, 5, 3, 3], 2, 1, 1, True),
        # Stride 1, 3×3 or 5×5, ≥ 16 channels each side: the Winograd kernels.
        ("winograd_k5", [2, 18, 7, 7], [18, 16, 5, 5], 1, 2, 0, True),
        ("winograd_k3", [2, 16, 9, 9], [16, 24, 3, 3], 1, 0, 0, False),
        # Stride 2 onto an even output: the adjoint of the pixel-phase rewrite.
        ("s2_phases_k5", [2, 16, 4, 5], [16, 4, 5, 5], 2, 2, 1, True),
        ("s2_phases_k4", [2, 18, 5, 4], [18, 5, 4, 4], 2, 1, 0, False),
    ]
    cases = []
    for name, xs, ws, stride, padding, out_pad, bias in specs:
        seed(file, name)
        x = randn(*xs).requires_grad_()
        w = randn(*ws).requires_grad_()
        b = randn(ws[1]).requires_grad_() if bias else None
        s, p, op = pair(stride), pair(padding), pair(out_pad)
        y = F.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=op, dilation=1)
        G = randn(*y.shape)
        ins = [x, w] + ([b] if bias else [])
        g = grads_of(y, ins, G)
        c = Case(name, {"stride": s, "padding": p, "output_padding": op, "dilation": [1, 1],
                        "bias": bias})
        c.add("x", x); c.add("w", w)
        if bias:
            c.add("b", b)
        c.add("y", y); c.add("grad_output", G)
        c.add("grad_x", g[0]); c.add("grad_w", g[1])
        if bias:
            c.add("grad_b", g[2])
        cases.append(c)
    write(file, cases)


# ----------------------------------------------------------------------------- cross entropy

def make_cross_entropy():
    file = "cross_entropy.json"
    cases = []

    def build(name, logits, labels):
        N, C = logits.shape
        logits = logits.clone().requires_grad_()
        ls = F.log_softmax(logits, 1)
        sm = F.softmax(logits, 1)
        loss = F.cross_entropy(logits, labels, reduction="mean")
        (grad_logits,) = torch.autograd.grad(loss, logits)
        G = randn(N, C)
        (grad_ls_in,) = grads_of(F.log_softmax(logits, 1), [logits], G)
        c = Case(name, {"N": N, "C": C, "dim": 1, "reduction": "mean"})
        c.add("logits", logits); c.add("labels", labels.double())
        c.add("log_softmax", ls); c.add("softmax", sm)
        c.add("loss", loss); c.add("grad_logits", grad_logits)
        c.add("grad_output", G); c.add("grad_log_softmax_input", grad_ls_in)
        cases.append(c)

    seed(file, "small")
    logits = randn(5, 7)
    labels = torch.randint(0, 7, (5,))
    build("small", logits, labels)

    seed(file, "large_values")
    logits = randn(4, 6, scale=100.0)
    logits[2] = f32([1000.0, -1000.0, 0.0, 999.5, -500.0, 1000.0])
    # Row 2's label points at -1000: its loss term is about 2000 (no overflow in exp allowed).
    labels = torch.tensor([0, 3, 1, 5])
    build("large_values", logits, labels)

    seed(file, "single_class_dominant")
    logits = randn(3, 4)
    logits[0, 2] += 30.0
    logits[1, 0] += 25.0
    logits[2, 3] += 40.0
    logits = logits.float().double()
    # Rows 0 and 2 label the dominant class (loss ~ 0), row 1 labels another one.
    labels = torch.tensor([2, 3, 3])
    build("single_class_dominant", logits, labels)

    write(file, cases)


# ----------------------------------------------------------------------------- gradient penalty

def gradient_penalty_case(name, critic, named_params, real, fake, alpha, extra_params):
    x_hat = (alpha * real + (1 - alpha) * fake).detach().requires_grad_()
    d = critic(x_hat)
    (grad,) = torch.autograd.grad(d.sum(), x_hat, create_graph=True)
    gp = ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
    params = [p for _, p in named_params]
    grads = torch.autograd.grad(gp, params + [x_hat], allow_unused=True)
    # Parameters that only reach the input gradient through piecewise-constant slopes
    # (biases feeding leaky_relu, the last layer's bias) get None: their gradient is zero.
    grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params + [x_hat], grads)]
    c = Case(name, dict({"lambda": 10, "negative_slope": 0.2}, **extra_params))
    c.add("real", real); c.add("fake", fake); c.add("alpha", alpha)
    for n, p in named_params:
        c.add(n, p)
    c.add("x_hat", x_hat)
    c.add("d", d); c.add("grad_x_hat", grad); c.add("gp", gp)
    for (n, _), g in zip(named_params, grads):
        c.add("grad." + n, g)
    c.add("grad_gp_x_hat", grads[-1])
    return c


def make_gradient_penalty():
    file = "gradient_penalty.json"
    cases = []

    seed(file, "mlp")
    l1 = torch.nn.Linear(5, 8)
    l2 = torch.nn.Linear(8, 6)
    l3 = torch.nn.Linear(6, 1)
    for m in (l1, l2, l3):
        m.double()  # exact: float32-initialized values widened to float64
    real, fake, alpha = randn(4, 5), randn(4, 5), rand(4, 1)
    pre = {}

    def mlp(x):
        h = l2(torch.tanh(l1(x)))
        pre["l2"] = h.detach()
        return l3(F.leaky_relu(h, 0.2))

    named = [("l1.weight", l1.weight), ("l1.bias", l1.bias), ("l2.weight", l2.weight),
             ("l2.bias", l2.bias), ("l3.weight", l3.weight), ("l3.bias", l3.bias)]
    cases.append(gradient_penalty_case("mlp", mlp, named, real, fake, alpha,
                                       {"hidden": [8, 6]}))
    check_margin("gradient_penalty/mlp leaky_relu input", pre["l2"])

    seed(file, "conv")
    conv = torch.nn.Conv2d(1, 3, kernel_size=3, stride=2, padding=1).double()
    fc = torch.nn.Linear(27, 1).double()
    real, fake, alpha = randn(3, 1, 6, 6), randn(3, 1, 6, 6), rand(3, 1, 1, 1)

    def convnet(x):
        h = conv(x)
        pre["conv"] = h.detach()
        return fc(F.leaky_relu(h, 0.2).flatten(1))

    named = [("conv.weight", conv.weight), ("conv.bias", conv.bias),
             ("fc.weight", fc.weight), ("fc.bias", fc.bias)]
    cases.append(gradient_penalty_case("conv", convnet, named, real, fake, alpha,
                                       {"stride": [2, 2], "padding": [1, 1]}))
    check_margin("gradient_penalty/conv leaky_relu input", pre["conv"])
    write(file, cases)


def check_margin(what, t, minimum=1e-3):
    """Inputs to a kink (leaky_relu) must not sit so close to 0 that float32 flips the side."""
    m = t.abs().min().item()
    if m < minimum:
        sys.exit(f"{what}: value {m} too close to the kink; change the case")


# ----------------------------------------------------------------------------- pooling

def make_pooling():
    file = "pooling.json"
    specs = [
        ("max_k2s2", "max", 2, 2, 0),
        ("max_k3s2p1", "max", 3, 2, 1),
        ("avg_k2s2", "avg", 2, 2, 0),
        ("avg_k3s1p1", "avg", 3, 1, 1),
    ]
    cases = []
    for name, op, k, s, p in specs:
        seed(file, name)
        x = randn(2, 3, 6, 7).requires_grad_()
        k2, s2, p2 = pair(k), pair(s), pair(p)
        params = {"op": op, "kernel": k2, "stride": s2, "padding": p2, "ceil_mode": False}
        if op == "max":
            y = F.max_pool2d(x, k2, s2, p2)
            check_pool_ties(name, x.detach(), k2, s2, p2)
        else:
            y = F.avg_pool2d(x, k2, s2, p2, count_include_pad=True)
            params["count_include_pad"] = True
        G = randn(*y.shape)
        (gx,) = grads_of(y, [x], G)
        c = Case(name, params)
        c.add("x", x); c.add("y", y); c.add("grad_output", G); c.add("grad_x", gx)
        cases.append(c)
    write(file, cases)


def check_pool_ties(name, x, k, s, p, minimum=1e-3):
    """The top two values of every max window must differ clearly (no argmax ambiguity)."""
    xp = F.pad(x, (p[1], p[1], p[0], p[0]), value=float("-inf"))
    win = xp.unfold(2, k[0], s[0]).unfold(3, k[1], s[1]).reshape(*x.shape[:2], -1, k[0] * k[1])
    top2 = win.topk(2, dim=-1).values
    gap = (top2[..., 0] - top2[..., 1]).min().item()
    if gap < minimum:
        sys.exit(f"pooling/{name}: near-tie {gap} in a max window; change the case")


# ----------------------------------------------------------------------------- misc ops

def make_misc_ops():
    file = "misc_ops.json"
    cases = []

    def unary(name, params, x, fn):
        x = x.clone().requires_grad_()
        y = fn(x)
        G = randn(*y.shape)
        (gx,) = grads_of(y, [x], G)
        c = Case(name, params)
        c.add("x", x); c.add("y", y); c.add("grad_output", G); c.add("grad_x", gx)
        cases.append(c)

    seed(file, "softplus")
    unary("softplus", {"op": "softplus", "beta": 1, "threshold": 20},
          randn(3, 5, scale=10.0), lambda x: F.softplus(x))

    seed(file, "sin")
    unary("sin", {"op": "sin"}, randn(3, 5, scale=4.0), lambda x: torch.sin(x))

    seed(file, "cos")
    unary("cos", {"op": "cos"}, randn(3, 5, scale=4.0), lambda x: torch.cos(x))

    seed(file, "log_sigmoid")
    unary("log_sigmoid", {"op": "log_sigmoid"},
          f32([[-100.0, -20.0, -5.0, -1.0, 0.0], [0.5, 1.0, 5.0, 20.0, 100.0]]),
          lambda x: F.logsigmoid(x))

    seed(file, "logsumexp_axis1")
    x = randn(4, 6)
    x[2] = f32([500.0, -500.0, 499.0, 0.0, -250.0, 500.0])
    unary("logsumexp_axis1", {"op": "logsumexp", "dim": 1, "keepdim": False},
          x, lambda x: torch.logsumexp(x, dim=1))

    seed(file, "variance_axes02")
    unary("variance_axes02", {"op": "variance", "dims": [0, 2], "unbiased": False,
                              "keepdim": True},
          randn(3, 4, 5), lambda x: torch.var(x, dim=(0, 2), correction=0, keepdim=True))

    seed(file, "upsample_nearest2")
    unary("upsample_nearest2", {"op": "upsample_nearest", "scale_factor": 2},
          randn(2, 2, 3, 4), lambda x: F.interpolate(x, scale_factor=2, mode="nearest"))

    seed(file, "reflect_pad")
    unary("reflect_pad", {"op": "reflect_pad", "pad": [2, 1, 1, 2]},
          randn(1, 2, 4, 5), lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"))

    eps = 1e-5

    def inorm(x):
        mean = x.mean(dim=(2, 3), keepdim=True)
        var = x.var(dim=(2, 3), correction=0, keepdim=True)
        return (x - mean) / torch.sqrt(var + eps)

    seed(file, "instance_norm_like")
    unary("instance_norm_like", {"op": "instance_norm", "dims": [2, 3], "unbiased": False,
                                 "eps": eps},
          randn(2, 3, 4, 4), inorm)
    write(file, cases)


def make_binary_cross_entropy():
    """binary_cross_entropy_with_logits(reduction="none") summed over all axes but the first:
    DeepGen's fused binaryCrossEntropyRowSums (the GAN losses, the Bernoulli likelihood)."""
    file = "binary_cross_entropy.json"
    cases = []

    def row_sums(x, t):
        return F.binary_cross_entropy_with_logits(x, t, reduction="none").flatten(1).sum(1)

    seed(file, "images")
    # 19 values per row: a SIMD body of 16 and a scalar tail; logits up to about ±30.
    x = randn(3, 1, 19, scale=10.0)
    x[1, 0, :4] = f32([100.0, -100.0, 0.0, 30.0])
    cases.append(gradient_case("images", {}, {"x": x, "t": rand(3, 1, 19)},
                               row_sums))
    seed(file, "gan_logits")
    x = randn(4, 1, scale=3.0)
    cases.append(gradient_case("gan_logits", {}, {"x": x, "t": f32([[1.0], [1.0], [0.0], [0.0]])}, row_sums))
    write(file, cases)


def make_text_ops():
    file = "text_ops.json"
    cases = []

    def case(name, params, inputs, fn):
        cases.append(gradient_case(name, params, inputs, fn))

    seed(file, "gelu")
    x = randn(4, 9, scale=3.0)
    x[0, :5] = f32([0.0, -0.5, 0.5, -8.0, 8.0])
    case("gelu", {"op": "gelu"}, {"x": x}, lambda x: F.gelu(x))

    for name, width, affine, bias in [("layer_norm", 10, True, True), ("layer_norm_wide", 40, True, True),
                                      ("layer_norm_no_bias", 40, True, False), ("layer_norm_plain", 10, False, False)]:
        seed(file, name)
        inputs = {"x": randn(2, 3, width, scale=2.0) + 0.5}
        if affine:
            inputs["w"] = randn(width) + 1
        if bias:
            inputs["b"] = randn(width)
        case(name, {"op": "layer_norm", "eps": 1e-5, "affine": affine, "bias": bias}, inputs,
             lambda x, w=None, b=None: F.layer_norm(x, (x.shape[-1],), w, b, 1e-5))

    seed(file, "embedding")
    indices = [3, 0, 6, 3, 3, 1, 6]
    case("embedding", {"op": "embedding", "indices": indices}, {"table": randn(7, 5)},
         lambda t: F.embedding(torch.tensor(indices), t))

    seed(file, "cross_entropy_rows")
    labels = [0, 4, 8, 2, 2, 7]
    logits = randn(6, 9, scale=3.0)
    logits[1] = f32([90.0, -90.0, 10.0, 0.0, 89.0, 1.0, 2.0, 3.0, 4.0])
    case("cross_entropy_rows", {"op": "cross_entropy", "labels": labels, "reduction": "none"}, {"x": logits},
         lambda x: F.cross_entropy(x, torch.tensor(labels), reduction="none"))

    for name, (b, h, tq, tk, d) in [("attention_causal", (2, 3, 5, 5, 4)), ("attention_cache_step", (2, 2, 1, 6, 8)),
                                    ("attention_fewer_queries", (1, 2, 3, 7, 4))]:
        seed(file, name)
        # Query i sits at position tk - tq + i and sees keys 0 ... tk - tq + i.
        allowed = torch.tensor([[j <= tk - tq + i for j in range(tk)] for i in range(tq)])
        case(name, {"op": "causal_attention", "scale": 1 / d ** 0.5},
             {"q": randn(b, h, tq, d), "k": randn(b, h, tk, d), "v": randn(b, h, tk, d)},
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=allowed))
    seed(file, "lstm_cell")
    hidden = 5

    def lstm_cell(gates, cell):
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
        return torch.stack([torch.sigmoid(o) * torch.tanh(c), c], dim=1)

    case("lstm_cell", {"op": "lstm_cell"}, {"gates": randn(3, 4 * hidden, scale=2.0), "cell": randn(3, hidden)}, lstm_cell)
    write(file, cases)


def make_audio_ops():
    file = "audio_ops.json"
    cases = []

    def case(name, params, inputs, fn):
        cases.append(gradient_case(name, params, inputs, fn))

    # (name, N, Cin, Cout, T, K, dilation, left, right, bias); causal = left (K-1)*d, right 0.
    for name, n, cin, cout, t, k, d, left, right, bias in [
            ("conv1d_causal_k2_d1", 2, 3, 4, 9, 2, 1, 1, 0, True),
            ("conv1d_causal_k2_d4", 2, 3, 5, 11, 2, 4, 4, 0, True),
            ("conv1d_causal_k3_d2_no_bias", 1, 4, 2, 10, 3, 2, 4, 0, False),
            ("conv1d_pointwise", 3, 5, 6, 7, 1, 1, 0, 0, True),
            ("conv1d_same_k3", 2, 2, 3, 8, 3, 1, 1, 1, True),
            ("conv1d_dilation_beyond_input", 1, 2, 2, 3, 2, 8, 8, 0, True)]:
        seed(file, name)
        inputs = {"x": randn(n, cin, t), "w": randn(cout, cin, k)}
        if bias:
            inputs["b"] = randn(cout)
        case(name, {"op": "conv1d", "dilation": d, "left": left, "right": right}, inputs,
             lambda x, w, b=None, d=d, left=left, right=right: F.conv1d(F.pad(x, (left, right)), w, b, dilation=d))

    seed(file, "gated_activation")
    x = randn(2, 6, 5, scale=2.0)
    x[0, 0, :4] = f32([0.0, -12.0, 12.0, 0.5])
    x[0, 3, :4] = f32([0.0, 20.0, -20.0, -0.5])
    case("gated_activation", {"op": "gated_activation", "axis": 1}, {"x": x},
         lambda x: torch.tanh(x[:, :3]) * torch.sigmoid(x[:, 3:]))
    write(file, cases)


def make_linear():
    """F.linear followed by an activation: DeepGen's fused `Tensor.linear`."""
    file = "linear.json"
    cases = []
    acts = {"identity": lambda y: y, "relu": F.relu, "leaky_relu": lambda y: F.leaky_relu(y, 0.2),
            "sigmoid": torch.sigmoid, "tanh": torch.tanh, "gelu": F.gelu}
    for name, bias in [(a, True) for a in acts] + [("relu", False), ("gelu", False)]:
        case = f"linear_{name}" + ("" if bias else "_no_bias")
        seed(file, case)
        inputs = {"x": randn(4, 6), "w": randn(5, 6, scale=0.5)}
        if bias:
            inputs["b"] = randn(5)
        act = acts[name]
        fn = (lambda x, w, b, act=act: act(F.linear(x, w, b))) if bias else (lambda x, w, act=act: act(F.linear(x, w)))
        cases.append(gradient_case(case, {"op": "linear", "activation": name}, inputs, fn))
    write(file, cases)


def main():
    make_linear()
    make_audio_ops()
    make_text_ops()
    make_conv2d()
    make_conv_transpose2d()
    make_cross_entropy()
    make_gradient_penalty()
    make_pooling()
    make_misc_ops()
    make_binary_cross_entropy()


if __name__ == "__main__":
    main()
