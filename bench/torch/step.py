#!/usr/bin/python3
"""PyTorch CPU as the peer of `pnpm bench:step --vs-torch`: one training step of the same model.

Run with Debian's interpreter and python3-torch (torch 1.13, torchvision 0.14):
    /usr/bin/python3 bench/torch/step.py --config FILE

FILE is the JSON that bench/src/torch-peer.ts writes: the preset's model configuration in
Fusion's option names (`model`), and `batch`, `size`, `maxTokens`, `lr`, `posWeight`, `threads`,
`warmup`, `steps`. The model classes are those of packages/models/scripts/make_fixtures.py (the
parity fixtures' PyTorch twins of Fusion's ResNet, BERT, fusion heads and decoder), with Fusion's
defaults for options the preset leaves out. The step is the one `pnpm train` runs: forward, BCE
with logits and pos_weight, backward, Adam, zero_grad, on a fixed random batch (the cost does not
depend on the values).

Prints one JSON object on stdout: {"torch", "threads", "msPerStep"} or {"skipped": reason} (exit 3)
where torch or torchvision is missing.
"""
import argparse
import json
import os
import sys
import time

try:
    import torch
    import torch.nn.functional as F
    import torchvision  # noqa: F401  (make_fixtures needs it)
except ImportError as e:
    print(json.dumps({"skipped": f"{sys.executable} has no {e.name} ({e}); on Debian: apt-get install python3-torch python3-torchvision"}))
    sys.exit(3)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "models", "scripts"))
import make_fixtures as mf  # noqa: E402

BERT_DEFAULTS = dict(typeVocabSize=2, layerNormEps=1e-12, padTokenId=0, hiddenDropout=0.0, attentionDropout=0.0)
FUSION_DEFAULTS = {"cross-pixel": dict(coords=True, gateInit=0.1)}


def model_config(c):
    c = json.loads(json.dumps(c))
    c["bert"] = dict(BERT_DEFAULTS, **c["bert"])
    c["fusion"] = dict(FUSION_DEFAULTS.get(c["fusion"]["kind"], {}), **c["fusion"])
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True)
    args = ap.parse_args()
    with open(args.config) as f:
        cfg = json.load(f)
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(0)
    model = mf.MaskModel(model_config(cfg["model"]))
    model.train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg["lr"])
    B, S, L = cfg["batch"], cfg["size"], cfg["maxTokens"]
    vocab = cfg["model"]["bert"]["vocabSize"]
    images = torch.randn(B, 3, S, S)
    ids = torch.randint(1, vocab, (B, L))
    lengths = torch.randint(4, L + 1, (B,))
    mask = (torch.arange(L)[None, :] < lengths[:, None]).long()
    ids = ids * mask
    types = torch.zeros(B, L, dtype=torch.long)
    target = (torch.rand(B, 1, S, S) < 0.3).float()
    pos_weight = torch.tensor(cfg["posWeight"])

    def step():
        logits = model(images, ids, mask, types)["logits"]
        loss = F.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.item()

    for _ in range(cfg["warmup"]):
        step()
    t0 = time.perf_counter()
    for _ in range(cfg["steps"]):
        step()
    ms = (time.perf_counter() - t0) * 1000 / cfg["steps"]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "msPerStep": ms}))


if __name__ == "__main__":
    main()
