#!/usr/bin/python3
"""Writes the PyTorch parity fixtures that `packages/models/src/**/*.test.ts` check against.

Run with the interpreter that has torch 1.13 and torchvision 0.14 (Debian's):
    /usr/bin/python3 packages/models/scripts/make_fixtures.py

Everything is built from fixed seeds with random weights, computed in float64 (so the only f32
rounding in a comparison is Fusion's own), and stored as f32 in small safetensors files under
packages/models/fixtures/ (written by hand with struct + json: the `safetensors` package is not
installed here; `transformers` is not either, so BERT is written below in plain torch with
Hugging Face's module and parameter names).

Each fixture file holds, under these key prefixes:
  param.<name>          the initial state dict (parameters and buffers; BatchNorm's
                        num_batches_tracked as I64, as torch saves it)
  input.<name>          the inputs (ids and masks as I32)
  R.<output>            fixed random weights of the scalar loss  L = sum_o sum(output_o * R_o)
  <mode>.output.<name>  outputs (mode: `train` or `eval`)
  <mode>.grad.<param>   dL/dparam
  <mode>.input_grad.<n> dL/dinput (float inputs)
  train.state.<buffer>  BatchNorm buffers after the one training-mode forward (running stats
                        updated with momentum 0.1, num_batches_tracked + 1)
and the model configuration as JSON in `__metadata__.config` (Fusion's option names), the modes in
`__metadata__.modes`.

Modes: `train` where BatchNorm matters (ResNet, decoder, MaskModel: batch statistics, running-stat
update); `eval` everywhere else (resnet_tiny and the decoders have both; resnet_tiny_s1 and
mask_model only `train`, to keep the files small: their eval paths are the pieces' own). BERT and the fusion heads have no BatchNorm; their only train/eval difference is
dropout, whose random streams cannot match between torch and Fusion, so BERT is fixed in eval mode
only and the heads (which have no dropout) in one mode called `eval`.

Also writes resnet50_names.json (torchvision's resnet50) and bert_base_names.json (the plain-torch
BertModel below with bert-base-uncased's configuration): parameter and buffer names -> shapes and
the parameter count, so tests check the presets without torch.
"""
import copy
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import Bottleneck, conv1x1

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")

# ---------------------------------------------------------------------------------------------
# safetensors, by hand


