// kernelBuild() names the build that runs, so a library user can tell whether relaxed SIMD (the
// FMA build) is on: Node 20 has it only behind --experimental-wasm-relaxed-simd. Each case is a
// fresh process, since the choice is made at start-up.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { wasmVariant } from "../../src/kernels/wasm/index.js";

const index = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "index.ts");
const script = `import { kernelBuild, kernels } from ${JSON.stringify(index)};
console.log(JSON.stringify({ build: kernelBuild(), detail: kernels().detail }));`;

function run(flags: string[], env: Record<string, string>): { build: string; detail: string } {
  const childEnv = { ...process.env, ...env };
  for (const k of ["RNNKIT_KERNELS", "RNNKIT_WASM"]) if (!(k in env)) delete childEnv[k];
  const out = execFileSync(
    process.execPath,
    [...flags, "--import", "tsx", "--input-type=module", "-e", script],
    {
      env: childEnv,
      encoding: "utf8",
    },
  );
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

const [major = 0, minor = 0] = process.versions.v8.split(".").map(Number);
const relaxedWithoutFlag = major > 11 || (major === 11 && minor >= 4);
const FLAG = "--experimental-wasm-relaxed-simd";

test("kernelBuild(): relaxed SIMD with V8's flag (or a V8 that has it), plain SIMD without, ts when forced", {
  skip: wasmVariant() === null ? "no WebAssembly SIMD here" : false,
}, () => {
  // The WASM builds, asked for by name (in Node the native kernels are the default where built).
  const plain = run([], { RNNKIT_KERNELS: "wasm" });
  assert.equal(plain.build, relaxedWithoutFlag ? "wasm-relaxed-simd" : "wasm-simd");
  const relaxed = run([FLAG], { RNNKIT_KERNELS: "wasm" });
  assert.equal(relaxed.build, "wasm-relaxed-simd");
  assert.match(relaxed.detail, /relaxed SIMD \(FMA\)/);
  const forcedPlain = run([FLAG], { RNNKIT_KERNELS: "wasm", RNNKIT_WASM: "simd" });
  assert.equal(forcedPlain.build, "wasm-simd");
  assert.match(forcedPlain.detail, /SIMD \(mul \+ add\)/);
  assert.equal(run([FLAG], { RNNKIT_KERNELS: "ts" }).build, "ts");
});
