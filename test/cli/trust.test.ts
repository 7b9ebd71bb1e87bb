// The command line with a user's files around it: --out never destroys what rnnkit did not write,
// outputs land as one unit, temporaries go away on errors, signals and after a kill -9, bad
// checkpoints and arguments get one line naming the file, and Ctrl-C saves promptly.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../../cli/main.js";
import { loadCheckpoint } from "../../cli/poetry/checkpoint.js";
import { io } from "../../src/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI_FIX = join(ROOT, "test", "fixtures", "cli");
const POETRY = join(ROOT, "test", "fixtures", "poetry");
const tmp = mkdtempSync(join(tmpdir(), "rnnkit-trust-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(argv: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    process.chdir(previous);
  }
}

const SMALL = ["--corpus", join(POETRY, "tiny.txt"), "--hidden", "16", "--embedding", "8", "--batch", "8"];
const QUIET = ["--min-count", "1", "--poems", "0", "--eval-every", "1000", "--sample-every", "1000"];
const LSTM = join(CLI_FIX, "lstm-proj-bidir-2layers-h0c0");
const GRU = join(CLI_FIX, "gru-packed-batch-first");

/** A fresh folder under tmp. */
function folder(name: string): string {
  const d = join(tmp, name);
  mkdirSync(d, { recursive: true });
  return d;
}

/** Names in `dir` that look like rnnkit temporaries. */
const temporaries = (dir: string) => readdirSync(dir).filter((n) => n.endsWith(".tmp"));

describe("--out never replaces what rnnkit did not write", () => {
  test("train refuses a folder holding other files, before any work, and leaves them", async () => {
    const dir = folder("notes");
    writeFileSync(join(dir, "notes.txt"), "my notes");
    const r = await cli(["train", ...SMALL, ...QUIET, "--steps", "1", "--out", dir]);
    assert.equal(r.code, 2);
    assert.equal(
      r.err,
      `rnnkit: --out ${dir}: holds files rnnkit did not write (notes.txt), so it is not a poetry checkpoint; give a new or empty folder`,
    );
    assert.deepEqual(readdirSync(dir), ["notes.txt"]);
    assert.equal(readFileSync(join(dir, "notes.txt"), "utf8"), "my notes");
  });

  test("train refuses a folder that has checkpoint names but is not a checkpoint", async () => {
    const dir = folder("fake-ckpt");
    writeFileSync(join(dir, "config.json"), '{"mine": true}');
    const r = await cli(["train", ...SMALL, ...QUIET, "--steps", "1", "--out", dir]);
    assert.equal(r.code, 2);
    assert.match(r.err, /is not a poetry checkpoint: its config.json is not an rnnkit-poetry config/);
    assert.equal(readFileSync(join(dir, "config.json"), "utf8"), '{"mine": true}');
  });

  test("train and run refuse a file, the current folder and a folder above it", async () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "keep me");
    for (const argv of [
      ["train", ...SMALL, ...QUIET, "--steps", "1"],
      ["run", join(LSTM, "model.pt"), "--input", join(LSTM, "input.npy")],
    ]) {
      const f = await cli([...argv, "--out", file]);
      assert.equal(f.code, 2, f.err);
      assert.match(f.err, /is a file, not a folder/);
      assert.equal(readFileSync(file, "utf8"), "keep me");
      const home = folder("cwd");
      writeFileSync(join(home, "x.txt"), "x");
      for (const out of [".", ".."]) {
        const r = await cli([...argv, "--out", out], home);
        assert.equal(r.code, 2, r.err);
        assert.match(r.err, /is the current folder or holds it/);
      }
      assert.deepEqual(readdirSync(home), ["x.txt"]);
    }
  });

  test("train replaces its own checkpoint, leaving nothing beside it", async () => {
    const parent = folder("replace");
    const out = join(parent, "ckpt");
    for (const steps of ["1", "2"]) {
      const r = await cli(["train", ...SMALL, ...QUIET, "--steps", steps, "--out", out]);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(readdirSync(parent), ["ckpt"]);
    }
    assert.equal(loadCheckpoint(out).config.progress.step, 2);
    assert.deepEqual(readdirSync(out).sort(), [
      "config.json",
      "model.pt",
      "model.safetensors",
      "optimizer.safetensors",
    ]);
  });

  test("train into an empty folder works", async () => {
    const out = folder("empty-ckpt");
    const r = await cli(["train", ...SMALL, ...QUIET, "--steps", "1", "--out", out]);
    assert.equal(r.code, 0, r.err);
    assert.equal(loadCheckpoint(out).config.progress.step, 1);
  });

  test("run refuses a folder with other files; the outputs of two runs never mix", async () => {
    const dir = folder("run-foreign");
    writeFileSync(join(dir, "data.csv"), "1,2");
    const refused = await cli(
      ["run", "model.pt", "--input", "input.npy", "--h0", "h0.npy", "--c0", "c0.npy", "--out", dir],
      LSTM,
    );
    assert.equal(refused.code, 2);
    assert.match(refused.err, /holds files rnnkit did not write \(data.csv\)/);
    assert.deepEqual(readdirSync(dir), ["data.csv"]);

    const parent = folder("run-mix");
    const out = join(parent, "out");
    const lstm = await cli(
      ["run", "model.pt", "--input", "input.npy", "--h0", "h0.npy", "--c0", "c0.npy", "--out", out],
      LSTM,
    );
    assert.equal(lstm.code, 0, lstm.err);
    assert.deepEqual(readdirSync(out).sort(), ["c_n.npy", "h_n.npy", "output.npy"]);
    const manifest = JSON.parse(readFileSync(join(CLI_FIX, "cases.json"), "utf8")) as {
      cases: { name: string; argv: string[] }[];
    };
    const gruArgv = manifest.cases.find((c) => c.name === "gru-packed-batch-first")!.argv;
    const gru = await cli([...gruArgv, "--out", out], GRU);
    assert.equal(gru.code, 0, gru.err);
    // The GRU's outputs replaced the LSTM's as a set: no c_n.npy of the earlier run is left beside them.
    assert.deepEqual(readdirSync(out).sort(), ["h_n.npy", "output.npy"]);
    assert.deepEqual(readdirSync(parent), ["out"]);
    const before = readFileSync(join(out, "output.npy"));
    const failed = await cli(["run", "model.pt", "--input", "h0.npy", "--out", out], LSTM);
    assert.equal(failed.code, 1);
    assert.ok(readFileSync(join(out, "output.npy")).equals(before), "a failed run changed the outputs");
    assert.deepEqual(readdirSync(parent), ["out"]);
  });

  test("an --out whose parent cannot be written fails with one line, without spinning", async () => {
    const r = await cli([
      "run",
      join(LSTM, "model.pt"),
      "--input",
      join(LSTM, "input.npy"),
      "--out",
      "/proc/rnnkit-x",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^rnnkit: --out \/proc\/rnnkit-x: cannot write in \/proc: /);
    assert.equal(r.err.split("\n").length, 1);
    const under = join(tmp, "a-file-parent");
    writeFileSync(under, "");
    const f = await cli([
      "run",
      join(LSTM, "model.pt"),
      "--input",
      join(LSTM, "input.npy"),
      "--out",
      join(under, "x"),
    ]);
    assert.equal(f.code, 2);
    assert.match(f.err, /is not a folder/);
  });
});

