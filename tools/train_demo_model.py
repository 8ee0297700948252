#!/usr/bin/env python3
"""Trains wasm-chord's demo model: a small Llama (RMSNorm, RoPE, SwiGLU, grouped-query attention) on
Debian's English fortune cookies, and writes it as an F16 GGUF that llama.cpp and wasm-chord load.

  tools/make-fortune-corpus.sh build/corpus            # the corpus and its fixed split
  python3 tools/train_demo_model.py --corpus build/corpus --out build/demo-train
  cp build/demo-train/fortune-demo.f16.gguf assets/           # the committed model was made so

The committed model: this command's defaults (seed 42, 1200 steps of 32 x 512 tokens, dropout 0.2),
on one NVIDIA H200 with PyTorch 2.11: 48 s of training while two other runs shared the GPU, about a
minute in all. Five other settings (dropout 0.1 / 0.2 / 0.3, 1500 to 4000 steps) reached a worse
development loss (docs/BENCHMARKS.md).

Needs PyTorch (on a CUDA GPU about a minute; on the CPU it works, slowly: on Debian 12 that is
`apt-get install python3-torch` and `/usr/bin/python3`, since a pyenv `python3` does not see Debian's
packages) and nothing else: the
4096-piece vocabulary is built by tools/spm_vocab.py (or read from --vocab), the GGUF is written by
tools/gguf_min.py. Seeded: the batches, initialisation and dropout come from --seed (GPU kernels may
still differ in the last bits from run to run).

Data: the training fortunes (tools/fortune_corpus.py's split) minus a development twentieth (training
fortune j with j % 20 == 9), which picks the checkpoint (lowest development loss, checked every
--eval-every steps); the held-out fortunes are only measured. Text is tokenized whole, as llama.cpp's
perplexity tool tokenizes a file; each training window is BOS followed by 511 tokens from a random
offset, which is what a perplexity chunk looks like.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_min  # noqa: E402
import spm_vocab  # noqa: E402


def split_fortunes(text):
    parts = text.split("\n%\n")
    assert parts[-1] == ""
    return parts[:-1]


def join_fortunes(items):
    return "".join(t + "\n%\n" for t in items)


class Config:
    def __init__(self, a, n_vocab):
        self.vocab, self.dim, self.layers = n_vocab, a.dim, a.layers
        self.heads, self.kv_heads, self.ffn = a.heads, a.kv_heads, a.ffn
        self.ctx, self.eps, self.rope_base, self.dropout = a.ctx, 1e-5, 10000.0, a.dropout


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x) * self.weight


def rope_tables(head_dim, ctx, base, device):
    # llama.cpp's "normal" RoPE (the llama architecture): adjacent pairs (x[2i], x[2i+1]) rotated by
    # pos * base^(-2i/head_dim); so the q/k weights need no permutation when written to GGUF.
    inv = base ** (-torch.arange(0, head_dim, 2, device=device, dtype=torch.float64) / head_dim)
    ang = torch.arange(ctx, device=device, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin):  # x: [B, H, T, hd]
    T = x.shape[2]
    x0, x1 = x[..., 0::2].float(), x[..., 1::2].float()
    c, s = cos[:T], sin[:T]
    r0 = x0 * c - x1 * s
    r1 = x0 * s + x1 * c
    return torch.stack((r0, r1), dim=-1).flatten(-2).type_as(x)


def attention(q, k, v, dropout):
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=dropout)
    T = q.shape[2]  # PyTorch before 2.0 (Debian 12's 1.13)
    s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    s = s.masked_fill(torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    return F.dropout(torch.softmax(s.float(), -1).type_as(q), dropout) @ v


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        hd = c.dim // c.heads
        self.c, self.hd = c, hd
        self.attn_norm = RMSNorm(c.dim, c.eps)
        self.wq = nn.Linear(c.dim, c.heads * hd, bias=False)
        self.wk = nn.Linear(c.dim, c.kv_heads * hd, bias=False)
        self.wv = nn.Linear(c.dim, c.kv_heads * hd, bias=False)
        self.wo = nn.Linear(c.heads * hd, c.dim, bias=False)
        self.ffn_norm = RMSNorm(c.dim, c.eps)
        self.w1 = nn.Linear(c.dim, c.ffn, bias=False)  # gate
        self.w3 = nn.Linear(c.dim, c.ffn, bias=False)  # up
        self.w2 = nn.Linear(c.ffn, c.dim, bias=False)  # down
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        c, hd = self.c, self.hd
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, c.heads, hd).transpose(1, 2)
        k = self.wk(h).view(B, T, c.kv_heads, hd).transpose(1, 2)
        v = self.wv(h).view(B, T, c.kv_heads, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        rep = c.heads // c.kv_heads  # query head i uses key/value head i // rep, as llama.cpp does
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        a = attention(q, k, v, c.dropout if self.training else 0.0)
        x = x + self.drop(self.wo(a.transpose(1, 2).reshape(B, T, -1)))
        h = self.ffn_norm(x)
        return x + self.drop(self.w2(F.silu(self.w1(h)) * self.w3(h)))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.tok = nn.Embedding(c.vocab, c.dim)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.layers))
        self.norm = RMSNorm(c.dim, c.eps)
        self.out = nn.Linear(c.dim, c.vocab, bias=False)
        self.drop = nn.Dropout(c.dropout)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * c.layers) if name.endswith(("wo.weight", "w2.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
        self.cos = self.sin = None

    def forward(self, idx):
        if self.cos is None or self.cos.device != idx.device:
            self.cos, self.sin = rope_tables(self.c.dim // self.c.heads, max(self.c.ctx, 2048), self.c.rope_base, idx.device)
        x = self.drop(self.tok(idx))
        for b in self.blocks:
            x = b(x, self.cos, self.sin)
        return self.out(self.norm(x)).float()


@torch.no_grad()
def perplexity(model, tokens, ctx, device, max_chunks=None):
    """llama.cpp's perplexity: non-overlapping chunks of ctx tokens from the text's tokens with BOS in
    front, the chunk's first token replaced by BOS, the second half of each chunk scored."""
    model.eval()
    toks = [1] + tokens
    n = len(toks) // ctx
    if max_chunks:
        n = min(n, max_chunks)
    first = ctx // 2
    nll, cnt = 0.0, 0
    for i in range(n):
        chunk = toks[i * ctx:(i + 1) * ctx]
        chunk[0] = 1
        x = torch.tensor([chunk], device=device)
        logp = torch.log_softmax(model(x)[0].double(), -1)
        tgt = x[0, first + 1:]
        nll -= logp[first:ctx - 1].gather(1, tgt[:, None]).sum().item()
        cnt += ctx - 1 - first
    return math.exp(nll / cnt), n