def write_safetensors(path, tensors, metadata):
    """tensors: ordered dict name -> torch tensor (f32 / i32 / i64). Header padded to 8 bytes."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        if t.dtype == torch.float64:
            t = t.to(torch.float32)
        if t.dtype == torch.float32:
            dtype, fmt = "F32", "f"
        elif t.dtype == torch.int32:
            dtype, fmt = "I32", "i"
        elif t.dtype == torch.int64:
            dtype, fmt = "I64", "q"
        else:
            raise ValueError(f"{name}: unsupported dtype {t.dtype}")
        values = t.reshape(-1).tolist()
        blob = struct.pack("<%d%s" % (len(values), fmt), *values)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)
    return os.path.getsize(path)


# ---------------------------------------------------------------------------------------------
# ResNet: torchvision's architecture with configurable depth, widths, stem and last stage


class ConfigurableResNet(nn.Module):
    """torchvision.models.ResNet with Bottleneck blocks, generalised as Fusion's ResNet options.

    With layers [3, 4, 6, 3], widths [64, 128, 256, 512], stem stride 2, stem pool, 4 stages and
    1000 classes it is torchvision's resnet50 (checked in main(): same names, shapes, outputs).
    """

    def __init__(self, layers, widths, stem_stride=2, stem_pool=True, out_stage=4, num_classes=None, zero_init_residual=False):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=stem_stride, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.stem_pool = stem_pool
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.out_stage = out_stage
        for i in range(out_stage):
            setattr(self, f"layer{i + 1}", self._make_layer(widths[i], layers[i], stride=1 if i == 0 else 2))
        self.fc = nn.Linear(widths[out_stage - 1] * Bottleneck.expansion, num_classes) if num_classes else None
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.constant_(m.bn3.weight, 0)

    def _make_layer(self, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * Bottleneck.expansion, stride), nn.BatchNorm2d(planes * Bottleneck.expansion))
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        if self.stem_pool:
            x = self.maxpool(x)
        for i in range(self.out_stage):
            x = getattr(self, f"layer{i + 1}")(x)
        out = {"feature_map": x, "pooled": torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)}
        if self.fc is not None:
            out["logits"] = self.fc(out["pooled"])
        return out


# ---------------------------------------------------------------------------------------------
# BERT: Hugging Face's BertModel in plain torch, same module and parameter names


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocabSize"], c["hidden"], padding_idx=c["padTokenId"])
        self.position_embeddings = nn.Embedding(c["maxPositions"], c["hidden"])
        self.token_type_embeddings = nn.Embedding(c["typeVocabSize"], c["hidden"])
        self.LayerNorm = nn.LayerNorm(c["hidden"], eps=c["layerNormEps"])
        self.dropout = nn.Dropout(c["hiddenDropout"])

    def forward(self, input_ids, token_type_ids):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        e = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(e))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["heads"]
        self.head_dim = c["hidden"] // c["heads"]
        self.query = nn.Linear(c["hidden"], c["hidden"])
        self.key = nn.Linear(c["hidden"], c["hidden"])
        self.value = nn.Linear(c["hidden"], c["hidden"])
        self.dropout = nn.Dropout(c["attentionDropout"])

    def split(self, x):
        B, L, _ = x.shape
        return x.view(B, L, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x, additive_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + additive_mask
        probs = self.dropout(torch.softmax(scores, dim=-1))
        ctx = (probs @ v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(x.shape[0], x.shape[1], -1)


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden"], c["hidden"])
        self.LayerNorm = nn.LayerNorm(c["hidden"], eps=c["layerNormEps"])
        self.dropout = nn.Dropout(c["hiddenDropout"])

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, x, additive_mask):
        return self.output(self.self(x, additive_mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden"], c["intermediate"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # erf form, HF's "gelu"


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["intermediate"], c["hidden"])
        self.LayerNorm = nn.LayerNorm(c["hidden"], eps=c["layerNormEps"])
        self.dropout = nn.Dropout(c["hiddenDropout"])

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, x, additive_mask):
        a = self.attention(x, additive_mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["layers"])])

    def forward(self, x, additive_mask):
        for layer in self.layer:
            x = layer(x, additive_mask)
        return x


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden"], c["hidden"])
        self.activation = nn.Tanh()

    def forward(self, h):
        return self.activation(self.dense(h[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c)

    def forward(self, input_ids, attention_mask, token_type_ids):
        dtype = self.embeddings.LayerNorm.weight.dtype
        additive = (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
        h = self.encoder(self.embeddings(input_ids, token_type_ids), additive)
        return {"last_hidden_state": h, "pooler_output": self.pooler(h)}


BERT_BASE = dict(layers=12, hidden=768, heads=12, intermediate=3072, vocabSize=30522, maxPositions=512, typeVocabSize=2,
                 layerNormEps=1e-12, hiddenDropout=0.1, attentionDropout=0.1, padTokenId=0)

# ---------------------------------------------------------------------------------------------
# The CNN decoder and the fusion heads, as Fusion defines them (see decoder.ts, fusion/*.ts)


def upsample_positions(n, layers):
    """Before which conv layers the n nearest 2x upsamplings go: ceil((i + 1) * layers / n) - 1."""
    return [-(-(i + 1) * layers // n) - 1 for i in range(n)]


def doublings(size, target, limit):
    """Most 2x steps (<= limit) that keep (h, w) * 2^n within the target in both dims."""
    n = 0
    while n < limit and size[0] << (n + 1) <= target[0] and size[1] << (n + 1) <= target[1]:
        n += 1
    return n


class ConvBnRelu(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class MaskDecoder(nn.Module):
    def __init__(self, in_channels, widths):
        super().__init__()
        chans = [in_channels] + list(widths)
        self.blocks = nn.ModuleList([ConvBnRelu(chans[i], chans[i + 1]) for i in range(len(widths))])
        self.head = nn.Conv2d(widths[-1], 1, 1)

    def forward(self, x, out_size):
        n = doublings(x.shape[2:], out_size, len(self.blocks))
        ups = set(upsample_positions(n, len(self.blocks)))
        for i, block in enumerate(self.blocks):
            if i in ups:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = block(x)
        x = self.head(x)
        if tuple(x.shape[2:]) != tuple(out_size):
            x = F.interpolate(x, size=tuple(out_size), mode="bilinear", align_corners=False)
        return {"logits": x}


def split_heads(x, heads):
    B, L, D = x.shape
    return x.view(B, L, heads, D // heads).permute(0, 2, 1, 3)


def merge_heads(x):
    B, H, L, Dh = x.shape
    return x.permute(0, 2, 1, 3).reshape(B, L, H * Dh)


def pixels(fm):
    return fm.flatten(2).transpose(1, 2)  # (B, h*w, C), pixel p = y * w + x


class ConcatHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.image_proj = nn.Linear(c["imageChannels"], c["dim"])
        self.text_proj = nn.Linear(c["textDim"], c["dim"])
        self.fuse = nn.Linear(2 * c["dim"], c["channels"] * c["height"] * c["width"])

    def forward(self, fm, pi, tok, pt, mask):
        z = torch.cat([self.image_proj(pi), self.text_proj(pt)], dim=-1)
        return {"map": self.fuse(z).view(pi.shape[0], self.c["channels"], self.c["height"], self.c["width"])}


class OuterHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.image_proj = nn.Linear(c["imageChannels"], c["dim"])
        self.text_proj = nn.Linear(c["textDim"], c["dim"])

    def forward(self, fm, pi, tok, pt, mask):
        return {"map": (self.image_proj(pi)[:, :, None] * self.text_proj(pt)[:, None, :])[:, None]}


def coordinate_channels(B, h, w, dtype):
    def axis(n):
        return torch.zeros(1, dtype=dtype) if n == 1 else torch.tensor([-1 + 2 * i / (n - 1) for i in range(n)], dtype=dtype)
    ys, xs = torch.meshgrid(axis(h), axis(w), indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=-1).expand(B, h * w, 2)


def coord_channels(c):
    """Coordinate channels a map-seeing head reads besides the features (option coords)."""
    return 2 if c["coords"] else 0


def map_input(fm, coords):
    """(B, h*w, C [+2]): each pixel's features, with x, y appended when coords."""
    B, C, h, w = fm.shape
    px = pixels(fm)
    return torch.cat([px, coordinate_channels(B, h, w, px.dtype)], dim=-1) if coords else px


