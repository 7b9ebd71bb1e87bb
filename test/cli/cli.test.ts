// The command line against PyTorch: `rnnkit run` on models PyTorch saved (test/fixtures/cli,
// scripts/fixtures/cli_models.py), on every case of the forward fixtures (saved by rnnkit's own
// writers, alternating .pt and .safetensors), `inspect`, `convert`, and the exit codes.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../../cli/main.js";
import { io, type Tensor } from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";
import { loadFixtures } from "../helpers/fixtures.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FIX = join(ROOT, "test", "fixtures", "cli");
const tmp = mkdtempSync(join(tmpdir(), "rnnkit-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs main() in-process, capturing what it prints. */
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

const readNpy = (path: string): Tensor => io.toTensor(io.loadNpy(new Uint8Array(readFileSync(path))));

describe("rnnkit run on models PyTorch saved", () => {
  const manifest = JSON.parse(readFileSync(join(FIX, "cases.json"), "utf8")) as {
    cases: { name: string; argv: string[]; outputs: string[] }[];
  };
  for (const c of manifest.cases)
    test(`${c.name}: output, h_n${c.outputs.includes("c_n") ? ", c_n" : ""} match PyTorch`, async () => {
      const out = join(tmp, c.name);
      const r = await cli([...c.argv, "--out", out], join(FIX, c.name));
      assert.equal(r.code, 0, r.err);
      for (const k of c.outputs)
        assertClose(
          readNpy(join(out, `${k}.npy`)),
          readNpy(join(FIX, c.name, `expected_${k}.npy`)),
          `${c.name} ${k}`,
        );
    });

  test("a float64 input for float32 weights is converted and the conversion is said", async () => {
    const r = await cli(
      ["run", "model.pt", "--input", "input.npy", "--out", join(tmp, "conv")],
      join(FIX, "gru-float64-input-float32-weights"),
    );
    assert.equal(r.code, 0);
    assert.match(r.err, /input: input.npy is float64; converting to the weights' float32/);
  });
});

describe("rnnkit run reproduces every forward fixture case", () => {
  const fx = loadFixtures("rnn");
  for (const [n, c] of fx.cases.entries())
    test(`${c.name}`, async () => {
      const meta = c.meta as {
        options: { batchFirst?: boolean; nonlinearity?: string };
        packed: string | null;
      };
      const dir = join(tmp, `rnn-${n}`);
      const ext = n % 2 === 0 ? "pt" : "safetensors";
      const state = new Map(Object.entries(c.withPrefix("state.")));
      const { mkdirSync } = await import("node:fs");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `m.${ext}`), ext === "pt" ? io.saveTorch(state) : io.saveSafetensors(state));
      const argv = ["run", `m.${ext}`, "--input", "x.npy", "--out", "out"];
      writeFileSync(join(dir, "x.npy"), io.saveNpy(c.t("input")));
      for (const k of ["h0", "c0"])
        if (c.has(k)) {
          writeFileSync(join(dir, `${k}.npy`), io.saveNpy(c.t(k)));
          argv.push(`--${k}`, `${k}.npy`);
        }
      if (meta.packed) argv.push("--lengths", [...c.t("lengths").data].join(","));
      if (meta.options.batchFirst) argv.push("--batch-first");
      if (meta.options.nonlinearity === "relu") argv.push("--nonlinearity", "relu");
      const r = await cli(argv, dir);
      assert.equal(r.code, 0, r.err);
      for (const k of ["output", "h_n", "c_n"])
        if (c.has(k)) assertClose(readNpy(join(dir, "out", `${k}.npy`)), c.t(k), `${c.name} ${k}`);
    });
});

describe("rnnkit inspect and convert", () => {
  test("inspect --json names the architecture and every tensor with PyTorch's dtype names", async () => {
    const r = await cli(["inspect", join(FIX, "lstm-float16-weights", "model.safetensors"), "--json"]);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out) as {
      architecture: Record<string, unknown>;
      tensors: { name: string; dtype: string }[];
    };
    assert.deepEqual(
      {
        kind: j.architecture.kind,
        inputSize: j.architecture.inputSize,
        hiddenSize: j.architecture.hiddenSize,
        dtype: j.architecture.dtype,
      },
      { kind: "LSTM", inputSize: 3, hiddenSize: 4, dtype: "float16" },
    );
    assert.deepEqual(
      j.tensors.map((t) => t.dtype),
      ["float16", "float16", "float16", "float16"],
    );
  });

  test("inspect finds the recurrent module inside a nested checkpoint", async () => {
    const r = await cli(["inspect", join(FIX, "checkpoint-nested-prefix", "model.pt")]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^GRU \(inputSize 3, hiddenSize 4, numLayers 2\), float32, prefix 'encoder.rnn.'/);
  });

  test("convert .pt → .safetensors → .pt keeps keys, order, dtypes and bytes", async () => {
    const src = join(FIX, "lstm-proj-bidir-2layers-h0c0", "model.pt");
    const st = join(tmp, "c.safetensors");
    const pt = join(tmp, "c.pt");
    assert.equal((await cli(["convert", src, st])).code, 0);
    assert.equal((await cli(["convert", st, pt])).code, 0);
    const a = io.pickStateDict(io.loadTorch(new Uint8Array(readFileSync(src))));
    const b = io.pickStateDict(io.loadTorch(new Uint8Array(readFileSync(pt))));
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [k, v] of a) {
      assert.equal(b.get(k)!.dtype, v.dtype);
      assert.deepEqual(b.get(k)!.shape, v.shape);
      assert.deepEqual(Buffer.from(b.get(k)!.bytes), Buffer.from(v.bytes), k);
    }
  });
});

