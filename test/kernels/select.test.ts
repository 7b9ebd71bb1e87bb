// Which implementation runs: the WASM kernels by default where WebAssembly SIMD validates,
// RNNKIT_KERNELS=ts|wasm forces one (read at start-up, so each case is a fresh process), anything
// else is refused; availableKernels() lists both either way.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { wasmVariant } from "../../src/kernels/wasm/index.js";

const select = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "kernels", "select.ts");
const script = `import { kernels, availableKernels, initKernels } from ${JSON.stringify(select)};
const before = kernels().name;
await initKernels();
console.log(JSON.stringify({ before, after: kernels().name, available: availableKernels().map((k) => k.name) }));`;

function run(env: string | undefined): { before: string; after: string; available: string[] } {
  const childEnv = { ...process.env };
  delete childEnv.RNNKIT_KERNELS;
  if (env !== undefined) childEnv.RNNKIT_KERNELS = env;
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: childEnv,
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

test("kernel choice at start-up: default, RNNKIT_KERNELS=ts|wasm, and a bad value refused", {
  skip: wasmVariant() === null ? "no WebAssembly SIMD here" : false,
}, () => {
  assert.deepEqual(run(undefined), {
    before: "wasm-simd",
    after: "wasm-simd",
    available: ["ts", "wasm-simd"],
  });
  assert.deepEqual(run("ts"), { before: "ts", after: "ts", available: ["ts", "wasm-simd"] });
  assert.deepEqual(run("wasm"), { before: "wasm-simd", after: "wasm-simd", available: ["ts", "wasm-simd"] });
  assert.throws(() => run("fast"), /RNNKIT_KERNELS must be "ts" or "wasm"/);
});