def to_map(x, h, w):
    """(B, h*w, C) -> (B, C, h, w)."""
    return x.transpose(1, 2).reshape(x.shape[0], -1, h, w)


class CrossTextHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["heads"]
        self.coords = c["coords"]
        self.query = nn.Linear(c["textDim"], c["dim"])
        self.key = nn.Linear(c["imageChannels"] + coord_channels(c), c["dim"])
        self.value = nn.Linear(c["imageChannels"] + coord_channels(c), c["dim"])
        self.out_proj = nn.Linear(c["dim"], c["dim"])

    def forward(self, fm, pi, tok, pt, mask):
        B, C, h, w = fm.shape
        px = map_input(fm, self.coords)
        q = split_heads(self.query(tok), self.heads)
        k = split_heads(self.key(px), self.heads)
        v = split_heads(self.value(px), self.heads)
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)  # (B, H, L, P) over pixels
        attended = probs @ v  # (B, H, L, dh)
        probs = probs * mask[:, None, :, None]  # padded tokens scatter nothing
        scattered = merge_heads(probs.transpose(-1, -2) @ attended)  # (B, P, dim): pixel p gets sum_l A[l, p] O[l]
        out = self.out_proj(scattered)
        L = tok.shape[1]
        return {"map": out.transpose(1, 2).reshape(B, -1, h, w), "attention": probs.mean(1).reshape(B, L, h, w)}


class CrossPixelHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["heads"]
        self.coords = c["coords"]
        self.query = nn.Linear(c["imageChannels"] + (2 if c["coords"] else 0), c["dim"])
        self.key = nn.Linear(c["textDim"], c["dim"])
        self.value = nn.Linear(c["textDim"], c["dim"])
        self.out_proj = nn.Linear(c["dim"], c["dim"])
        self.image_proj = nn.Linear(c["imageChannels"], c["dim"])
        self.gate = nn.Parameter(torch.tensor(c["gateInit"]))

    def forward(self, fm, pi, tok, pt, mask):
        B, C, h, w = fm.shape
        px = pixels(fm)
        qin = torch.cat([px, coordinate_channels(B, h, w, px.dtype)], dim=-1) if self.coords else px
        q = split_heads(self.query(qin), self.heads)
        k = split_heads(self.key(tok), self.heads)
        v = split_heads(self.value(tok), self.heads)
        additive = (1.0 - mask[:, None, None, :]) * torch.finfo(q.dtype).min
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + additive, dim=-1)  # (B, H, P, L)
        attn = self.out_proj(merge_heads(probs @ v))
        fused = self.image_proj(px) + torch.tanh(self.gate) * attn
        L = tok.shape[1]
        return {"map": fused.transpose(1, 2).reshape(B, -1, h, w), "attention": probs.mean(1).transpose(1, 2).reshape(B, L, h, w)}


