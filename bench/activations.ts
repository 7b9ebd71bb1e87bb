// The maximum errors of the WASM float32 activations over the whole float range, for the figures
// written beside the code in asm/kernels.ts. Every STRIDE-th float32 bit pattern of both signs
// (argument, default 16: 271M inputs, ~10 s; 1: every float32, ~3 min) plus [−20, 20] in steps of
// 1e-5, for the build this engine runs:
//   node --import tsx bench/activations.ts                                     (plain SIMD on Node 20)
//   node --experimental-wasm-relaxed-simd --import tsx bench/activations.ts    (relaxed SIMD, FMA)

import { detectVariant, instantiateSync } from "../src/kernels/wasm/instance.js";
import { measureActivations } from "../test/kernels/activation-error.js";

const variant = detectVariant();
if (!variant) throw new Error("no WebAssembly SIMD here");
const stride = Number(process.argv[2] ?? 16);
const t0 = performance.now();
const r = measureActivations(instantiateSync(variant), stride, 1e-5);
const f = (x: number) => x.toExponential(2);
console.log(
  `${variant}: ${r.count} float32 inputs (bit stride ${stride}), ${((performance.now() - t0) / 1000).toFixed(0)} s`,
);
console.log(
  `  exp      relative ${f(r.expRel)} (x ∈ [−87.3, 88.72]); overflow to +∞ wrong: ${r.expOverflowWrong}`,
);
console.log(`  tanh     abs ${f(r.tanhAbs)}, relative ${f(r.tanhRel)}`);
console.log(`  sigmoid  abs ${f(r.sigmoidAbs)}, relative ${f(r.sigmoidRel)} (σ ≥ 1e-30)`);
console.log(`  NaN in, not NaN out: ${r.nanWrong}`);
