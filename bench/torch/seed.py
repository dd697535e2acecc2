"""PyTorch reference of the seed system for `bench/gpu.sh`: the cuBLAS/cuDNN kernel figures and the
training step of ResNet50 + BERT-base + the 8-layer CNN decoder (fusions concat, outer, cross),
timed on the GPU, with the step's peak memory (torch.cuda.max_memory_allocated).

A copy of the project's ../shared/gpu/torch_seed.py (same models, step and timing; that file is not
in this repository, and CI runs a clean clone), extended with: command-line sizes, a bf16 matmul
figure, peak memory per step, one JSON object on stdout (progress on stderr), and `--dry-run`:
tiny sizes on any device (CPU included) so the test suite can exercise the script; a dry run
without `transformers` uses a small stand-in text encoder (said so in the output).
Weights are random (no hub access); timing does not depend on them.
Prints {"skipped": reason} (exit 3) without torch/torchvision, or without CUDA for --device cuda.

usage: python3 bench/torch/seed.py [--device cuda|cpu] [--dry-run] [--batch N] [--size N] [--iters N]
       [--fusions concat,outer,cross] [--precisions fp32,tf32,bf16] [--matmul N] [--conv B,C,H]
"""
import argparse, json, sys, time

try:
    import torch, torch.nn as nn, torch.nn.functional as F
    import torchvision
except ImportError as e:
    print(json.dumps({'skipped': f'{sys.executable} has no {e.name}'}))
    sys.exit(3)

p = argparse.ArgumentParser()
p.add_argument('--device', default='cuda')
p.add_argument('--dry-run', action='store_true')
p.add_argument('--batch', type=int, default=8)
p.add_argument('--size', type=int, default=512)
p.add_argument('--iters', type=int, default=10)
p.add_argument('--warmup', type=int, default=3)
p.add_argument('--fusions', default='concat,outer,cross')
p.add_argument('--precisions', default='fp32,tf32,bf16')
p.add_argument('--matmul', type=int, default=4096, help='n of the n^3 matmul figures')
p.add_argument('--conv', default='8,256,64', help='B,C,H of the 3x3 C->C convolution on BxCxHxH')
args = p.parse_args()
dev = args.device
D = 256
if dev.startswith('cuda') and not torch.cuda.is_available():
    print(json.dumps({'skipped': f'torch {torch.__version__} sees no CUDA device'}))
    sys.exit(3)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


try:
    from transformers import BertConfig, BertModel
    TEXT = 'transformers.BertModel (BERT-base)'
except ImportError:
    if not args.dry_run:
        sys.exit('seed.py: needs the transformers package (BertModel) for the reference step')
    BertConfig = BertModel = None
    TEXT = 'stand-in text encoder (dry run without transformers)'


class StandInText(nn.Module):
    # token embeddings + one post-norm transformer layer: only so a dry run exercises the script
    def __init__(self, hidden=64):
        super().__init__()
        self.emb = nn.Embedding(30522, hidden)
        self.layer = nn.TransformerEncoderLayer(hidden, 2, 4 * hidden, activation='gelu', batch_first=True)
        self.hidden = hidden

    def forward(self, input_ids, attention_mask):
        h = self.layer(self.emb(input_ids), src_key_padding_mask=attention_mask == 0)
        return type('Out', (), {'last_hidden_state': h})


class Decoder(nn.Module):
    # 8 conv layers, 5 of them after a 2x upsample: 16x16 -> 512x512
    def __init__(self, cin, width=1.0):
        super().__init__()
        chans = [cin] + [max(4, int(c * width)) for c in [256, 256, 128, 128, 64, 64, 32, 16]]
        self.ups = [False, True, False, True, True, False, True, True]
        self.layers = nn.ModuleList()
        for i in range(8):
            self.layers.append(nn.Sequential(nn.Conv2d(chans[i], chans[i + 1], 3, padding=1), nn.BatchNorm2d(chans[i + 1]), nn.ReLU(inplace=True)))
        self.head = nn.Conv2d(chans[8], 1, 1)

    def forward(self, x):
        for up, l in zip(self.ups, self.layers):
            if up:
                x = F.interpolate(x, scale_factor=2, mode='nearest')
            x = l(x)
        return self.head(x)


