"""The rnnkit poetry model in PyTorch: loads a checkpoint folder written by `rnnkit train`
(model.pt with torch.load(weights_only=True), or model.safetensors) and prints greedy poems and
the logits of a prompt. rnnkit's own test compares these with what rnnkit computes.

    /usr/bin/python3 examples/pytorch/poetry.py runs/poetry --prompt 春 --count 3
    /usr/bin/python3 examples/pytorch/poetry.py runs/poetry --logits 春眠 --json
"""

import argparse
import json
import os
import struct

import torch
import torch.nn as nn

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = 4


class PoetryModel(nn.Module):
    """Embedding -> LSTM or GRU -> Linear, with rnnkit's parameter names (embedding.*, rnn.*, head.*)."""

    def __init__(self, kind, vocab_size, embedding_dim, hidden_size, num_layers, dropout):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        rnn = nn.LSTM if kind == "lstm" else nn.GRU
        self.rnn = rnn(embedding_dim, hidden_size, num_layers, dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(hidden_size, vocab_size)

    def step(self, token, state):
        """The next token's logits [V] after `token`, and the new state (unbatched, one step)."""
        y, state = self.rnn(self.embedding(torch.tensor([token])), state)
        return self.head(y)[0], state


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    dtypes = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(body[b:end]), dtype=dtypes[e["dtype"]]).reshape(e["shape"])
    return out


def load(folder, weights="pt"):
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    m = config["model"]
    model = PoetryModel(m["kind"], m["vocabSize"], m["embeddingDim"], m["hiddenSize"], m["numLayers"], m["dropout"])
    if weights == "pt":
        state = torch.load(os.path.join(folder, "model.pt"), weights_only=True)
    else:
        state = read_safetensors(os.path.join(folder, "model.safetensors"))
    model.load_state_dict(state)
    return model.eval(), config["vocab"]


@torch.no_grad()
def greedy_poem(model, vocab, prompt="", chars=5, lines=4):
    """rnnkit's --greedy --form CHARSxLINES: "，" and "。" forced at the ends of lines, the prompt's
    characters first, then the most likely character that is neither special nor punctuation."""
    stoi = {s: i for i, s in enumerate(vocab)}
    comma, stop = stoi["，"], stoi["。"]
    logits, state = model.step(BOS, None)
    out, written = [], 0
    for i in range(lines * (chars + 1)):
        line = i // (chars + 1)
        if i % (chars + 1) == chars:
            token = comma if line % 2 == 0 else stop
        elif written < len(prompt):
            token, written = stoi[prompt[written]], written + 1
        else:
            masked = logits.clone()
            masked[:SPECIALS] = float("-inf")
            masked[[comma, stop]] = float("-inf")
            token = int(torch.argmax(masked))  # the first index among equal maxima, as rnnkit's tie rule
            written += 1
        out.append(token)
        logits, state = model.step(token, state)
    return "".join(vocab[t] for t in out)


@torch.no_grad()
def prompt_logits(model, vocab, prompt):
    """The logits after <bos> and after each character of `prompt` (len(prompt) + 1 rows)."""
    stoi = {s: i for i, s in enumerate(vocab)}
    rows = []
    logits, state = model.step(BOS, None)
    rows.append(logits)
    for ch in prompt:
        logits, state = model.step(stoi[ch], state)
        rows.append(logits)
    return torch.stack(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--weights", choices=["pt", "safetensors"], default="pt")
    ap.add_argument("--prompt", action="append", default=None, help="first characters (repeatable)")
    ap.add_argument("--logits", default=None, help="print the logits after <bos> and each character of this prompt")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    model, vocab = load(args.checkpoint, args.weights)
    prompts = args.prompt or [""]
    result = {"torch": torch.__version__, "poems": {p: greedy_poem(model, vocab, p) for p in prompts}}
    if args.logits is not None:
        result["logits"] = {"prompt": args.logits, "values": prompt_logits(model, vocab, args.logits).tolist()}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for p, poem in result["poems"].items():
            print(poem.replace("。", "。\n"))


if __name__ == "__main__":
    main()