@torch.no_grad()
def window_loss(model, data, ctx, device, n_windows=64, seed=1234):
    model.eval()
    g = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, len(data) - ctx, (n_windows,), generator=g)
    x, y = batch_at(data, starts, ctx)
    logits = model(x.to(device))
    return F.cross_entropy(logits.view(-1, logits.shape[-1]), y.to(device).view(-1)).item()


def batch_at(data, starts, ctx):
    # input: BOS + data[s : s+ctx-1]; target: data[s : s+ctx]
    idx = starts[:, None] + torch.arange(ctx)[None, :]
    y = data[idx]
    x = torch.cat([torch.ones(len(starts), 1, dtype=data.dtype), y[:, :-1]], dim=1)
    return x, y


@torch.no_grad()
def sample(model, n, device, temperature=0.8, seed=1):
    model.eval()
    g = torch.Generator(device=device).manual_seed(seed)
    ids = [1]
    for _ in range(n):
        logits = model(torch.tensor([ids[-model.c.ctx:]], device=device))[0, -1]
        p = torch.softmax(logits / temperature, -1)
        ids.append(int(torch.multinomial(p, 1, generator=g)))
    return ids[1:]


def f16_bytes(t):
    return t.detach().to(torch.float16).cpu().contiguous().numpy().tobytes()


