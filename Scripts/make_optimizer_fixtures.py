#!/usr/bin/env python3
"""Golden values for DeepGenOptimizers from PyTorch (CPU).

Writes Tests/DeepGenOptimizersTests/Fixtures/optimizers.json:
  - case "problem": two parameters ("w" [3, 4], "b" [4]) as "initial.<name>" and fixed
    gradients for every step as "grad.<t>.<name>" (t = 1...10), so Swift feeds the same ones;
  - one case per optimizer configuration: "param.<t>.<name>" after step t;
  - schedules: the learning rate used in each epoch ("lr", epoch 0 first);
  - clip_grad_norm_: gradients before ("before.<name>") and after ("after.<name>"), and the
    returned norm ("total_norm").

Every optimizer runs its single-tensor path (foreach=False), the one DeepGen mirrors.
Run from the repository root: python3 Scripts/make_optimizer_fixtures.py
"""
import json
import math
import os

import torch

STEPS = 10
SHAPES = {"w": [3, 4], "b": [4]}
OUT = "Tests/DeepGenOptimizersTests/Fixtures/optimizers.json"


def stored(t):
    # 9 significant digits round-trip any float32 exactly and keep the file small.
    return {"shape": list(t.shape), "data": [float("%.9g" % x) for x in t.reshape(-1).tolist()]}


def scalars(values):
    return {"shape": [len(values)], "data": [float("%.9g" % x) for x in values]}


torch.manual_seed(1234)
initial = {n: torch.empty(s).uniform_(-1, 1) for n, s in SHAPES.items()}
grads = [{n: torch.randn(s) * 0.5 for n, s in SHAPES.items()} for _ in range(STEPS)]
# A few tiny gradients so eps matters in Adam and RMSprop denominators.
for g in grads:
    g["b"][0] *= 1e-4

problem = {"name": "problem", "params": {"steps": STEPS}, "tensors": {}}
for n in SHAPES:
    problem["tensors"][f"initial.{n}"] = stored(initial[n])
for t, g in enumerate(grads, 1):
    for n in SHAPES:
        problem["tensors"][f"grad.{t}.{n}"] = stored(g[n])

OPTIMIZERS = [
    ("adam", torch.optim.Adam, {"lr": 2e-4, "beta1": 0.5, "beta2": 0.999}),
    ("adam_weight_decay", torch.optim.Adam, {"lr": 2e-4, "beta1": 0.5, "beta2": 0.999, "weight_decay": 0.1}),
    ("adam_amsgrad", torch.optim.Adam, {"lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "amsgrad": True}),
    ("adamw", torch.optim.AdamW, {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "weight_decay": 1e-2}),
    ("adamw_strong_decay", torch.optim.AdamW, {"lr": 1e-2, "beta1": 0.5, "beta2": 0.999, "weight_decay": 0.5}),
    ("sgd_momentum", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    ("sgd_nesterov", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("sgd_momentum_weight_decay", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-2}),
    ("sgd_dampening", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("sgd_plain", torch.optim.SGD, {"lr": 0.1}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 1e-2}),
    ("rmsprop_momentum_centered", torch.optim.RMSprop,
     {"lr": 1e-2, "momentum": 0.9, "centered": True, "weight_decay": 1e-2}),
]

cases = [problem]
for name, cls, hp in OPTIMIZERS:
    kwargs = dict(hp)
    if "beta1" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    params = {n: initial[n].clone().requires_grad_(True) for n in SHAPES}
    opt = cls(list(params.values()), foreach=False, **kwargs)
    case = {"name": name, "params": dict(hp), "tensors": {}}
    for t, g in enumerate(grads, 1):
        for n in SHAPES:
            params[n].grad = g[n].clone()
        opt.step()
        for n in SHAPES:
            case["tensors"][f"param.{t}.{n}"] = stored(params[n].detach())
    cases.append(case)


def schedule_case(name, make, base_lr, epochs, hp):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return {"name": name, "params": dict(hp, base_lr=base_lr), "tensors": {"lr": scalars(lrs)}}


# Epoch counts stop where the rate reaches zero: CycleGAN trains no further (past it the rule
# turns negative; DeepGen holds zero there).
# CycleGAN's rule, verbatim from networks.get_scheduler (opt.epoch_count, opt.n_epochs, opt.n_epochs_decay).
def cyclegan_lambda(epoch_count, n_epochs, n_epochs_decay):
    def lambda_rule(epoch):
        lr_l = 1.0 - max(0, epoch + epoch_count - n_epochs) / float(n_epochs_decay + 1)
        return lr_l
    return lambda_rule


lr_sched = torch.optim.lr_scheduler
cases.append(schedule_case("schedule_step", lambda o: lr_sched.StepLR(o, step_size=3, gamma=0.5), 0.1, 20,
                           {"step_size": 3, "gamma": 0.5}))
cases.append(schedule_case("schedule_cosine", lambda o: lr_sched.CosineAnnealingLR(o, T_max=8, eta_min=1e-3), 0.1, 20,
                           {"period": 8, "minimum": 1e-3}))
cases.append(schedule_case("schedule_linear_decay",
                           lambda o: lr_sched.LambdaLR(o, lr_lambda=cyclegan_lambda(1, 10, 10)), 2e-4, 21,
                           {"constant_epochs": 10, "decay_epochs": 10, "start_epoch": 1}))
cases.append(schedule_case("schedule_linear_decay_resumed",
                           lambda o: lr_sched.LambdaLR(o, lr_lambda=cyclegan_lambda(4, 5, 7)), 1e-3, 10,
                           {"constant_epochs": 5, "decay_epochs": 7, "start_epoch": 4}))


def clip_case(name, max_norm, norm_type, scale):
    torch.manual_seed(99)
    ps = {n: torch.zeros(s, requires_grad=True) for n, s in SHAPES.items()}
    # JSON has no infinity: the inf-norm is recorded as the string "inf".
    recorded_type = "inf" if math.isinf(norm_type) else norm_type
    case = {"name": name, "params": {"max_norm": max_norm, "norm_type": recorded_type}, "tensors": {}}
    for n, s in SHAPES.items():
        ps[n].grad = torch.randn(s) * scale
        case["tensors"][f"before.{n}"] = stored(ps[n].grad)
    total = torch.nn.utils.clip_grad_norm_(list(ps.values()), max_norm=max_norm, norm_type=norm_type, foreach=False)
    for n in SHAPES:
        case["tensors"][f"after.{n}"] = stored(ps[n].grad)
    case["tensors"]["total_norm"] = scalars([total.item()])
    return case


cases.append(clip_case("clip_l2", 1.0, 2.0, 1.0))
cases.append(clip_case("clip_l2_unclipped", 100.0, 2.0, 1.0))
cases.append(clip_case("clip_inf", 0.5, math.inf, 1.0))
cases.append(clip_case("clip_l1", 2.0, 1.0, 0.5))

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"generator": "Scripts/make_optimizer_fixtures.py", "torch_version": torch.__version__,
               "cases": cases}, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote {OUT} ({len(cases)} cases)")
