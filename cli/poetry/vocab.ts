// Characters ↔ token ids (CLI, poetry). Ids 0–3 are <pad>, <bos> (a poem's start), <eos> (its
// end) and <unk> (a character seen fewer than minCount times in the training poems); the rest are
// characters by decreasing count, ties by code point, so a vocabulary is a pure function of its poems.

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
export const UNK = 3;
export const SPECIALS = ["<pad>", "<bos>", "<eos>", "<unk>"] as const;

export class Vocab {
  readonly itos: readonly string[];
  readonly #stoi: Map<string, number>;

  constructor(itos: readonly string[]) {
    if (itos.length < SPECIALS.length || SPECIALS.some((s, i) => itos[i] !== s))
      throw new Error(`a vocabulary starts with ${SPECIALS.join(", ")}; got ${itos.slice(0, 4).join(", ")}`);
    this.itos = itos;
    this.#stoi = new Map(itos.map((s, i) => [s, i]));
    if (this.#stoi.size !== itos.length) throw new Error("a vocabulary cannot hold the same token twice");
  }

  static build(poems: readonly string[], minCount: number): Vocab {
    const counts = new Map<string, number>();
    for (const p of poems) for (const ch of p) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    const chars = [...counts]
      .filter(([, n]) => n >= minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([ch]) => ch);
    return new Vocab([...SPECIALS, ...chars]);
  }

  get size(): number {
    return this.itos.length;
  }

  has(ch: string): boolean {
    return this.#stoi.has(ch);
  }

  id(ch: string): number {
    return this.#stoi.get(ch) ?? UNK;
  }

  /** [<bos>, characters..., <eos>] */
  encode(poem: string): number[] {
    return [BOS, ...[...poem].map((ch) => this.id(ch)), EOS];
  }

  decode(ids: readonly number[]): string {
    return ids.map((i) => (i < SPECIALS.length ? "" : (this.itos[i] ?? ""))).join("");
  }
}
