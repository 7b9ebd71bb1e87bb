// Measures the WASM float32 activations (asm/kernels.ts vexp32 / vtanh32 / vsigmoid32) against
// float64 Math.exp / Math.tanh / 1 / (1 + e^−x) over float32 inputs: every stride-th bit pattern of
// the whole float range (both signs, from the smallest subnormal to the largest finite float), plus
// a uniform grid on [−20, 20]. Used by test/kernels/activations.test.ts (a sample) and
// bench/activations.ts (the full sweep whose figures are written beside the code).

import type { Wasm } from "../../src/kernels/wasm/instance.js";

export interface ActivationErrors {
  readonly count: number;
  /** exp: relative error where e^x is a normal float32 (x ∈ [−87.3, 88.72]); overflow must give +∞. */
  readonly expRel: number;
  readonly expOverflowWrong: number;
  readonly tanhAbs: number;
  /** Relative error where |tanh x| ≥ 1e-30 (so near 0 too: tanh keeps relative accuracy there). */
  readonly tanhRel: number;
  readonly sigmoidAbs: number;
  /** Relative error where σ(x) ≥ 1e-30 (x ≳ −69). */
  readonly sigmoidRel: number;
  readonly nanWrong: number;
}

export function measureActivations(w: Wasm, stride: number, gridStep: number): ActivationErrors {
  const CH = 1 << 18;
  w.begin(CH * 4 * 2, 2);
  const p = w.take(CH * 4);
  const buf = new Float32Array(CH);
  const bits = new Uint32Array(buf.buffer);
  let fill = 0;
  const r = {
    count: 0,
    expRel: 0,
    expOverflowWrong: 0,
    tanhAbs: 0,
    tanhRel: 0,
    sigmoidAbs: 0,
    sigmoidRel: 0,
    nanWrong: 0,
  };
  const flush = () => {
    const n = fill;
    if (n === 0) return;
    for (const which of [0, 1, 2]) {
      const mem = w.f32();
      mem.set(buf.subarray(0, n), p / 4);
      w.ex.act_f32(which, p, n);
      const y = w.f32().subarray(p / 4, p / 4 + n);
      for (let i = 0; i < n; i++) {
        const x = buf[i]!;
        const v = y[i]!;
        if (Number.isNaN(x)) {
          if (!Number.isNaN(v)) r.nanWrong++;
          continue;
        }
        if (which === 0) {
          const e = Math.exp(x);
          if (x > 88.73) {
            if (v !== Number.POSITIVE_INFINITY) r.expOverflowWrong++;
          } else if (x >= -87.3 && x <= 88.72) r.expRel = Math.max(r.expRel, Math.abs(v - e) / e);
        } else if (which === 1) {
          const e = Math.tanh(x);
          const d = Math.abs(v - e);
          r.tanhAbs = Math.max(r.tanhAbs, d);
          if (Math.abs(e) >= 1e-30) r.tanhRel = Math.max(r.tanhRel, d / Math.abs(e));
        } else {
          const e = 1 / (1 + Math.exp(-x));
          const d = Math.abs(v - e);
          r.sigmoidAbs = Math.max(r.sigmoidAbs, d);
          if (e >= 1e-30) r.sigmoidRel = Math.max(r.sigmoidRel, d / e);
        }
      }
    }
    r.count += n;
    fill = 0;
  };
  const push = (b: number | null, x?: number) => {
    if (b !== null) bits[fill] = b;
    else buf[fill] = x!;
    fill++;
    if (fill === CH) flush();
  };
  for (const sign of [0, 0x80000000]) for (let b = 0; b < 0x7f800000; b += stride) push((sign | b) >>> 0);
  push(0x7f800000); // +∞
  push(0xff800000); // −∞
  push(0x7fc00000); // NaN
  for (let x = -20; x <= 20; x += gridStep) push(null, x);
  flush();
  return r;
}
