#!/usr/bin/env python3
"""PyTorch reference values for DeepGen's WaveNet (the `WaveNet` of Scripts/bench/pytorch_train.py,
which `deepgen train wavenet` mirrors name for name): dilations 1, 2, 4, 8, 1, 2, 4, 8, 6 residual,
5 dilation and 7 skip channels, 3 classes. `wavenet.safetensors` holds the state_dict under
DeepGen's names (`wavenet.` + PyTorch's key) and `wavenet_io.safetensors`:
  waves                      [2, 41] samples in [-1, 1] (mu-law encoded by the model: inputs the
                             first 40 classes, targets the last 40)
  labels                     [2] the classes (as float32)
  logits                     [2, 256, 40]
  loss                       mean cross-entropy over the 80 predictions
  grad.<param>               gradients of that loss
Committed under Tests/DeepGenModelsTests/Fixtures/. Regenerate:  python3 Scripts/make_audio_fixtures.py
"""
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Scripts", "bench"))
from pytorch_train import WaveNet, mu_law  # noqa: E402

OUT = os.path.join(ROOT, "Tests", "DeepGenModelsTests", "Fixtures")

if __name__ == "__main__":
    torch.set_num_threads(1)
    torch.manual_seed(13)
    model = WaveNet([1, 2, 4, 8, 1, 2, 4, 8], residual=6, dilation_channels=5, skip=7, classes=3)
    state = {"wavenet." + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    waves = (torch.rand(2, 41) * 2.4 - 1.2)  # beyond full scale too: clipped by the encoding
    waves[0, :5] = torch.tensor([0.0, 1.0, -1.0, 0.5, -0.001])
    labels = torch.tensor([2, 0])
    q = mu_law(waves)
    logits = model(q[:, :-1], labels)
    loss = F.cross_entropy(logits, q[:, 1:])
    loss.backward()
    io = {"waves": waves, "labels": labels.float(), "logits": logits.detach(), "loss": loss.detach().reshape(1)}
    for k, p in model.named_parameters():
        io["grad." + k] = p.grad.clone()
    meta = {"generator": "Scripts/make_audio_fixtures.py", "torch_version": torch.__version__}
    save_file(state, os.path.join(OUT, "wavenet.safetensors"), metadata=meta)
    save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(OUT, "wavenet_io.safetensors"), metadata=meta)
    print(f"wrote wavenet.safetensors ({len(state)} tensors), wavenet_io.safetensors; loss {loss.item():.5f}")
