// Each example runs and prints what the README says it prints (micrograd's README gives its numbers).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = (file: string) =>
  execFileSync(process.execPath, ["--import", "tsx", join(ROOT, file)], { cwd: ROOT, encoding: "utf8" });

test("examples/seeds.ts reruns every tutorial check and all match PyTorch", () => {
  const out = run("examples/seeds.ts");
  assert.match(out, /all 10 checks match PyTorch/);
  assert.doesNotMatch(out, /FAIL/);
});

test("examples/train.ts drives the loss down and recites the line it learned", () => {
  const out = run("examples/train.ts");
  const losses = [...out.matchAll(/step \d+: loss ([\d.]+)/g)].map((m) => Number(m[1]));
  assert.equal(losses.length, 4);
  assert.ok(losses.at(-1)! < losses[0]! / 100, `losses ${losses.join(", ")}`);
  assert.match(out, /床前明月光，疑是地上霜。举头望明月，低头思故乡。/);
});
