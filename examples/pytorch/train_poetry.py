"""The same poetry training in PyTorch, for a side-by-side comparison with `rnnkit train`:
the same corpus, split, vocabulary, initial weights (rnnkit's --save-initial file) and batch
order (rnnkit's generator is PyTorch's: torch.Generator with the same seeds), the same packed
batches, AdamW, clip_grad_norm_, cross-entropy. rnnkit's --seed N draws the initial weights
torch.manual_seed(N) gives, so --init (rnnkit's --save-initial file) is optional.

    npx rnnkit train --steps 300 --save-initial init.safetensors --out runs/poetry
    /usr/bin/python3 examples/pytorch/train_poetry.py --steps 300 --threads 1   # or --init init.safetensors
"""

import argparse
import json
import math
import os
import re
import time

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_sequence

from poetry import PoetryModel, read_safetensors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPECIALS = ["<pad>", "<bos>", "<eos>", "<unk>"]
BOS, EOS, UNK = 1, 2, 3
COUPLET = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff]{5}，[\u3400-\u9fff\uf900-\ufaff]{5}。$")


class Generator:
    """rnnkit's Generator is PyTorch's CPU generator (mt19937): its random() is the float64 draw of
    torch.rand, so a torch.Generator with the same seed gives the same numbers."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randoms(self, n):
        return torch.rand(n, dtype=torch.float64, generator=self.g).tolist()


def permutation(n, g):
    p = list(range(n))
    draws = g.randoms(max(n - 1, 0))  # one per swap, in the order rnnkit's loop draws them
    for k, i in enumerate(range(n - 1, 0, -1)):
        j = math.floor(draws[k] * (i + 1))
        p[i], p[j] = p[j], p[i]
    return p


def load_corpus(which):
    d = os.path.join(ROOT, "node_modules", "chinese-poetry", "dist", "quantangshi")
    files = sorted((f for f in os.listdir(d) if re.match(r"^poet\.tang\.\d+\.json$", f)), key=lambda f: int(f.split(".")[2]))
    poems = []
    for f in files:
        with open(os.path.join(d, f), encoding="utf-8") as fh:
            for p in json.load(fh):
                lines = p.get("paragraphs")
                if not isinstance(lines, list) or not lines or not all(isinstance(x, str) and COUPLET.match(x) for x in lines):
                    continue
                if which == "quatrains" and len(lines) != 2:
                    continue
                poems.append("".join(lines))
    return poems


def split(poems):
    order = permutation(len(poems), Generator(20_240))
    n_val = max(1, math.floor(len(poems) * 0.05 + 0.5))
    return [poems[i] for i in order[n_val:]], [poems[i] for i in order[:n_val]]


def build_vocab(poems, min_count):
    counts = {}
    for p in poems:
        for ch in p:
            counts[ch] = counts.get(ch, 0) + 1
    # Ties by UTF-16 code units, as JavaScript compares strings.
    chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c.encode("utf-16-be")))
    return SPECIALS + chars


def encode(poem, stoi):
    return [BOS] + [stoi.get(ch, UNK) for ch in poem] + [EOS]


def make_batch(encoded):
    seqs = sorted(encoded, key=len, reverse=True)  # stable, as rnnkit's makeBatch
    inputs = pack_sequence([torch.tensor(s[:-1]) for s in seqs])
    targets = pack_sequence([torch.tensor(s[1:]) for s in seqs])
    return inputs, targets.data


def forward(model, inputs):
    e = model.embedding(inputs.data)
    out, _ = model.rnn(torch.nn.utils.rnn.PackedSequence(e, inputs.batch_sizes))
    return model.head(out.data)


@torch.no_grad()
def evaluate(model, encoded):
    model.eval()
    total, tokens = 0.0, 0
    for i in range(0, len(encoded), 256):
        inputs, targets = make_batch(encoded[i:i + 256])
        total += nn.functional.cross_entropy(forward(model, inputs), targets, reduction="sum").item()
        tokens += len(targets)
    model.train()
    return total / tokens


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--init", help="rnnkit's --save-initial file (.safetensors); default: torch.manual_seed(--seed)")
    ap.add_argument("--corpus", default="five", choices=["quatrains", "five"])
    ap.add_argument("--kind", default="lstm", choices=["lstm", "gru"])
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--embedding", type=int, default=128)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    train, val = split(load_corpus(args.corpus))
    vocab = build_vocab(train, args.min_count)
    stoi = {s: i for i, s in enumerate(vocab)}
    train_enc = [encode(p, stoi) for p in train]
    val_enc = [encode(p, stoi) for p in val]
    torch.manual_seed(args.seed)  # as rnnkit train: manualSeed(seed), then the model
    model = PoetryModel(args.kind, len(vocab), args.embedding, args.hidden, args.layers, 0.0)
    if args.init:
        model.load_state_dict(read_safetensors(args.init))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    batches_per_epoch = math.ceil(len(train_enc) / args.batch)

    step, epoch, batch_in_epoch, tokens, train_s = 0, 0, 0, 0, 0.0
    started = time.perf_counter()
    val_loss = None
    while (args.steps is None or step < args.steps) and (args.minutes is None or time.perf_counter() - started < args.minutes * 60):
        order = permutation(len(train_enc), Generator(args.seed * 1_000_003 + epoch))
        first = batch_in_epoch * args.batch
        inputs, targets = make_batch([train_enc[i] for i in order[first:first + args.batch]])
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = nn.functional.cross_entropy(forward(model, inputs), targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        train_s += time.perf_counter() - t0
        tokens += len(targets)
        step += 1
        batch_in_epoch += 1
        if batch_in_epoch >= batches_per_epoch:
            epoch, batch_in_epoch = epoch + 1, 0
        if step % args.eval_every == 0:
            val_loss = evaluate(model, val_enc)
            print(f"step {step}  loss {loss.item():.3f}  val {val_loss:.3f}  {tokens / train_s:.0f} tok/s", flush=True)
    val_loss = evaluate(model, val_enc)
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "steps": step, "train_loss": loss.item(),
                      "val_loss": val_loss, "tokens_per_s": tokens / train_s, "vocab": len(vocab)}))


if __name__ == "__main__":
    main()
