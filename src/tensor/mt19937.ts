// The Mersenne Twister PyTorch's CPU generator runs (tensor layer): ATen's
// core/MT19937RNGEngine.h `mt19937`, the 32-bit MT19937 of Matsumoto and Nishimura, seeded by
// `init_with_uint32` from the low 32 bits of the seed and drawn one word at a time.

/** Words of state (MERSENNE_STATE_N) and the twist offset (MERSENNE_STATE_M). */
export const MT_N = 624;
const MT_M = 397;
const MATRIX_A = 0x9908b0df;

/** The engine's state, as MT19937RNGEngine.h's `mt19937_data_pod`: the words, `left_`, `next_`. */
export class MT19937 {
  readonly state = new Uint32Array(MT_N);
  /** Draws left before the next twist, plus one (`left_`: 1 right after seeding). */
  left = 1;
  /** Index of the next word to temper (`next_`). */
  next = 0;

  constructor(seed32 = 5489) {
    this.seed(seed32);
  }

  /** init_with_uint32: state[j] = 1812433253·(state[j−1] ⊕ (state[j−1] ≫ 30)) + j, mod 2³². */
  seed(seed32: number): void {
    const s = this.state;
    s[0] = seed32 >>> 0;
    for (let j = 1; j < MT_N; j++) {
      const prev = s[j - 1]!;
      s[j] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + j) >>> 0;
    }
    this.left = 1;
    this.next = 0;
  }

  /** One tempered 32-bit word, as `mt19937::operator()`. */
  nextUint32(): number {
    if (--this.left === 0) this.twist();
    let y = this.state[this.next++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** next_state(): regenerates all 624 words. */
  private twist(): void {
    const s = this.state;
    this.left = MT_N;
    this.next = 0;
    for (let j = 0; j < MT_N; j++) {
      const u = s[j]!;
      const v = s[(j + 1) % MT_N]!;
      const mixed = (u & 0x80000000) | (v & 0x7fffffff);
      s[j] = (s[(j + MT_M) % MT_N]! ^ (mixed >>> 1) ^ (v & 1 ? MATRIX_A : 0)) >>> 0;
    }
  }
}