class ConcatTiledHead(nn.Module):
    """Hu et al. 2016: [features, x, y, tiled projected text] at every pixel, then a 1x1 conv."""

    def __init__(self, c):
        super().__init__()
        self.coords = c["coords"]
        self.text_proj = nn.Linear(c["textDim"], c["dim"])
        self.fuse = nn.Conv2d(c["imageChannels"] + coord_channels(c) + c["dim"], c["dim"], 1)

    def forward(self, fm, pi, tok, pt, mask):
        B, C, h, w = fm.shape
        tiled = self.text_proj(pt)[:, None, :].expand(B, h * w, -1)
        x = to_map(torch.cat([map_input(fm, self.coords), tiled], dim=-1), h, w)
        return {"map": self.fuse(x)}

    # Fusion's `fuse` is a Linear (out, in): the same numbers as this 1x1 conv's (out, in, 1, 1).
    linear_weights = ("fuse.weight",)


class FilmHead(nn.Module):
    """FiLM: (1 + gamma(t)) * image_proj([features, x, y]) + beta(t), per channel."""

    def __init__(self, c):
        super().__init__()
        self.coords = c["coords"]
        self.image_proj = nn.Linear(c["imageChannels"] + coord_channels(c), c["dim"])
        self.scale = nn.Linear(c["textDim"], c["dim"])
        self.shift = nn.Linear(c["textDim"], c["dim"])

    def forward(self, fm, pi, tok, pt, mask):
        B, C, h, w = fm.shape
        g = self.image_proj(map_input(fm, self.coords))
        return {"map": to_map(g * (1 + self.scale(pt)[:, None, :]) + self.shift(pt)[:, None, :], h, w)}


class ImageOnlyHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.coords = c["coords"]
        self.image_proj = nn.Linear(c["imageChannels"] + coord_channels(c), c["dim"])

    def forward(self, fm, pi, tok, pt, mask):
        B, C, h, w = fm.shape
        return {"map": to_map(self.image_proj(map_input(fm, self.coords)), h, w)}


class OuterPatchesHead(nn.Module):
    """Eq. 3 per pixel: (image_proj([features, x, y]) + position) (x) text_proj(t), as a * b channels."""

    def __init__(self, c):
        super().__init__()
        self.coords = c["coords"]
        a = c["imageDim"]
        self.image_proj = nn.Linear(c["imageChannels"] + coord_channels(c), a)
        self.position = nn.Parameter(0.5 * torch.randn(c["height"] * c["width"], a))
        self.text_proj = nn.Linear(c["textDim"], c["dim"] // a)

    def forward(self, fm, pi, tok, pt, mask):
        B, C, h, w = fm.shape
        e = self.image_proj(map_input(fm, self.coords)) + self.position  # (B, P, a)
        t = self.text_proj(pt)  # (B, b)
        products = e[:, :, :, None] * t[:, None, None, :]  # (B, P, a, b)
        return {"map": to_map(products.reshape(B, h * w, -1), h, w)}


class MaskModel(nn.Module):
    """Fusion's MaskModel: ResNet (no fc) + BERT -> fusion head -> decoder at the image's size."""

    HEADS = {"concat": ConcatHead, "outer": OuterHead, "cross-text": CrossTextHead, "cross-pixel": CrossPixelHead}

    def __init__(self, c):
        super().__init__()
        r = c["resnet"]
        self.image_encoder = ConfigurableResNet(r["layers"], r["widths"], r["stemStride"], r["stemPool"], r["outStage"], None)
        self.text_encoder = BertModel(c["bert"])
        channels = r["widths"][r["outStage"] - 1] * Bottleneck.expansion
        head = dict(c["fusion"], imageChannels=channels, textDim=c["bert"]["hidden"])
        self.fusion = self.HEADS[head["kind"]](head)
        out_channels = {"concat": head.get("channels"), "outer": 1}.get(head["kind"], head.get("dim"))
        self.decoder = MaskDecoder(out_channels, c["decoderWidths"])

    def forward(self, images, input_ids, attention_mask, token_type_ids):
        image = self.image_encoder(images)
        text = self.text_encoder(input_ids, attention_mask, token_type_ids)
        mask = attention_mask.to(images.dtype)
        fused = self.fusion(image["feature_map"], image["pooled"], text["last_hidden_state"], text["pooler_output"], mask)
        return {"logits": self.decoder(fused["map"], tuple(images.shape[2:]))["logits"]}


# ---------------------------------------------------------------------------------------------
# Fixture making


def randomize_batchnorm(model, g):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=g) * 0.4 - 0.2)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
                m.num_batches_tracked.fill_(3)