describe("temporaries are removed on every exit path", () => {
  test("stale temporaries of a process that is gone are removed; others are kept", async () => {
    const parent = folder("stale");
    const dead = 2 ** 22 + 12345; // above Linux's default pid_max of 2^22: no such process
    mkdirSync(join(parent, `.out.${dead}.0123456789ab.tmp`));
    writeFileSync(join(parent, `.out.${dead}.0123456789ab.tmp`, "output.npy"), "x");
    writeFileSync(join(parent, `.out.${process.pid}.0123456789ab.tmp`), "a write in progress");
    writeFileSync(join(parent, ".out.notes.tmp"), "not ours");
    writeFileSync(join(parent, `.other.${dead}.0123456789ab.tmp`), "another target's");
    const r = await cli(
      [
        "run",
        "model.pt",
        "--input",
        "input.npy",
        "--h0",
        "h0.npy",
        "--c0",
        "c0.npy",
        "--out",
        join(parent, "out"),
      ],
      LSTM,
    );
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readdirSync(parent).sort(), [
      `.other.${dead}.0123456789ab.tmp`,
      `.out.${process.pid}.0123456789ab.tmp`,
      ".out.notes.tmp",
      "out",
    ]);
  });

  test("SIGTERM, SIGINT and SIGHUP remove the temporaries being written, then end the process", () => {
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      const dir = folder(`signal-${signal}`);
      const script = `
        import { writeFileSync } from "node:fs";
        import { temporaries } from ${JSON.stringify(join(ROOT, "src", "io", "node.ts"))};
        const p = ${JSON.stringify(join(dir, ".x.1.0123456789ab.tmp"))};
        writeFileSync(p, "half");
        temporaries.add(p);
        process.kill(process.pid, ${JSON.stringify(signal)});
        setTimeout(() => process.exit(0), 5000);`;
      const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: ROOT,
        encoding: "utf8",
      });
      assert.equal(r.signal, signal, r.stderr);
      assert.deepEqual(readdirSync(dir), []);
    }
  });

  test("a failed convert leaves no temporary", async () => {
    const dir = folder("convert-fail");
    const r = await cli([
      "convert",
      join(ROOT, "test", "fixtures", "io", "lstm.pt"),
      join(dir, "missing", "x.safetensors"),
    ]);
    assert.equal(r.code, 1);
    assert.deepEqual(readdirSync(dir), []);
  });

  test("Ctrl-C saves without a validation pass; a second Ctrl-C stops at once; nothing is left half-written", async () => {
    const parent = folder("sigint");
    const out = join(parent, "ckpt");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "cli", "bin.ts"),
        "train",
        ...SMALL,
        ...QUIET,
        "--steps",
        "1000000",
        "--out",
        out,
      ],
      { cwd: ROOT },
    );
    let err = "";
    let first = false;
    let second = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        if (!first && /kernels: /.test(err)) first = child.kill("SIGINT");
        if (first && !second && /interrupted: saving/.test(err)) second = child.kill("SIGINT");
      });
      child.on("exit", (c) => resolve(c));
    });
    assert.equal(code, 130, err);
    assert.deepEqual(temporaries(parent), []);
    // Either the save finished before the second Ctrl-C arrived (a whole checkpoint, saved with no
    // validation pass: --eval-every 1000 never ran one) or it stopped before saving (no checkpoint).
    if (existsSync(out)) {
      assert.match(err, /validation loss - nats\/char/);
      assert.equal(loadCheckpoint(out).config.progress.valLoss, null);
    } else assert.match(err, /interrupted again: stopped without saving/);
  });
});

