// PyTorch's CPU random stream (tensor layer): the default generator behind manualSeed, as ATen's
// CPUGeneratorImpl (an mt19937 seeded as torch.manual_seed seeds it, and the cached second value
// of a Box-Muller pair). The transforms that turn its words into tensors (rand, randn, uniform_,
// normal_, bernoulli_) are in distributions.ts. See Note [PyTorch's random stream] there.

import { ArgumentError } from "../errors.js";
import { libmLog, libmSinCos } from "./libm.js";
import { MT_N, MT19937 } from "./mt19937.js";

/**
 * A Generator's complete state (JSON-safe, to save with a checkpoint): the mt19937 words and
 * indices, the seed it started from, and the cached normal value (CPUGeneratorImpl's
 * `next_double_normal_sample_`), if any.
 */
export interface GeneratorState {
  readonly kind: "mt19937";
  readonly seed: number;
  readonly words: readonly number[];
  readonly left: number;
  readonly next: number;
  readonly nextDoubleNormal: number | null;
}

/** PyTorch's CPU generator: the same seed gives the same words, draws and tensors as torch.Generator. */
export class Generator {
  private readonly engine = new MT19937();
  private seed = 0;
  private nextDoubleNormal: number | null = null;

  /**
   * Without a seed, torch.Generator()'s: default_rng_seed_val, 67280421310721. (PyTorch seeds its
   * default generator at random when a process starts; rnnkit's defaultGenerator starts from 0.)
   */
  constructor(seed = 67280421310721) {
    this.manualSeed(seed);
  }

  /**
   * Seeds as torch.Generator.manual_seed: a negative seed is read as its 64-bit two's complement,
   * and the engine takes the low 32 bits (so seeds that agree modulo 2³² give the same stream).
   */
  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed))
      throw new ArgumentError("manualSeed", "seed", "must be a safe integer", "an integer", seed);
    this.engine.seed(Number(BigInt.asUintN(32, BigInt(seed))));
    this.seed = seed;
    this.nextDoubleNormal = null;
    return this;
  }

  /** The seed last given to manualSeed (torch.Generator.initial_seed). */
  initialSeed(): number {
    return this.seed;
  }

  /** The generator's state (to save with a checkpoint); setState() restores it exactly. */
  getState(): GeneratorState {
    return {
      kind: "mt19937",
      seed: this.seed,
      words: Array.from(this.engine.state),
      left: this.engine.left,
      next: this.engine.next,
      nextDoubleNormal: this.nextDoubleNormal,
    };
  }

  setState(state: GeneratorState): this {
    const where = "Generator.setState";
    if (state === null || typeof state !== "object" || state.kind !== "mt19937")
      throw new ArgumentError(
        where,
        "state.kind",
        "must be an mt19937 state (from Generator.getState; states saved before rnnkit used PyTorch's stream are xoshiro128** states and cannot be restored)",
        "mt19937",
        state?.kind,
      );
    const w = state.words;
    if (
      !Array.isArray(w) ||
      w.length !== MT_N ||
      !w.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)
    )
      throw new ArgumentError(where, "state.words", "must be 624 unsigned 32-bit integers", MT_N, w?.length);
    const { left, next, seed, nextDoubleNormal } = state;
    if (!(Number.isInteger(left) && left >= 1 && left <= MT_N))
      throw new ArgumentError(where, "state.left", "must be an integer in [1, 624]", "1..624", left);
    if (!(Number.isInteger(next) && next >= 0 && next <= MT_N + 1 - left))
      throw new ArgumentError(
        where,
        "state.next",
        "must be an integer in [0, 625 - left]",
        `0..${MT_N + 1 - left}`,
        next,
      );
    if (!Number.isSafeInteger(seed))
      throw new ArgumentError(where, "state.seed", "must be a safe integer", "an integer", seed);
    if (nextDoubleNormal !== null && typeof nextDoubleNormal !== "number")
      throw new ArgumentError(
        where,
        "state.nextDoubleNormal",
        "must be a number or null",
        "number | null",
        nextDoubleNormal,
      );
    this.engine.state.set(w);
    this.engine.left = left;
    this.engine.next = next;
    this.seed = seed;
    this.nextDoubleNormal = nextDoubleNormal;
    return this;
  }

  /** One 32-bit word (CPUGeneratorImpl::random). */
  nextUint32(): number {
    return this.engine.nextUint32();
  }

  /**
   * Uniform in [0, 1) with 53 random bits, as uniform_real_distribution<double>(0, 1): the low 53
   * bits of random64() (two words, the first the high half) over 2⁵³.
   */
  random(): number {
    const hi = this.engine.nextUint32();
    const lo = this.engine.nextUint32();
    return ((hi & 0x1fffff) * 4294967296 + lo) / 9007199254740992;
  }

  /** Uniform in [0, 1) with 24 random bits, as uniform_real_distribution<float>(0, 1): one word. */
  randomFloat32(): number {
    return (this.engine.nextUint32() & 0xffffff) / 16777216;
  }

  /**
   * Standard normal, as normal_distribution<double>: Box-Muller on two uniform doubles, r·cos θ
   * returned and r·sin θ kept for the next call (this cache survives between tensors, as
   * PyTorch's does; manualSeed clears it).
   */
  normal(): number {
    const cached = this.nextDoubleNormal;
    if (cached !== null) {
      this.nextDoubleNormal = null;
      return cached;
    }
    const u1 = this.random();
    const u2 = this.random();
    const r = Math.sqrt(-2 * libmLog(1 - u2));
    libmSinCos(2 * Math.PI * u1, sinCos);
    this.nextDoubleNormal = r * sinCos[0]!;
    return r * sinCos[1]!;
  }
}

const sinCos = new Float64Array(2);

/** The generator used when none is given (PyTorch's default CPU generator). */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator, as torch.manual_seed does: the same seed gives PyTorch's numbers. */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
