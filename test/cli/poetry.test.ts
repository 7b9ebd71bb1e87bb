// The poetry command line: PyTorch parity of a checkpoint rnnkit trained (greedy poems and logits,
// test/fixtures/poetry written by scripts/fixtures/poetry.py through examples/pytorch/poetry.py),
// bit-for-bit --resume, a checkpoint on Ctrl-C, and one-line errors for bad input.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../../cli/main.js";
import { loadCheckpoint } from "../../cli/poetry/checkpoint.js";
import { samplePoem } from "../../cli/poetry/sample.js";
import { Generator, tensor } from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FIX = join(ROOT, "test", "fixtures", "poetry");
const TINY = join(FIX, "tiny.txt");
const tmp = mkdtempSync(join(tmpdir(), "rnnkit-poetry-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const SMALL = [
  "--corpus",
  TINY,
  "--hidden",
  "16",
  "--embedding",
  "8",
  "--batch",
  "8",
  "--min-count",
  "1",
  "--poems",
  "0",
];
const FREQ = ["--eval-every", "3", "--sample-every", "1000", "--checkpoint-every", "1000"];

describe("PyTorch parity of a checkpoint rnnkit trained", () => {
  const parity = JSON.parse(readFileSync(join(FIX, "parity.json"), "utf8")) as {
    poems: Record<string, string>;
    logits: { prompt: string; values: number[][] };
  };
  const ckpt = loadCheckpoint(join(FIX, "ckpt"));
  ckpt.model.eval();

  for (const [prompt, poem] of Object.entries(parity.poems))
    test(`the greedy 5x4 poem for prompt '${prompt}' is PyTorch's`, () => {
      const options = { prompt, temperature: 1, topK: 0, greedy: true, form: [5, 4] as const, maxLength: 64 };
      assert.equal(samplePoem(ckpt.model, ckpt.vocab, options, new Generator(0)), poem);
    });

  test("the logits after <bos> and each prompt character are PyTorch's", () => {
    const ids = [1, ...[...parity.logits.prompt].map((ch) => ckpt.vocab.id(ch))];
    let state = null as Parameters<typeof ckpt.model.step>[1];
    for (const [i, id] of ids.entries()) {
      const [logits, next] = ckpt.model.step(id, state);
      state = next;
      assertClose(logits, tensor(parity.logits.values[i]!), `logits ${i}`);
    }
  });

  test("rnnkit sample --greedy prints the same poems, laid out a couplet per line", async () => {
    const r = await cli([
      "sample",
      join(FIX, "ckpt"),
      "--greedy",
      "--count",
      "1",
      "--prompt",
      Object.keys(parity.poems)[1]!,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, Object.values(parity.poems)[1]!.replace(/。(?!$)/g, "。\n"));
  });
});

describe("training", () => {
  test("N steps, then --resume for M more, equals N + M steps bit for bit", async () => {
    const a = join(tmp, "a");
    const b = join(tmp, "b");
    assert.equal(
      (
        await cli([
          "train",
          ...SMALL,
          ...FREQ,
          "--dropout",
          "0.3",
          "--layers",
          "2",
          "--steps",
          "5",
          "--out",
          a,
        ])
      ).code,
      0,
    );
    assert.equal(
      (await cli(["train", "--resume", a, ...FREQ, "--poems", "0", "--steps", "4", "--out", a])).code,
      0,
    );
    assert.equal(
      (
        await cli([
          "train",
          ...SMALL,
          ...FREQ,
          "--dropout",
          "0.3",
          "--layers",
          "2",
          "--steps",
          "9",
          "--out",
          b,
        ])
      ).code,
      0,
    );
    for (const f of ["model.safetensors", "optimizer.safetensors"])
      assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);
    const pa = loadCheckpoint(a).config.progress;
    const pb = loadCheckpoint(b).config.progress;
    assert.deepEqual(
      [pa.step, pa.epoch, pa.batchInEpoch, pa.tokens, pa.trainLoss],
      [pb.step, pb.epoch, pb.batchInEpoch, pb.tokens, pb.trainLoss],
    );
  });

  test("the loss falls and the checkpoint holds the weights in .pt and .safetensors", async () => {
    const out = join(tmp, "falls");
    const r = await cli(["train", ...SMALL, ...FREQ, "--steps", "30", "--lr", "0.01", "--out", out]);
    assert.equal(r.code, 0, r.err);
    const losses = [...r.err.matchAll(/step \d+ {2}loss ([\d.]+)/g)].map((m) => Number(m[1]));
    assert.ok(losses.length >= 5 && losses.at(-1)! < losses[0]! - 0.5, `losses ${losses.join(", ")}`);
    for (const f of ["config.json", "model.pt", "model.safetensors", "optimizer.safetensors"])
      assert.ok(existsSync(join(out, f)), f);
  });

  test("Ctrl-C finishes the step, writes a loadable checkpoint and exits 130", async () => {
    const out = join(tmp, "sigint");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "cli", "bin.ts"),
        "train",
        ...SMALL,
        "--eval-every",
        "1",
        "--steps",
        "1000000",
        "--out",
        out,
      ],
      { cwd: ROOT },
    );
    let err = "";
    let sent = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        if (!sent && /step 3 /.test(err)) sent = child.kill("SIGINT");
      });
      child.on("exit", (c) => resolve(c));
    });
    assert.equal(code, 130, err);
    assert.match(err, /interrupted at step \d+/);
    const ckpt = loadCheckpoint(out);
    assert.ok(ckpt.config.progress.step >= 3);
    assert.deepEqual(
      readdirSync(dirname(out)).filter((n) => n.startsWith(".sigint.")),
      [],
      "a temporary of the checkpoint was left behind",
    );
  });
});

describe("bad input is one line, and leaves no checkpoint behind", () => {
  const fails = async (argv: string[], code: number, message: RegExp) => {
    const out = join(tmp, `bad-${Math.random().toString(36).slice(2)}`);
    const r = await cli([...argv, "--out", out]);
    assert.equal(r.code, code, r.err);
    assert.match(r.err, message);
    assert.equal(r.err.split("\n").length, 1, r.err);
    assert.equal(existsSync(out), false);
  };

  test("a missing corpus", () =>
    fails(["train", "--corpus", join(tmp, "none.txt")], 2, /^rnnkit: --corpus: no such file/));

  test("an empty corpus", () => {
    const f = join(tmp, "empty.txt");
    writeFileSync(f, "\n\n");
    return fails(["train", "--corpus", f], 2, /holds no text/);
  });

  test("a corpus too small for the split", () => {
    const f = join(tmp, "small.txt");
    writeFileSync(f, "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n");
    return fails(["train", "--corpus", f], 2, /has 2 poems; at least 20 are needed/);
  });

  test("a corpus that is not UTF-8", () => {
    const f = join(tmp, "latin1.txt");
    writeFileSync(f, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    return fails(["train", "--corpus", f], 2, /is not valid UTF-8/);
  });

  test("a checkpoint whose config does not match its weights", async () => {
    const dir = join(tmp, "mismatch");
    cpSync(join(FIX, "ckpt"), dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    config.model.hiddenSize += 1;
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    const r = await cli(["sample", dir]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /config.json does not match model.safetensors: size mismatch for rnn.weight_ih_l0: the config gives \[132, 16\], the file \[128, 16\]$/,
    );
  });

  test("a prompt with characters outside the vocabulary", async () => {
    const r = await cli(["sample", join(FIX, "ckpt"), "--prompt", "𠀀"]);
    assert.equal(r.code, 2);
    assert.equal(r.err, "rnnkit: --prompt: '𠀀' is not in the model's vocabulary");
  });
});