describe("checkpoints that are not what they claim give one line naming the file", () => {
  const CKPT = join(POETRY, "ckpt");
  const variants: [string, (c: Record<string, unknown>) => unknown, RegExp][] = [
    ["not JSON", () => "{", /config.json: not valid JSON/],
    ["an array", () => [1], /config.json: the config must be a JSON object, got \[1\]/],
    ["no model", (c) => ({ ...c, model: undefined }), /config.json: model must be an object, got nothing/],
    [
      "a string hiddenSize",
      (c) => ({ ...c, model: { ...(c.model as object), hiddenSize: "16" } }),
      /config.json: model.hiddenSize must be a positive integer, got "16"/,
    ],
    [
      "a huge hiddenSize (checked against the weights before anything is allocated)",
      (c) => ({ ...c, model: { ...(c.model as object), hiddenSize: 1_000_000 } }),
      /config.json does not match model.safetensors: size mismatch for rnn.weight_ih_l0: the config gives \[4000000, 16\], the file \[128, 16\]/,
    ],
    [
      "a bad kind",
      (c) => ({ ...c, model: { ...(c.model as object), kind: "rnn" } }),
      /model.kind must be 'lstm' or 'gru', got "rnn"/,
    ],
    ["vocab of numbers", (c) => ({ ...c, vocab: [1, 2] }), /vocab must be an array of strings/],
    ["no training", (c) => ({ ...c, training: null }), /training must be an object, got null/],
    [
      "negative step",
      (c) => ({ ...c, progress: { ...(c.progress as object), step: -1 } }),
      /progress.step must be a non-negative integer/,
    ],
    [
      "a bad generator state",
      (c) => ({ ...c, dropoutGenerator: 7 }),
      /dropoutGenerator must be a generator state, got 7/,
    ],
  ];
  for (const [name, change, message] of variants)
    test(name, async () => {
      const dir = join(tmp, `bad-config-${name.replaceAll(/\W+/g, "-")}`);
      cpSync(CKPT, dir, { recursive: true });
      const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
      const changed = change(config);
      writeFileSync(
        join(dir, "config.json"),
        typeof changed === "string" ? changed : JSON.stringify(changed),
      );
      const r = await cli(["sample", dir]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, message);
      assert.ok(r.err.includes(dir), r.err);
      assert.equal(r.err.split("\n").length, 1, r.err);
    });

  test("sample does not need optimizer.safetensors", async () => {
    const dir = join(tmp, "no-optimizer");
    cpSync(CKPT, dir, { recursive: true });
    rmSync(join(dir, "optimizer.safetensors"));
    const r = await cli(["sample", dir, "--greedy", "--count", "1"]);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.length > 0);
  });

  test("--resume of a folder that is not there says to train first", async () => {
    const r = await cli(["train", "--resume", join(tmp, "never-trained"), "--steps", "1"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /no checkpoint at .*never-trained yet: train one first with rnnkit train/);
  });

  test("--resume refuses settings the checkpoint fixes, naming them", async () => {
    const r = await cli(["train", "--resume", CKPT, "--hidden", "32", "--lr", "0.1", "--steps", "1"]);
    assert.equal(r.code, 2);
    assert.equal(
      r.err,
      `rnnkit: --resume continues ${CKPT} with the settings it was trained with; --hidden, --lr cannot be changed (leave them out, or start a new run)`,
    );
  });
});

