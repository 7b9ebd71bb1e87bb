// io.loadModelFile / io.buildRecurrent / nn.runRecurrent: what `rnnkit run` and the playground page
// compose, on the CLI fixtures (PyTorch's outputs: scripts/fixtures/cli_models.py).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { io, nn } from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";
import { FIXTURES } from "../helpers/fixtures.js";

const dir = join(FIXTURES, "cli", "gru-packed-batch-first");
const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const npy = (name: string) => io.toTensor(io.loadNpy(read(name)), name);

test("modelFormatOf follows the extension (.pt, .pth, .bin, .safetensors) and gives null otherwise", () => {
  assert.deepEqual(
    ["a.pt", "b.PTH", "c.bin", "d.safetensors", "e.onnx", "pt", "dir.pt/model"].map(io.modelFormatOf),
    ["pt", "pt", "pt", "safetensors", null, null, null],
  );
});

test("a packed, batch-first GRU from .safetensors bytes matches PyTorch's padded output and h_n", () => {
  const file = io.loadModelFile(read("model.safetensors"), {
    name: "model.safetensors",
    format: "safetensors",
  });
  const { module, architecture } = io.buildRecurrent(file, { batchFirst: true });
  assert.equal(architecture.kind, "GRU");
  const { output, hN, cN } = nn.runRecurrent(module, npy("input.npy"), { lengths: [5, 2, 4] });
  assertClose(output, npy("expected_output.npy"), "output");
  assertClose(hN, npy("expected_h_n.npy"), "h_n");
  assert.equal(cN, null);
});

test("buildRecurrent refuses a nonlinearity for a GRU and names the file", () => {
  const file = io.loadModelFile(read("model.safetensors"), {
    name: "gru.safetensors",
    format: "safetensors",
  });
  assert.throws(
    () => io.buildRecurrent(file, { nonlinearity: "relu" }),
    /buildRecurrent: nonlinearity applies to an nn.RNN only; gru.safetensors holds a GRU. Expected none, got 'relu'/,
  );
});

test("runRecurrent refuses lengths for an unbatched input", () => {
  const gru = new nn.GRU({ inputSize: 4, hiddenSize: 6 });
  assert.throws(
    () => nn.runRecurrent(gru, npy("input.npy").select(0, 0), { lengths: [3] }),
    /GRU run: input.ndim must be 3 to pack with lengths .*Expected 3, got 2/,
  );
});

test("parseLengths reads 5,3,2 (spaces allowed) and gives null for anything else", () => {
  assert.deepEqual(nn.parseLengths("5,3,2"), [5, 3, 2]);
  assert.deepEqual(nn.parseLengths(" 4 , 1"), [4, 1]);
  for (const bad of ["", "5,,2", "5,0", "-1", "2.5", "3,x", "1e3"])
    assert.equal(nn.parseLengths(bad), null, bad);
});