def state_entries(model):
    out = {}
    for name, t in model.state_dict().items():
        out["param." + name] = t.clone()
    return out


def run_mode(model, mode, inputs, float_inputs, forward, R):
    """Forward in f64 in `mode`, loss sum(out * R), backward. Returns fixture entries."""
    m = copy.deepcopy(model).double()
    m.train(mode == "train")
    ins = {}
    for k, v in inputs.items():
        if v.is_floating_point():
            v = v.double().clone().requires_grad_(k in float_inputs)
        ins[k] = v
    outs = forward(m, ins)
    loss = sum((outs[k] * R[k].double()).sum() for k in R)
    loss.backward()
    entries = {}
    for k, v in outs.items():
        entries[f"{mode}.output.{k}"] = v.detach()
    for name, p in m.named_parameters():
        if p.grad is not None:
            entries[f"{mode}.grad.{name}"] = p.grad
    for k in float_inputs:
        if ins[k].grad is not None:
            entries[f"{mode}.input_grad.{k}"] = ins[k].grad
    if mode == "train":
        for name, b in m.named_buffers():
            entries[f"train.state.{name}"] = b.detach().clone()
    return entries


def make_fixture(name, model, config, inputs, float_inputs, forward, modes, loss_outputs, seed):
    torch.manual_seed(seed)
    probe = forward(copy.deepcopy(model).double().eval(), {k: (v.double() if v.is_floating_point() else v) for k, v in inputs.items()})
    R = {k: torch.randn(probe[k].shape) for k in loss_outputs}
    entries = state_entries(model)
    for k, v in inputs.items():
        entries["input." + k] = v if v.is_floating_point() else v.to(torch.int32)
    for k, v in R.items():
        entries["R." + k] = v
    for mode in modes:
        entries.update(run_mode(model, mode, inputs, float_inputs, forward, R))
    for pname in getattr(model, "linear_weights", ()):  # stored as Fusion's Linear shape (out, in)
        for key in ["param." + pname] + [f"{mode}.grad.{pname}" for mode in modes]:
            entries[key] = entries[key].reshape(entries[key].shape[0], -1)
    size = write_safetensors(os.path.join(OUT_DIR, name + ".safetensors"), entries,
                             {"config": json.dumps(config), "modes": ",".join(modes), "made_by": "packages/models/scripts/make_fixtures.py"})
    print(f"{name}.safetensors: {len(entries)} tensors, {size} bytes")
    return size


def check_resnet50_equivalence():
    """ConfigurableResNet with resnet50's options is torchvision's resnet50: names, shapes, outputs."""
    torch.manual_seed(0)
    ref = torchvision.models.resnet50()
    ours = ConfigurableResNet([3, 4, 6, 3], [64, 128, 256, 512], num_classes=1000)
    a, b = ref.state_dict(), ours.state_dict()
    assert list(a.keys()) == list(b.keys()), "state dict names differ from torchvision's resnet50"
    assert all(a[k].shape == b[k].shape for k in a)
    ours.load_state_dict(a)
    ref.eval()
    ours.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(ref(x), ours(x)["logits"], atol=1e-5)


