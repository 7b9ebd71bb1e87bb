// The WASM float32 activations stay within the error bounds written beside them in asm/kernels.ts
// (measured on a full sweep by bench/activations.ts; checked here on a sample of every float range).

import assert from "node:assert/strict";
import { test } from "node:test";
import { detectVariant, instantiateSync } from "../../src/kernels/wasm/instance.js";
import { measureActivations } from "./activation-error.js";

const variant = detectVariant();

test(`float32 activations (${variant ?? "no WebAssembly SIMD"}) within their measured error bounds`, {
  skip: variant === null,
}, () => {
  const r = measureActivations(instantiateSync(variant!), 4099, 1e-3);
  assert.ok(r.count > 1_000_000, `${r.count} inputs`);
  assert.equal(r.nanWrong, 0, "NaN in, NaN out");
  assert.equal(r.expOverflowWrong, 0, "exp overflows to +∞ past 88.72");
  assert.ok(r.expRel <= 1e-7, `exp relative ${r.expRel}`);
  assert.ok(r.tanhAbs <= 1e-7, `tanh abs ${r.tanhAbs}`);
  assert.ok(r.tanhRel <= 1.6e-7, `tanh relative ${r.tanhRel}`);
  assert.ok(r.sigmoidAbs <= 1e-7, `sigmoid abs ${r.sigmoidAbs}`);
  assert.ok(r.sigmoidRel <= 1.6e-7, `sigmoid relative ${r.sigmoidRel}`);
});
