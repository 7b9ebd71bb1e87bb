// Which implementation runs: the native kernels by default where the addon is built, else the WASM
// kernels where WebAssembly SIMD validates; RNNKIT_KERNELS=ts|wasm|native forces one (read at
// start-up, so each case is a fresh process), anything else is refused; availableKernels() lists
// every one that can run either way.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadNativeKernels } from "../../src/kernels/native/index.js";
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

test("kernel choice at start-up: default, RNNKIT_KERNELS=ts|wasm|native, and a bad value refused", {
  skip: wasmVariant() === null ? "no WebAssembly SIMD here" : false,
}, () => {
  const native = loadNativeKernels() !== null;
  const available = native ? ["ts", "wasm-simd", "native"] : ["ts", "wasm-simd"];
  const best = native ? "native" : "wasm-simd";
  assert.deepEqual(run(undefined), { before: best, after: best, available });
  assert.deepEqual(run("ts"), { before: "ts", after: "ts", available });
  assert.deepEqual(run("wasm"), { before: "wasm-simd", after: "wasm-simd", available });
  if (native) assert.deepEqual(run("native"), { before: "native", after: "native", available });
  else assert.throws(() => run("native"), /RNNKIT_KERNELS=native, but the native kernels cannot run here/);
  assert.throws(() => run("fast"), /RNNKIT_KERNELS must be "ts", "wasm" or "native"/);
});