describe("exit codes and messages", () => {
  const lstmDir = join(FIX, "lstm-proj-bidir-2layers-h0c0");
  test("bad usage exits 2 with one line saying what is wrong", async () => {
    assert.equal((await cli([])).code, 2);
    const r = await cli(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^rnnkit: unknown command 'frobnicate'/);
    assert.match(
      (await cli(["run", "model.pt", "--input", "input.npy"], lstmDir)).err,
      /run needs --input and --out/,
    );
    assert.match(
      (await cli(["run", "model.pt", "--input", "input.npy", "--out", tmp, "--lengths", "3,x"], lstmDir)).err,
      /--lengths must be positive integers/,
    );
    assert.equal((await cli(["inspect", "a.pt", "--bogus"])).code, 2);
    assert.match(
      (await cli(["convert", "model.pt", "out.onnx"], lstmDir)).err,
      /OUT 'out.onnx' must end in .pt, .pth or .safetensors/,
    );
  });

  test("a runtime failure exits 1 with one line and no stack trace", async () => {
    const missing = await cli(["inspect", "nope.pt"], tmp);
    assert.equal(missing.code, 1);
    assert.equal(missing.err, "rnnkit: no such file: nope.pt");
    const wrong = await cli(["run", "model.pt", "--input", "h0.npy", "--out", join(tmp, "w")], lstmDir);
    assert.equal(wrong.code, 1);
    assert.equal(
      wrong.err,
      "rnnkit: --input h0.npy: the model takes 3 features (the last dimension), the array has shape [4, 2, 2]",
    );
  });

  test("a malicious .pt is refused with the global named, and nothing is written", async () => {
    const out = join(tmp, "evil");
    const r = await cli([
      "run",
      join(ROOT, "test", "fixtures", "io", "malicious.pt"),
      "--input",
      "x.npy",
      "--out",
      out,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /global 'posix.system' is not allowed/);
    assert.equal(existsSync(out), false);
  });

  test("--help and --version work for every command", async () => {
    for (const cmd of ["run", "inspect", "convert"]) {
      const r = await cli([cmd, "--help"]);
      assert.equal(r.code, 0);
      assert.match(r.out, new RegExp(`^Usage: rnnkit ${cmd}`));
    }
    const v = await cli(["--version"]);
    assert.equal(
      v.out,
      (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version,
    );
  });

  test("the executable exits with the codes main returns", () => {
    const bin = join(ROOT, "cli", "bin.ts");
    const ok = execFileSync(process.execPath, ["--import", "tsx", bin, "--version"], { encoding: "utf8" });
    assert.match(ok, /^\d+\.\d+\.\d+/);
    const bad = spawnSync(process.execPath, ["--import", "tsx", bin, "run"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    const fail = spawnSync(process.execPath, ["--import", "tsx", bin, "inspect", join(tmp, "none.pt")], {
      encoding: "utf8",
    });
    assert.equal(fail.status, 1);
    assert.doesNotMatch(fail.stderr, /at .*\.ts:\d+/);
  });
});
