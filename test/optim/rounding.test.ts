// The scalar helpers behind the optimizers' exactness: fma32 (a float32 fused multiply-add, as
// PyTorch's add-with-alpha and addcmul kernels compute), fma64 and powScalar, checked against exact
// rational arithmetic on BigInts.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fma32, fma64, powScalar } from "../../src/optim/optimizer.js";
import { Generator } from "../../src/tensor/index.js";

/** x (finite) as an exact fraction m·2^e with BigInt m. */
function exact(x: number): { m: bigint; e: number } {
  if (x === 0) return { m: 0n, e: 0 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const expBits = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return expBits === 0 ? { m: sign * frac, e: -1074 } : { m: sign * (frac | (1n << 52n)), e: expBits - 1075 };
}

/** The exact value c + a·b rounded once to a float with `bits` significand bits (24 or 53). */
function roundedFma(c: number, a: number, b: number, bits: number): number {
  const [xa, xb, xc] = [exact(a), exact(b), exact(c)];
  let m = xa.m * xb.m;
  let e = xa.e + xb.e;
  let mc = xc.m;
  let ec = xc.e;
  if (mc !== 0n) {
    if (ec < e) {
      m <<= BigInt(e - ec);
      e = ec;
    } else {
      mc <<= BigInt(ec - e);
      ec = e;
    }
  }
  m += mc;
  if (m === 0n) return 0;
  const neg = m < 0n;
  let mag = neg ? -m : m;
  const len = mag.toString(2).length;
  const minExp = bits === 24 ? -149 : -1074; // lowest exponent of a subnormal's last bit
  const drop = Math.max(len - bits, minExp - e);
  if (drop > 0) {
    const half = 1n << BigInt(drop - 1);
    const rest = mag & ((1n << BigInt(drop)) - 1n);
    mag >>= BigInt(drop);
    if (rest > half || (rest === half && (mag & 1n) === 1n)) mag += 1n;
    e += drop;
  }
  const v = Number(mag) * 2 ** e;
  return neg ? -v : v;
}

describe("fused multiply-add and integer powers", () => {
  const gen = new Generator(1234);
  const f32 = (x: number) => Math.fround(x);

  test("fma32 rounds c + a·b once, including the halfway cases double rounding gets wrong", () => {
    let naiveWrong = 0;
    const cases: [number, number, number][] = [];
    for (let i = 0; i < 20000; i++) {
      const scale = 2 ** Math.floor(gen.random() * 40 - 20);
      cases.push([f32(gen.random() * 2 - 1), f32((gen.random() * 2 - 1) * scale), f32(gen.random() * 2 - 1)]);
    }
    // c = 1 + k·2^-23, a·b = ±2^-24·(1 ± 2^-23·j): the exact sum sits a hair from a float32 midpoint
    for (let k = 0; k < 8; k++)
      for (let j = -8; j <= 8; j++)
        for (const s of [1, -1])
          cases.push([1 + k * 2 ** -23, s * (1 + 2 ** -23), f32(2 ** -24 * (1 + j * 2 ** -23))]);
    for (const [c, a, b] of cases) {
      const want = roundedFma(c, a, b, 24);
      if (f32(c + a * b) !== want) naiveWrong += 1;
      assert.equal(fma32(c, a, b), want, `fma32(${c}, ${a}, ${b})`);
    }
    assert.ok(naiveWrong > 0, "the cases include some that Math.fround(c + a * b) rounds wrongly");
  });

  test("fma64 rounds c + a·b once on ordinary optimizer values", () => {
    for (let i = 0; i < 20000; i++) {
      const c = gen.random() * 2 - 1;
      const a = (gen.random() * 2 - 1) * 1e-3;
      const b = gen.random() * 4 - 2;
      assert.equal(fma64(c, a, b), roundedFma(c, a, b, 53), `fma64(${c}, ${a}, ${b})`);
    }
  });

  test("powScalar raises to integer powers correctly rounded, where Math.pow is off by an ulp", () => {
    assert.equal(0.9 ** 4, 0.6561000000000001); // V8; Python's 0.9 ** 4.0 is 0.6561
    assert.equal(powScalar(0.9, 4), 0.6561);
    for (const base of [0.9, 0.999, 0.99, 0.8, 0.95, 0.5]) {
      const m = exact(base);
      let num = 1n;
      for (let n = 1; n <= 60; n++) {
        num *= m.m; // base ** n = num · 2^(e·n), exactly
        assert.equal(powScalar(base, n), roundedPow(num, m.e * n), `${base} ** ${n}`);
      }
    }
  });
});

/** mant·2^exp rounded to the nearest float64 (ties to even). */
function roundedPow(mant: bigint, exp: number): number {
  const len = mant.toString(2).length;
  const drop = len - 53;
  if (drop <= 0) return Number(mant) * 2 ** exp;
  const half = 1n << BigInt(drop - 1);
  const rest = mant & ((1n << BigInt(drop)) - 1n);
  let m = mant >> BigInt(drop);
  if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n;
  return Number(m) * 2 ** (exp + drop);
}