def f32_bytes(t):
    return t.detach().to(torch.float32).cpu().contiguous().numpy().tobytes()


def write_gguf(path, model, c, vocab, name):
    pieces, scores, types = vocab
    w = gguf_min.Writer()
    w.add_string("general.architecture", "llama")
    w.add_string("general.name", name)
    w.add_u32("general.file_type", 1)  # mostly F16
    w.add_u32("llama.context_length", c.ctx)
    w.add_u32("llama.embedding_length", c.dim)
    w.add_u32("llama.block_count", c.layers)
    w.add_u32("llama.feed_forward_length", c.ffn)
    w.add_u32("llama.attention.head_count", c.heads)
    w.add_u32("llama.attention.head_count_kv", c.kv_heads)
    w.add_u32("llama.rope.dimension_count", c.dim // c.heads)
    w.add_f32("llama.rope.freq_base", c.rope_base)
    w.add_f32("llama.attention.layer_norm_rms_epsilon", c.eps)
    w.add_u32("llama.vocab_size", c.vocab)
    gguf_min.add_llama_vocab(w, pieces, scores, types)

    def mat(name, t):
        w.add_tensor(name, [t.shape[1], t.shape[0]], gguf_min.GGML_F16, f16_bytes(t))

    def vec(name, t):
        w.add_tensor(name, [t.shape[0]], gguf_min.GGML_F32, f32_bytes(t))

    mat("token_embd.weight", model.tok.weight)
    for i, b in enumerate(model.blocks):
        p = f"blk.{i}."
        vec(p + "attn_norm.weight", b.attn_norm.weight)
        mat(p + "attn_q.weight", b.wq.weight)
        mat(p + "attn_k.weight", b.wk.weight)
        mat(p + "attn_v.weight", b.wv.weight)
        mat(p + "attn_output.weight", b.wo.weight)
        vec(p + "ffn_norm.weight", b.ffn_norm.weight)
        mat(p + "ffn_gate.weight", b.w1.weight)
        mat(p + "ffn_up.weight", b.w3.weight)
        mat(p + "ffn_down.weight", b.w2.weight)
    vec("output_norm.weight", model.norm.weight)
    mat("output.weight", model.out.weight)
    return w.write(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="folder with fortunes-train.txt and fortunes-heldout.txt")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--vocab", help="vocabulary JSON (tools/spm_vocab.py); built from the training text if absent")
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--max-seconds", type=float, default=600, help="stop early (and say so) past this")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--name", default="wasm-chord fortune demo")
    a = ap.parse_args()

    t_start = time.time()
    torch.manual_seed(a.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    os.makedirs(a.out, exist_ok=True)
    log_f = open(os.path.join(a.out, "train-log.txt"), "w")

    def log(msg):
        line = f"[{time.time() - t_start:7.1f}s] {msg}"
        print(line, flush=True)
        log_f.write(line + "\n")
        log_f.flush()

    train_all = split_fortunes(open(os.path.join(a.corpus, "fortunes-train.txt"), encoding="utf-8").read())
    held_text = open(os.path.join(a.corpus, "fortunes-heldout.txt"), encoding="utf-8").read()
    train_text = join_fortunes(t for j, t in enumerate(train_all) if j % 20 != 9)
    dev_text = join_fortunes(t for j, t in enumerate(train_all) if j % 20 == 9)

    if a.vocab and os.path.exists(a.vocab):
        vocab = spm_vocab.load(a.vocab)
        log(f"vocabulary: {a.vocab}")
    else:
        vocab = spm_vocab.build(join_fortunes(train_all), a.vocab_size)  # all of fortunes-train.txt
        log("vocabulary built")
    spm_vocab.save(os.path.join(a.out, "vocab.json"), *vocab)
    tok = spm_vocab.Tokenizer(*vocab)
    train = torch.tensor(tok.encode(train_text), dtype=torch.long)
    dev = torch.tensor(tok.encode(dev_text), dtype=torch.long)
    held = tok.encode(held_text)
    log(f"tokens: train {len(train)}, dev {len(dev)}, held-out {len(held)}; device {device} "
        f"({torch.cuda.get_device_name() if device == 'cuda' else 'cpu'}), torch {torch.__version__}")

    c = Config(a, len(vocab[0]))
    model = Llama(c).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: dim {c.dim}, {c.layers} layers, {c.heads} heads / {c.kv_heads} kv heads, ffn {c.ffn}, "
        f"vocab {c.vocab}, ctx {c.ctx}: {n_params} parameters")
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8,
                            **({"fused": True} if device == "cuda" else {}))
    g = torch.Generator().manual_seed(a.seed)

    def lr_at(s):
        if s < a.warmup:
            return a.lr * (s + 1) / a.warmup
        q = (s - a.warmup) / max(1, a.steps - a.warmup)
        return a.min_lr + 0.5 * (a.lr - a.min_lr) * (1 + math.cos(math.pi * q))

    best = (float("inf"), -1, None)
    t_train = time.time()
    step = 0
    stopped_early = False
    for step in range(1, a.steps + 1):
        model.train()
        for grp in opt.param_groups:
            grp["lr"] = lr_at(step - 1)
        starts = torch.randint(0, len(train) - c.ctx, (a.batch,), generator=g)
        x, y = batch_at(train, starts, c.ctx)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=(device == "cuda")):
            logits = model(x)
        loss = F.cross_entropy(logits.view(-1, c.vocab), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % a.eval_every == 0 or step == a.steps:
            dl = window_loss(model, dev, c.ctx, device)
            mark = ""
            if dl < best[0]:
                best = (dl, step, {k: v.detach().clone() for k, v in model.state_dict().items()})
                mark = " *"
            log(f"step {step}: train loss {loss.item():.4f}, dev loss {dl:.4f} (ppl {math.exp(dl):.2f}), "
                f"lr {lr_at(step - 1):.2e}, {(time.time() - t_train) / step * 1000:.1f} ms/step{mark}")
            if time.time() - t_start > a.max_seconds:
                stopped_early = True
                log(f"stopping early: past --max-seconds {a.max_seconds}")
                break
    train_seconds = time.time() - t_train
    model.load_state_dict(best[2])
    log(f"training: {step} steps in {train_seconds:.1f} s; keeping step {best[1]} (dev loss {best[0]:.4f})")

    # Measure what is written: the F16-rounded weights, in float32 arithmetic.
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(p.half().float())
    ppl512, n512 = perplexity(model, held, 512, device)
    ppl128, n128 = perplexity(model, held, 128, device)
    log(f"held-out perplexity (F16 weights, llama.cpp's method): ctx 512 {ppl512:.4f} over {n512} chunks, "
        f"ctx 128 {ppl128:.4f} over {n128} chunks")
    ids = sample(model, 200, device)
    text = tok.decode(ids)
    log("sample (temperature 0.8, from BOS):\n" + text)

    path = os.path.join(a.out, "fortune-demo.f16.gguf")
    size = write_gguf(path, model, c, vocab, a.name)
    summary = {"params": n_params, "steps": step, "best_step": best[1], "dev_loss": best[0],
               "train_seconds": round(train_seconds, 1), "total_seconds": round(time.time() - t_start, 1),
               "heldout_ppl_ctx512": ppl512, "heldout_ppl_ctx128": ppl128, "stopped_early": stopped_early,
               "gguf_bytes": size, "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
               "torch": torch.__version__, "args": vars(a)}
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    log(f"wrote {path} ({size} bytes)")


if __name__ == "__main__":
    main()
