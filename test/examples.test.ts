// Each example runs and prints what the README says it prints (micrograd's README gives its numbers).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadFixtures } from "./helpers/fixtures.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = (file: string) =>
  execFileSync(process.execPath, ["--import", "tsx", join(ROOT, file)], { cwd: ROOT, encoding: "utf8" });

test("examples/seeds.ts reruns every tutorial check and all match PyTorch", () => {
  const out = run("examples/seeds.ts");
  assert.match(out, /all 10 checks match PyTorch/);
  assert.doesNotMatch(out, /FAIL/);
});

test("npm run seeds prints the first tutorial's numbers from its own seed, bit for bit PyTorch's", () => {
  const out = run("examples/seeds.ts");
  // The tutorial's printout (../shared/seeds/000_*): weight_ih_l0, then the output.
  assert.ok(out.includes("('weight_ih_l0', tensor([[ 0.413,  0.044,  0.243,  0.171],"), out);
  assert.ok(out.includes("tensor([[[ 0.243, -0.467, -0.554],\n         [-0.013, -0.802, -0.490]]])"), out);
  assert.match(out, /the weights and the input are bit for bit PyTorch's/);
});

test("examples/train.ts (the README's training example) prints what the same program prints in PyTorch", () => {
  // scripts/fixtures/torch_random.py runs the program line for line in torch (case readme-train):
  // from manualSeed(0) both start from the same weights and print the same losses and line.
  const pytorch = loadFixtures("torch_random").cases.find((c) => c.name === "readme-train")!;
  const printed = pytorch.meta.printed as string[];
  assert.deepEqual(printed.slice(0, 2), ["step 0: loss 2.9713", "step 50: loss 0.0232"]);
  assert.deepEqual(run("examples/train.ts").trimEnd().split("\n"), printed);
});
