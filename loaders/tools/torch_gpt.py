# A copy of ../shared/bench/torch_gpt.py shipped with the repository for `npm run bench -- --vs-torch`
# (loaders/tools/bench-torch.ts), plus size L (d512, 8 heads, 8 layers).
# Reference benchmark: the same GPT-style decoder in PyTorch on the CPU, to measure the workbench's
# TensorFlow.js engine side by side on the same machine. Needs Debian's torch with OpenBLAS:
# apt-get install python3-torch libopenblas0-pthread (without OpenBLAS torch uses reference BLAS and is
# 9-23x slower), run with Debian's interpreter, /usr/bin/python3 (a pyenv python3 lacks torch).
# Sizes: S = d_model 128, 4 heads, 2 layers; M = 256, 8, 4; vocabulary 256, sequence 128, batch 32.
# Task: reverse a random lowercase string after a '|' separator; loss on the reversed half only.
# Usage:
#   python3 torch_gpt.py --size S [--threads 1] [--steps 30]        # training, one JSON line
#   python3 torch_gpt.py --size S --gen [--threads 1]               # KV-cache generation, JSON lines
# Output fields match the workbench's `npm run bench`: kind, size, batch, tokens_per_s, backend,
# threads, peak_rss_mb (plus a few extras). Try --threads 1 and 2, each also with OPENBLAS_NUM_THREADS=1:
# on 2 cores the fastest setting is the reference.
import argparse, json, math, resource, time
import torch, torch.nn as nn, torch.nn.functional as F

SIZES = {'S': dict(V=256, D=128, H=4, L=2, T=128, B=32), 'M': dict(V=256, D=256, H=8, L=4, T=128, B=32),
         'L': dict(V=256, D=512, H=8, L=8, T=128, B=32)}


def mulberry32(seed):  # a small seeded PRNG, easy to reproduce in JavaScript
    a = seed & 0xffffffff

    def r():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xffffffff
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xffffffff
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xffffffff)) & 0xffffffff
        return ((t ^ (t >> 14)) & 0xffffffff) / 4294967296
    return r


def make_batch(rand, B, T):  # string, '|', reversed string; mask = reversed half
    n = (T - 2) // 2 + 1
    xs, ys, ms = [], [], []
    for _ in range(B):
        s = [97 + math.floor(rand() * 26) for _ in range(n)]
        seq = s + [124] + s[::-1]
        xs.append(seq[:T]); ys.append(seq[1:T + 1]); ms.append([1.0 if t >= n else 0.0 for t in range(T)])
    return torch.tensor(xs), torch.tensor(ys), torch.tensor(ms)


