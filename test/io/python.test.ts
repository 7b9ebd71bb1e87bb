// Round trips through the real thing: files written by rnnkit are read back by PyTorch
// (torch.load(weights_only=True)) and numpy, identical. Runs when /usr/bin/python3 has torch; the
// byte-level checks of the same writers (torch.test.ts, safetensors.test.ts, npy.test.ts) run always.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  fromTensor,
  loadTorch,
  pickStateDict,
  type StoredTensor,
  saveNpy,
  saveNpz,
  saveSafetensors,
  saveTorch,
} from "../../src/io/index.js";
import { tensor } from "../../src/tensor/index.js";
import { fixtureBytes, rng } from "./helpers.js";

/** Debian's PyTorch lives in the system Python (RNNKIT_PYTHON overrides it, e.g. to see the skip). */
const PYTHON = process.env.RNNKIT_PYTHON ?? "/usr/bin/python3";
const VERIFY = join(dirname(fileURLToPath(import.meta.url)), "verify_with_torch.py");

function torchMissing(): string | null {
  const r = spawnSync(PYTHON, ["-c", "import torch, numpy"], { encoding: "utf8" });
  if (r.error) return `${PYTHON} cannot run (${r.error.message})`;
  return r.status === 0
    ? null
    : `${PYTHON} -c 'import torch, numpy' failed: ${r.stderr.trim().split("\n").at(-1)}`;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
const spec = (dict: ReadonlyMap<string, StoredTensor>) =>
  [...dict].map(([k, t]) => [k, t.dtype, [...t.shape], hex(t.bytes)]);

test("files rnnkit writes are read back by PyTorch and numpy identical", (t) => {
  const missing = torchMissing();
  if (missing !== null) {
    t.skip(`PyTorch is not available: ${missing}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "rnnkit-io-py-"));
  try {
    const expect: Record<string, { tensors: unknown[]; metadata?: Record<string, string> }> = {};
    const write = (
      name: string,
      bytes: Uint8Array,
      dict: ReadonlyMap<string, StoredTensor>,
      metadata?: Record<string, string>,
    ) => {
      writeFileSync(join(dir, name), bytes);
      expect[name] = { tensors: spec(dict), ...(metadata ? { metadata } : {}) };
    };

    const random = rng(3);
    const weights = (n: number) => Float32Array.from({ length: n }, () => random() * 2 - 1);
    const model = new Map([
      ["weight_ih_l0", fromTensor(tensor(weights(16 * 3), { shape: [16, 3] }))],
      ["weight_hh_l0", fromTensor(tensor(weights(16 * 4), { shape: [16, 4] }))],
      ["bias_ih_l0", fromTensor(tensor(Float64Array.from(weights(16)), { shape: [16] }))],
      ["lengths", fromTensor(tensor(Int32Array.of(5, 3, 2), { shape: [3] }))],
    ]);
    write("lstm.pt", saveTorch(model), model);
    write("lstm.safetensors", saveSafetensors(model, { format: "pt" }), model, { format: "pt" });

    const dtypes = pickStateDict(loadTorch(fixtureBytes("dtypes.pt")));
    write("dtypes.pt", saveTorch(dtypes), dtypes);
    const st = new Map([...dtypes].filter(([, v]) => !v.dtype.startsWith("complex")));
    write("dtypes.safetensors", saveSafetensors(st), st);

    const many = new Map<string, StoredTensor>();
    for (let i = 0; i < 1001; i++)
      many.set(`layer${i}.w`, { dtype: "int32", shape: [1], bytes: Uint8Array.of(i & 0xff, i >> 8, 0, 0) });
    write("many.pt", saveTorch(many), many);

    const w = model.get("weight_ih_l0")!;
    write("weight.npy", saveNpy(w), new Map([["", w]]));
    const arrays = new Map(
      [...dtypes].filter(([k]) => ["float64", "float16", "int64", "bool", "empty", "scalar"].includes(k)),
    );
    write("arrays.npz", saveNpz(arrays), arrays);
    write("arrays_compressed.npz", saveNpz(arrays, { compress: true }), arrays);
    writeFileSync(join(dir, "expect.json"), JSON.stringify(expect));

    const r = spawnSync(PYTHON, [VERIFY, dir], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { checked: number; errors: string[] };
    assert.deepEqual(result.errors, []);
    const total = Object.values(expect).reduce((s, e) => s + e.tensors.length, 0);
    assert.equal(result.checked, total);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
