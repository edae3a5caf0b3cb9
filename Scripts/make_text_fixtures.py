#!/usr/bin/env python3
"""PyTorch reference values for DeepGen's character GPT (the nanoGPT-layout `GPT` of
Scripts/bench/pytorch_train.py, which `deepgen train gpt` mirrors name for name).

Two small models, 2 layers of 2 heads, 16 wide, block size 8, 11 characters: one with biases
and dropout layers (in evaluation mode here), one without biases. For each, `gpt_<case>.safetensors`
holds the state_dict under DeepGen's names (`gpt.` + PyTorch's key, without the tied
`lm_head.weight`) and `gpt_<case>_io.safetensors`:

  ids, targets               [3, 8] inputs and next characters (as float32)
  logits                     [24, 11] logits of every position
  loss                       mean cross-entropy over the 24 positions
  grad.<param>               gradients of that loss (the tied embedding's includes the output layer's)
  adamw.<param>              every parameter after one AdamW step (lr 1e-2, betas (0.9, 0.99),
                             weight decay 0.1 on matrices only, gradients clipped to norm 0.5)

And a char-rnn (`char_rnn.safetensors`, `char_rnn_io.safetensors`): an Embedding(11, 6) `encoder`,
a 2-layer `nn.LSTM(6, 7, batch_first=True)` `rnn` and a Linear(7, 11) `decoder`, with the same
`ids`, `targets`, `logits`, `loss` and `grad.<param>` for 3 sequences of 8, plus the logits of
one more step after them from the LSTM's final state (`next_logits`, for the ids `next_ids`).

Committed under Tests/DeepGenModelsTests/Fixtures/. Regenerate:  python3 Scripts/make_text_fixtures.py
"""
import os
import sys

import torch
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Scripts", "bench"))
from pytorch_train import GPT, gpt_optimizer  # noqa: E402

OUT = os.path.join(ROOT, "Tests", "DeepGenModelsTests", "Fixtures")


def make(name, bias, dropout):
    torch.manual_seed(11)
    model = GPT(vocab_size=11, block_size=8, layers=2, heads=2, embedding=16, dropout=dropout, bias=bias)
    # Random LayerNorm weights and biases, so their gradients are tested at general values.
    with torch.no_grad():
        for key, p in model.named_parameters():
            if "ln_" in key:
                p.add_(0.3 * torch.randn_like(p))
    model.eval()
    state = {"gpt." + k: v.detach().clone().contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    tokens = torch.randint(0, 11, (3, 9))
    ids, targets = tokens[:, :-1], tokens[:, 1:]
    logits = model(ids).reshape(-1, 11)
    loss = torch.nn.functional.cross_entropy(logits, targets.reshape(-1))
    model.zero_grad()
    loss.backward()
    io = {"ids": ids.float(), "targets": targets.float(), "logits": logits.detach(), "loss": loss.detach().reshape(1)}
    named = {k: p for k, p in model.named_parameters()}
    for k, p in named.items():
        io["grad." + k] = p.grad.clone()
    opt = gpt_optimizer(model, 1e-2, 0.1, (0.9, 0.99))
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    opt.step()
    for k, p in named.items():
        io["adamw." + k] = p.detach().clone()
    meta = {"generator": "Scripts/make_text_fixtures.py", "torch_version": torch.__version__}
    save_file(state, os.path.join(OUT, f"gpt_{name}.safetensors"), metadata=meta)
    save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(OUT, f"gpt_{name}_io.safetensors"), metadata=meta)
    print(f"wrote gpt_{name}.safetensors ({len(state)} tensors), gpt_{name}_io.safetensors; loss {loss.item():.5f}")


class CharRNN(torch.nn.Module):
    def __init__(self, vocabulary, embedding, hidden, layers):
        super().__init__()
        self.encoder = torch.nn.Embedding(vocabulary, embedding)
        self.rnn = torch.nn.LSTM(embedding, hidden, layers, batch_first=True)
        self.decoder = torch.nn.Linear(hidden, vocabulary)

    def forward(self, ids, state=None):
        out, state = self.rnn(self.encoder(ids), state)
        return self.decoder(out), state


def make_char_rnn():
    torch.manual_seed(12)
    model = CharRNN(11, 6, 7, 2)
    state = {"char_rnn." + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    tokens = torch.randint(0, 11, (3, 9))
    ids, targets = tokens[:, :-1], tokens[:, 1:]
    logits, final = model(ids)
    logits = logits.reshape(-1, 11)
    loss = torch.nn.functional.cross_entropy(logits, targets.reshape(-1))
    loss.backward()
    next_ids = torch.randint(0, 11, (3, 1))
    with torch.no_grad():
        next_logits, _ = model(next_ids, final)
    io = {"ids": ids.float(), "targets": targets.float(), "logits": logits.detach(), "loss": loss.detach().reshape(1),
          "next_ids": next_ids.float(), "next_logits": next_logits.reshape(3, 11)}
    for k, p in model.named_parameters():
        io["grad." + k] = p.grad.clone()
    meta = {"generator": "Scripts/make_text_fixtures.py", "torch_version": torch.__version__}
    save_file(state, os.path.join(OUT, "char_rnn.safetensors"), metadata=meta)
    save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(OUT, "char_rnn_io.safetensors"), metadata=meta)
    print(f"wrote char_rnn.safetensors ({len(state)} tensors), char_rnn_io.safetensors; loss {loss.item():.5f}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    make("bias", bias=True, dropout=0.1)
    make("nobias", bias=False, dropout=0.0)
    make_char_rnn()
