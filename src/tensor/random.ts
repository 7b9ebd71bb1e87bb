// Seeded random numbers (tensor layer): xoshiro128** seeded through splitmix32. Deterministic
// across platforms; not PyTorch's stream (its mt19937 + vectorised Box-Muller is not reproduced),
// so results that depend on random draws are tested for their semantics, not PyTorch's values.

import { ArgumentError } from "../errors.js";

/** A Generator's complete state: xoshiro128**'s four words and the second Box-Muller value, if drawn. */
export interface GeneratorState {
  readonly words: readonly number[];
  readonly spareNormal: number | null;
}

export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed))
      throw new ArgumentError("manualSeed", "seed", "must be a safe integer", "an integer", seed);
    // splitmix32 over both 32-bit halves of the seed fills the four words of state.
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    const next = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.spareNormal = null;
    return this;
  }

  /** The generator's state (to save with a checkpoint); setState() restores it exactly. */
  getState(): GeneratorState {
    return { words: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spareNormal };
  }

  setState(state: GeneratorState): this {
    const w = state?.words;
    if (
      !Array.isArray(w) ||
      w.length !== 4 ||
      !w.every((x) => Number.isInteger(x)) ||
      w.every((x) => (x | 0) === 0)
    )
      throw new ArgumentError(
        "Generator.setState",
        "state.words",
        "must be four integers, not all zero",
        "[s0, s1, s2, s3]",
        w,
      );
    const spare = state.spareNormal;
    if (spare !== null && typeof spare !== "number")
      throw new ArgumentError(
        "Generator.setState",
        "state.spareNormal",
        "must be a number or null",
        "number | null",
        spare,
      );
    [this.s0, this.s1, this.s2, this.s3] = w.map((x) => x | 0) as [number, number, number, number];
    this.spareNormal = spare;
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator used when none is given (PyTorch's default CPU generator). */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator, as torch.manual_seed does. */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