def names_json(model, path):
    params = {n: list(p.shape) for n, p in model.named_parameters()}
    buffers = {n: list(b.shape) for n, b in model.named_buffers()}
    count = sum(p.numel() for p in model.parameters())
    with open(path, "w") as f:
        json.dump({"parameterCount": count, "parameters": params, "buffers": buffers}, f, indent=1)
        f.write("\n")
    print(f"{os.path.basename(path)}: {len(params)} parameters ({count:,} elements), {len(buffers)} buffers")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_grad_enabled(True)
    check_resnet50_equivalence()
    names_json(torchvision.models.resnet50(), os.path.join(OUT_DIR, "resnet50_names.json"))
    names_json(BertModel(BERT_BASE), os.path.join(OUT_DIR, "bert_base_names.json"))
    total = 0

    # Tiny ResNet: Bottleneck, layers [1, 1, 1, 1], widths [4, 8, 8, 16], fc to 5 classes, odd image.
    g = torch.Generator().manual_seed(11)
    torch.manual_seed(11)
    rc = dict(layers=[1, 1, 1, 1], widths=[4, 8, 8, 16], stemStride=2, stemPool=True, outStage=4, numClasses=5)
    resnet = ConfigurableResNet(rc["layers"], rc["widths"], rc["stemStride"], rc["stemPool"], rc["outStage"], rc["numClasses"])
    randomize_batchnorm(resnet, g)
    images = torch.randn(2, 3, 29, 35, generator=g)
    fwd = lambda m, i: m(i["pixel_values"])
    total += make_fixture("resnet_tiny", resnet, rc, {"pixel_values": images}, ["pixel_values"], fwd, ["train", "eval"], ["feature_map", "pooled", "logits"], 12)

    # The other stem and an early exit: stem stride 1, no stem pool, 3 stages, no fc (train mode).
    torch.manual_seed(13)
    rc2 = dict(layers=[1, 2, 1, 1], widths=[4, 4, 8, 8], stemStride=1, stemPool=False, outStage=3, numClasses=None)
    resnet2 = ConfigurableResNet(rc2["layers"], rc2["widths"], rc2["stemStride"], rc2["stemPool"], rc2["outStage"], rc2["numClasses"])
    randomize_batchnorm(resnet2, g)
    total += make_fixture("resnet_tiny_s1", resnet2, rc2, {"pixel_values": torch.randn(1, 3, 9, 11, generator=g)}, ["pixel_values"], fwd, ["train"], ["feature_map", "pooled"], 14)

    # Tiny BERT: 2 layers, hidden 32, 4 heads, intermediate 64, vocab 100, 16 positions.
    torch.manual_seed(21)
    bc = dict(layers=2, hidden=32, heads=4, intermediate=64, vocabSize=100, maxPositions=16, typeVocabSize=2,
              layerNormEps=1e-12, hiddenDropout=0.1, attentionDropout=0.1, padTokenId=0)
    bert = BertModel(bc)
    with torch.no_grad():
        for name, p in bert.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1 + 0.2 * torch.randn(p.shape))
            elif name.endswith("bias") or "LayerNorm" in name:
                p.copy_(0.1 * torch.randn(p.shape))
            else:
                p.copy_(0.2 * torch.randn(p.shape))
    ids = torch.randint(1, 100, (2, 7))
    ids[:, 0] = 2
    mask = torch.ones(2, 7, dtype=torch.int64)
    mask[1, 5:] = 0
    ids[1, 5:] = 0  # [PAD]
    types = torch.tensor([[0, 0, 0, 1, 1, 1, 1], [0, 0, 1, 1, 1, 0, 0]])
    bfwd = lambda m, i: m(i["input_ids"].long(), i["attention_mask"].long(), i["token_type_ids"].long())
    total += make_fixture("bert_tiny", bert, bc, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}, [], bfwd, ["eval"], ["last_hidden_state", "pooler_output"], 22)

    # Decoder: 8 conv layers, (2, 5, 3, 4) -> (2, 1, 12, 16) (2 upsamplings) and -> (13, 19) (then bilinear).
    torch.manual_seed(31)
    dc = dict(inChannels=5, widths=[8, 8, 6, 6, 4, 4, 4, 3])
    decoder = MaskDecoder(dc["inChannels"], dc["widths"])
    randomize_batchnorm(decoder, g)
    dec_in = torch.randn(2, 5, 3, 4, generator=g)
    for name, size in [("decoder_pow2", (12, 16)), ("decoder_resize", (13, 19))]:
        cfg = dict(dc, outputSize=list(size))
        dfwd = lambda m, i, size=size: m(i["x"], size)
        total += make_fixture(name, decoder, cfg, {"x": dec_in}, ["x"], dfwd, ["train", "eval"], ["logits"], 32)

    # Fusion heads on random inputs: B 2, image channels 12, map 3 x 4, text dim 10, 5 tokens.
    B, Ci, h, w, Dt, L = 2, 12, 3, 4, 10, 5
    head_inputs = {
        "feature_map": torch.randn(B, Ci, h, w, generator=g),
        "pooled_image": torch.randn(B, Ci, generator=g),
        "tokens": torch.randn(B, L, Dt, generator=g),
        "pooled_text": torch.randn(B, Dt, generator=g),
        "text_mask": torch.tensor([[1.0, 1, 1, 1, 1], [1, 1, 1, 0, 0]]),
    }
    float_inputs = ["feature_map", "pooled_image", "tokens", "pooled_text"]
    hfwd = lambda m, i: m(i["feature_map"], i["pooled_image"], i["tokens"], i["pooled_text"], i["text_mask"])
    base = dict(imageChannels=Ci, textDim=Dt)
    heads = [
        ("fusion_concat", ConcatHead, dict(base, kind="concat", dim=8, channels=6, height=h, width=w), ["map"]),
        ("fusion_outer", OuterHead, dict(base, kind="outer", dim=6), ["map"]),
        ("fusion_cross_text", CrossTextHead, dict(base, kind="cross-text", dim=8, heads=2, coords=False), ["map"]),
        ("fusion_cross_pixel", CrossPixelHead, dict(base, kind="cross-pixel", dim=8, heads=2, coords=True, gateInit=0.37), ["map"]),
        # coords both ways on the attention heads, and the controls of issue 9 (all dim 8)
        ("fusion_cross_text_coords", CrossTextHead, dict(base, kind="cross-text", dim=8, heads=2, coords=True), ["map"]),
        ("fusion_cross_pixel_nocoords", CrossPixelHead, dict(base, kind="cross-pixel", dim=8, heads=2, coords=False, gateInit=0.37), ["map"]),
        ("fusion_concat_tiled", ConcatTiledHead, dict(base, kind="concat-tiled", dim=8, coords=True), ["map"]),
        ("fusion_film", FilmHead, dict(base, kind="film", dim=8, coords=True), ["map"]),
        ("fusion_image_only", ImageOnlyHead, dict(base, kind="image-only", dim=8, coords=True), ["map"]),
        ("fusion_outer_patches", OuterPatchesHead, dict(base, kind="outer-patches", dim=8, imageDim=2, coords=True, height=h, width=w), ["map"]),
        ("fusion_outer_patches_nocoords", OuterPatchesHead, dict(base, kind="outer-patches", dim=6, imageDim=3, coords=False, height=h, width=w), ["map"]),
    ]
    for i, (name, cls, cfg, outs) in enumerate(heads):
        torch.manual_seed(40 + i)
        head = cls(cfg)
        total += make_fixture(name, head, cfg, head_inputs, float_inputs, hfwd, ["eval"], outs, 50 + i)
    # The whole MaskModel (cross-pixel head), tiny: 16 x 16 images, ResNet to stage 3 with stem
    # stride 1 and no pool (feature map 4 x 4), 1-layer BERT without dropout (so training mode is
    # deterministic and differs from eval only in BatchNorm), decoder of 4 blocks (2 upsamplings).
    torch.manual_seed(61)
    mc = dict(
        imageSize=16,
        resnet=dict(layers=[1, 1, 1], widths=[4, 4, 8], stemStride=1, stemPool=False, outStage=3),
        bert=dict(layers=1, hidden=16, heads=2, intermediate=32, vocabSize=50, maxPositions=8, typeVocabSize=2,
                  layerNormEps=1e-12, hiddenDropout=0.0, attentionDropout=0.0, padTokenId=0),
        fusion=dict(kind="cross-pixel", dim=8, heads=2, coords=True, gateInit=0.3),
        decoderWidths=[6, 6, 4, 4],
    )
    model = MaskModel(mc)
    randomize_batchnorm(model, g)
    with torch.no_grad():
        for name, p in model.text_encoder.named_parameters():
            p.add_(0.1 * torch.randn(p.shape))
    m_ids = torch.tensor([[2, 7, 9, 11, 13, 3], [2, 8, 4, 3, 0, 0]])
    m_mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]])
    m_inputs = {"images": torch.randn(2, 3, 16, 16, generator=g), "input_ids": m_ids, "attention_mask": m_mask, "token_type_ids": torch.zeros(2, 6, dtype=torch.int64)}
    mfwd = lambda m, i: m(i["images"], i["input_ids"].long(), i["attention_mask"].long(), i["token_type_ids"].long())
    total += make_fixture("mask_model", model, mc, m_inputs, ["images"], mfwd, ["train"], ["logits"], 62)
    print(f"fixtures: {total} bytes in all")


if __name__ == "__main__":
    main()