class Block(nn.Module):
    def __init__(s, D, H, L):
        super().__init__()
        s.H, s.hd = H, D // H
        s.ln1, s.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        s.qkv, s.o = nn.Linear(D, 3 * D), nn.Linear(D, D)
        s.fc1, s.fc2 = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
        for m, std in ((s.qkv, .02), (s.fc1, .02), (s.o, .02 / math.sqrt(2 * L)), (s.fc2, .02 / math.sqrt(2 * L))):
            nn.init.normal_(m.weight, 0, std); nn.init.zeros_(m.bias)

    def attn(s, x, mask, cache=None):
        B, T, D = x.shape
        q, k, v = s.qkv(x).split(D, dim=2)
        q, k, v = (t.view(B, T, s.H, s.hd).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            if 'k' in cache:
                k = torch.cat([cache['k'], k], 2); v = torch.cat([cache['v'], v], 2)
            cache['k'], cache['v'] = k, v
        att = q @ k.transpose(-2, -1) / math.sqrt(s.hd)
        if mask is not None:
            att = att + mask
        y = att.softmax(-1) @ v
        return s.o(y.transpose(1, 2).reshape(B, T, D))

    def forward(s, x, mask, cache=None):
        x = x + s.attn(s.ln1(x), mask, cache)
        return x + s.fc2(F.gelu(s.fc1(s.ln2(x)), approximate='tanh'))


class GPT(nn.Module):
    def __init__(s, V, D, H, L, T, **_):
        super().__init__()
        s.wte, s.wpe = nn.Embedding(V, D), nn.Embedding(T, D)
        nn.init.normal_(s.wte.weight, 0, .02); nn.init.normal_(s.wpe.weight, 0, .01)
        s.blocks = nn.ModuleList([Block(D, H, L) for _ in range(L)])
        s.lnf, s.head = nn.LayerNorm(D), nn.Linear(D, V, bias=False)
        nn.init.normal_(s.head.weight, 0, .02)
        m = torch.full((T, T), -1e9).triu(1)
        s.register_buffer('mask', m)

    def forward(s, idx, caches=None, pos0=0):
        B, T = idx.shape
        h = s.wte(idx) + s.wpe(torch.arange(pos0, pos0 + T))
        mask = s.mask[:T, :T] if (caches is None or pos0 == 0) else None
        for i, b in enumerate(s.blocks):
            h = b(h, mask, None if caches is None else caches[i])
        return s.head(s.lnf(h))


def flops(V, D, H, L, T, B):  # forward matmul FLOPs x 3 (forward + backward)
    N = B * T
    per = 2 * N * D * 3 * D + 2 * N * D * D + 2 * 2 * N * D * 4 * D + 2 * 2 * B * T * T * D
    return 3 * (L * per + 2 * N * D * V)


def train(a):
    cfg = SIZES[a.size]
    torch.manual_seed(a.seed)
    model = GPT(**cfg)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    rand = mulberry32(1234)
    times, losses = [], []
    for s in range(a.warmup + a.steps):
        x, y, m = make_batch(rand, cfg['B'], cfg['T'])
        t0 = time.perf_counter()
        logits = model(x)
        nll = F.cross_entropy(logits.reshape(-1, cfg['V']), y.reshape(-1), reduction='none')
        loss = (nll * m.reshape(-1)).sum() / m.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        lv = loss.item()
        dt = time.perf_counter() - t0
        losses.append(lv)
        if s >= a.warmup:
            times.append(dt)
        if a.log_every and (s % a.log_every == 0 or s == a.warmup + a.steps - 1):
            print(f'step {s} loss {lv:.4f} dt {dt:.3f}s', flush=True)
    times.sort()
    med = times[len(times) // 2]
    fl = flops(**cfg)
    tok = cfg['B'] * cfg['T']
    out = dict(kind='train', size=a.size, batch=cfg['B'], tokens_per_s=round(tok / med), backend='torch',
               threads=torch.get_num_threads(), peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               framework=f'torch {torch.__version__}', params=sum(p.numel() for p in model.parameters()),
               gflops=round(fl / med / 1e9, 2), median_step_s=round(med, 4),
               loss_first=round(losses[0], 4), loss_last=round(losses[-1], 4))
    print(json.dumps(out))


@torch.no_grad()
def gen(a):
    cfg = SIZES[a.size]
    torch.manual_seed(1)
    model = GPT(**cfg).eval()
    rand = mulberry32(99)
    res = {}
    for B in (1, 32):
        x, _, _ = make_batch(rand, B, cfg['T'])
        prompt = x[:, :64]
        for use_cache in (False, True):
            def run():
                idx = prompt
                if use_cache:
                    caches = [dict() for _ in model.blocks]
                    logits = model(idx, caches, 0)
                    for t in range(64):
                        nxt = logits[:, -1].argmax(-1, keepdim=True)
                        idx = torch.cat([idx, nxt], 1)
                        if t < 63:
                            logits = model(nxt, caches, idx.shape[1] - 1)
                else:
                    for t in range(64):
                        nxt = model(idx)[:, -1].argmax(-1, keepdim=True)
                        idx = torch.cat([idx, nxt], 1)
                return idx
            out0 = run()
            reps, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < 2.0 or reps < 2:
                out = run(); reps += 1
            dt = (time.perf_counter() - t0) / reps
            res[f'B{B}_{"kv" if use_cache else "nocache"}'] = dict(s=round(dt, 4), tokPerS=round(B * 64 / dt, 1))
            res[f'B{B}_{"kv" if use_cache else "nocache"}']['tokens'] = out[0, 64:72].tolist()
    rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    for B in (1, 32):
        kv, nc = res[f'B{B}_kv'], res[f'B{B}_nocache']
        print(json.dumps(dict(kind='generate', size=a.size, batch=B, tokens_per_s=kv['tokPerS'], backend='torch',
                              threads=torch.get_num_threads(), peak_rss_mb=rss, prompt_tokens=64, new_tokens=64,
                              no_cache_tokens_per_s=nc['tokPerS'], kv_matches_no_cache=kv['tokens'] == nc['tokens'])))


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('--size', default='S', choices=list(SIZES)); p.add_argument('--steps', type=int, default=30)
    p.add_argument('--warmup', type=int, default=5); p.add_argument('--threads', type=int, default=2)
    p.add_argument('--lr', type=float, default=3e-3); p.add_argument('--log-every', type=int, default=0)
    p.add_argument('--gen', action='store_true'); p.add_argument('--seed', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    gen(a) if a.gen else train(a)