class Model(nn.Module):
    def __init__(self, fusion, dry):
        super().__init__()
        self.fusion = fusion
        r = torchvision.models.resnet18() if dry else torchvision.models.resnet50()
        self.img = nn.Sequential(*list(r.children())[:-2])
        ci = 512 if dry else 2048
        if BertModel is None:
            self.txt = StandInText()
        elif dry:
            self.txt = BertModel(BertConfig(hidden_size=64, num_hidden_layers=1, num_attention_heads=2, intermediate_size=256))
        else:
            self.txt = BertModel(BertConfig())
        ct = self.txt.hidden if BertModel is None else self.txt.config.hidden_size
        width = 0.125 if dry else 1.0
        if fusion == 'concat':
            self.pi = nn.Linear(ci, D); self.pt = nn.Linear(ct, D)
            self.fc = nn.Linear(2 * D, 256 * 16 * 16 // 4)
            self.dec = Decoder(64, width)
        elif fusion == 'outer':
            self.pi = nn.Linear(ci, 64); self.pt = nn.Linear(ct, 64)
            self.dec = Decoder(1, width)
        else:
            self.q = nn.Conv2d(ci, D, 1); self.k = nn.Linear(ct, D); self.v = nn.Linear(ct, D)
            self.dec = Decoder(D, width)

    def forward(self, img, ids, mask):
        fm = self.img(img)
        tok = self.txt(input_ids=ids, attention_mask=mask).last_hidden_state
        B, _, h, w = fm.shape
        if self.fusion == 'concat':
            ei = self.pi(fm.mean((2, 3))); et = self.pt(tok[:, 0])
            x = self.fc(torch.cat([ei, et], 1)).view(B, 64, 16, 16)
            x = F.interpolate(x, size=(h, w)) if (h, w) != (16, 16) else x
        elif self.fusion == 'outer':
            ei = self.pi(fm.mean((2, 3))); et = self.pt(tok[:, 0])
            x = torch.einsum('bi,bj->bij', ei, et).unsqueeze(1)
            x = F.interpolate(x, size=(h, w), mode='bilinear')
        else:
            q = self.q(fm).flatten(2).transpose(1, 2)
            k = self.k(tok); v = self.v(tok)
            am = (mask[:, None, :] == 0) * -1e9
            a = torch.softmax(q @ k.transpose(1, 2) / D ** 0.5 + am, -1)
            x = (a @ v).transpose(1, 2).reshape(B, D, h, w)
        return self.dec(x)


def sync():
    if dev.startswith('cuda'):
        torch.cuda.synchronize()


def bench_train(fusion, prec, B, S, L=32):
    torch.backends.cuda.matmul.allow_tf32 = prec == 'tf32'
    torch.backends.cudnn.allow_tf32 = prec == 'tf32'
    m = Model(fusion, args.dry_run).to(dev)
    opt = torch.optim.Adam(m.parameters(), 2e-3)
    img = torch.randn(B, 3, S, S, device=dev); ids = torch.randint(0, 30522, (B, L), device=dev)
    mask = torch.ones(B, L, dtype=torch.long, device=dev); tgt = (torch.rand(B, 1, S, S, device=dev) > 0.8).float()
    def step():
        with torch.autocast(dev.split(':')[0], dtype=torch.bfloat16, enabled=prec == 'bf16'):
            out = m(img, ids, mask)
        loss = F.binary_cross_entropy_with_logits(out.float(), tgt)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    for _ in range(args.warmup):
        step()
    sync()
    if dev.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    for _ in range(args.iters):
        step()
    sync()
    dt = (time.perf_counter() - t) / args.iters
    peak = torch.cuda.max_memory_allocated() if dev.startswith('cuda') else None
    nparam = sum(x.numel() for x in m.parameters())
    del m, opt
    if dev.startswith('cuda'):
        torch.cuda.empty_cache()
    return dict(fusion=fusion, prec=prec, batch=B, size=S, step_ms=round(dt * 1e3, 2), img_per_s=round(B / dt, 2), params=nparam, max_memory_allocated=peak)


def bench_kernels(n, conv):
    out = {}
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    reps = 3 if args.dry_run else 20
    def t(f):
        f(); sync(); s = time.perf_counter()
        for _ in range(reps):
            f()
        sync(); return (time.perf_counter() - s) / reps
    a = torch.randn(n, n, device=dev); b = torch.randn(n, n, device=dev)
    out['matmul_f32'] = dict(shape=f'{n}x{n}x{n}', ms=round(t(lambda: a @ b) * 1e3, 4), flops=2 * n ** 3)
    ah = a.to(torch.bfloat16); bh = b.to(torch.bfloat16)
    out['matmul_bf16'] = dict(shape=f'{n}x{n}x{n}', ms=round(t(lambda: ah @ bh) * 1e3, 4), flops=2 * n ** 3)
    B, C, H = conv
    x = torch.randn(B, C, H, H, device=dev); w = torch.randn(C, C, 3, 3, device=dev)
    out['conv3x3_f32'] = dict(shape=f'{B}x{C}x{H}x{H} k3 -> {C}', ms=round(t(lambda: F.conv2d(x, w, padding=1)) * 1e3, 4), flops=2 * B * C * C * 9 * H * H)
    for k in out.values():
        k['tflops'] = round(k['flops'] / (k['ms'] / 1e3) / 1e12, 3)
    return out


if __name__ == '__main__':
    name = torch.cuda.get_device_name() if dev.startswith('cuda') else 'cpu'
    log(f'torch {torch.__version__} on {name}; text encoder: {TEXT}')
    result = dict(torch=torch.__version__, device=name, text_encoder=TEXT, dry_run=args.dry_run)
    result['kernels'] = bench_kernels(args.matmul, [int(v) for v in args.conv.split(',')])
    log(json.dumps(result['kernels']))
    result['steps'] = []
    for fusion in args.fusions.split(','):
        for prec in args.precisions.split(','):
            r = bench_train(fusion, prec, args.batch, args.size)
            log(json.dumps(r))
            result['steps'].append(r)
    print(json.dumps(result))