describe("messages name the file and the argument", () => {
  test("a folder given as a file", async () => {
    const dir = folder("dir.pt");
    const i = await cli(["inspect", dir]);
    assert.equal(i.code, 1);
    assert.equal(i.err, `rnnkit: ${dir} is a folder, not a file`);
    const r = await cli(["run", "model.pt", "--input", dir, "--out", join(tmp, "o-eisdir")], LSTM);
    assert.equal(r.code, 1);
    assert.equal(r.err, `rnnkit: ${dir} is a folder, not a file`);
  });

  test("--threads above the machine's cores or absurd is bad usage", async () => {
    for (const n of [String(availableParallelism() + 1), "1000000"]) {
      const r = await cli(
        ["run", "model.pt", "--input", "input.npy", "--out", join(tmp, "o-threads"), "--threads", n],
        LSTM,
      );
      assert.equal(r.code, 2, r.err);
      assert.match(
        r.err,
        new RegExp(
          `--threads must be at most the ${availableParallelism()} cores this machine has, got ${n}`,
        ),
      );
    }
  });

  test("run and inspect say, every time, that an nn.RNN's nonlinearity was assumed", async () => {
    const dir = join(CLI_FIX, "rnn-tanh-bidir-batch-first-h0");
    const i = await cli(["inspect", "model.pt"], dir);
    assert.equal(i.code, 0);
    assert.match(i.out, /nn.RNN: a state dict does not record the nonlinearity; rnnkit run assumes tanh/);
    const r = await cli(
      ["run", "model.pt", "--input", "input.npy", "--batch-first", "--out", join(tmp, "o-rnn")],
      dir,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /assuming tanh \(give --nonlinearity relu for a ReLU RNN\)/);
    const told = await cli(
      [
        "run",
        "model.pt",
        "--input",
        "input.npy",
        "--batch-first",
        "--nonlinearity",
        "tanh",
        "--out",
        join(tmp, "o-rnn"),
      ],
      dir,
    );
    assert.doesNotMatch(told.err, /assuming/);
  });

  test("convert of a checkpoint says what it left out", async () => {
    // test/fixtures/io/checkpoint.pt is PyTorch's {"model": state_dict, "optimizer": ..., "epoch": 3}.
    const out = join(folder("convert-ckpt"), "out.safetensors");
    const r = await cli(["convert", join(ROOT, "test", "fixtures", "io", "checkpoint.pt"), out]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.err,
      /checkpoint.pt is a checkpoint: converting its state dict 'model' only; left out optimizer, epoch\n/,
    );
    const bare = await cli(["convert", join(ROOT, "test", "fixtures", "io", "lstm.pt"), out]);
    assert.equal(bare.code, 0, bare.err);
    assert.doesNotMatch(bare.err, /left out/);
  });

  test("a whole-model .pt: the library's default refusal says how to read it; the CLI says what it holds", async () => {
    const { bytesOf, torchZip } = await import("../io/pickles.js");
    const pkl = bytesOf(0x80, 0x02, "c", "torch.nn.modules.rnn\nLSTM\n", ")", 0x81, ".");
    const pt = join(tmp, "whole.pt");
    writeFileSync(pt, torchZip(pkl));
    assert.throws(
      () => io.loadTorch(new Uint8Array(readFileSync(pt))),
      /global 'torch.nn.modules.rnn.LSTM' is not allowed: .*if it is torch.save\(model\), a whole module: loadTorch\(bytes, \{ objects: 'records' \}\) reads it .*or in PyTorch save torch.save\(model.state_dict\(\), path\)/,
    );
    const r = await cli(["inspect", pt]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /no state dict \(its top level is an object of class 'torch.nn.modules.rnn.LSTM', not a dict\)/,
    );
  });

  test("inspect lists 130,000 tensors", async () => {
    const many = new Map<string, io.StoredTensor>();
    const one = io
      .loadSafetensors(
        io.saveSafetensors(new Map([["t", io.toTensor(io.loadNpy(readFileSync(join(LSTM, "h0.npy"))))]])),
      )
      .tensors.get("t")!;
    for (let i = 0; i < 130_000; i++) many.set(`layer.${i}.weight`, one);
    const path = join(tmp, "many.safetensors");
    writeFileSync(path, io.saveSafetensors(many));
    const r = await cli(["inspect", path]);
    assert.equal(r.code, 0, r.err.slice(0, 300));
    assert.match(r.out, /130000 tensors$/);
  });
});
