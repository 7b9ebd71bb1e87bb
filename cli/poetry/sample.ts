// Writing poems with a trained model (CLI, poetry): greedy, or sampled with a temperature and
// top-k, optionally held to a form such as 5x4 (four lines of five characters, "，" and "。"
// placed), from a prompt of first characters.

import { readFileSync } from "node:fs";
import type { Generator } from "../../src/index.js";
import { UsageError } from "../usage.js";
import { assetPath } from "./corpus.js";
import type { PoetryModel, State } from "./model.js";
import { BOS, EOS, SPECIALS, type Vocab } from "./vocab.js";

export interface SampleOptions {
  readonly prompt: string;
  readonly temperature: number;
  readonly topK: number;
  readonly greedy: boolean;
  /** [characters per line, lines], or null for free form (until <eos> or maxLength). */
  readonly form: readonly [number, number] | null;
  readonly maxLength: number;
}

export function parseForm(text: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(text);
  const chars = Number(m?.[1]);
  const lines = Number(m?.[2]);
  if (!m || chars < 1 || lines < 1 || lines % 2 !== 0)
    throw new UsageError(
      `--form must be CHARSxLINES with an even number of lines (like 5x4 or 7x8), got '${text}'`,
    );
  return [chars, lines];
}

/** What the character at position i (0-based, punctuation counted) must be in `form`: "，", "。" or a character. */
function slot(form: readonly [number, number], i: number): "，" | "。" | "char" | "end" {
  const [chars, lines] = form;
  const line = Math.floor(i / (chars + 1));
  if (line >= lines) return "end";
  if (i % (chars + 1) < chars) return "char";
  return line % 2 === 0 ? "，" : "。";
}

/** The id of the token picked from `logits` over the `allowed` ids. */
function pick(
  logits: Float32Array | Float64Array,
  allowed: (id: number) => boolean,
  o: SampleOptions,
  g: Generator,
): number {
  const candidates: [number, number][] = [];
  for (let id = 0; id < logits.length; id++) if (allowed(id)) candidates.push([id, logits[id]!]);
  candidates.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  if (o.greedy) return candidates[0]![0];
  const top = candidates.slice(0, o.topK > 0 ? o.topK : candidates.length);
  const max = top[0]![1];
  const weights = top.map(([, l]) => Math.exp((l - max) / o.temperature));
  let r = g.random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < top.length; i++) {
    r -= weights[i]!;
    if (r < 0) return top[i]![0];
  }
  return top.at(-1)![0];
}

// Note [prompt characters]: the Tang corpus is in traditional characters (風, 靜) and many
// people type simplified ones (风, 静). assets/simplified.json maps each simplified form among
// the corpus's characters to its traditional ones (scripts/make-corpus.ts, from opencc-js), most
// frequent first. A prompt character outside the vocabulary is replaced by the first of its
// traditional (or, for a model trained on simplified text, simplified) forms the vocabulary
// holds, the most frequent in training (the lowest id) when several do.

let variants: Map<string, string[]> | null = null;

/** Each character's other forms (simplified ↔ traditional), from assets/simplified.json. */
function otherForms(ch: string): readonly string[] {
  if (!variants) {
    variants = new Map();
    const map = JSON.parse(readFileSync(assetPath("simplified.json"), "utf8")) as Record<string, string>;
    for (const [simplified, traditional] of Object.entries(map))
      for (const t of traditional) {
        variants.set(simplified, [...(variants.get(simplified) ?? []), t]);
        variants.set(t, [...(variants.get(t) ?? []), simplified]);
      }
  }
  return variants.get(ch) ?? [];
}

/**
 * The prompt in the model's characters (Note [prompt characters]): simplified characters the
 * vocabulary lacks become their traditional forms it has (风 → 風), and `note` says so; a
 * character with no form in the vocabulary is refused.
 */
export function checkPrompt(prompt: string, vocab: Vocab, note: (text: string) => void = () => {}): string {
  const chars = [...prompt].map((ch) => {
    if (vocab.has(ch)) return ch;
    const known = otherForms(ch).filter((c) => vocab.has(c));
    return known.sort((a, b) => vocab.id(a) - vocab.id(b))[0] ?? ch;
  });
  const unknown = [...new Set(chars.filter((ch) => !vocab.has(ch)))];
  if (unknown.length > 0)
    throw new UsageError(
      `--prompt: ${unknown.map((c) => `'${c}'`).join(", ")} ${unknown.length === 1 ? "is" : "are"} not in the model's vocabulary`,
    );
  const converted = chars.join("");
  if (converted !== prompt) note(`--prompt: ${prompt} read as ${converted}, the model's characters`);
  return converted;
}

/** One poem. */
export function samplePoem(model: PoetryModel, vocab: Vocab, o: SampleOptions, g: Generator): string {
  const comma = vocab.has("，") ? vocab.id("，") : -1;
  const stop = vocab.has("。") ? vocab.id("。") : -1;
  const punct = new Set([comma, stop]);
  let state: State = null;
  let logits: Float32Array | Float64Array | null = null;
  const out: number[] = [];
  const feed = (id: number) => {
    const [l, s] = model.step(id, state);
    logits = l.data as Float32Array;
    state = s;
  };
  feed(BOS);
  const prompt = [...o.prompt].map((ch) => vocab.id(ch));
  while (out.length < o.maxLength) {
    let id: number;
    if (o.form) {
      const want = slot(o.form, out.length);
      if (want === "end") break;
      if (want === "，" || want === "。") id = want === "，" ? comma : stop;
      else if (out.filter((x) => !punct.has(x)).length < prompt.length)
        id = prompt[out.filter((x) => !punct.has(x)).length]!;
      else id = pick(logits!, (i) => i >= SPECIALS.length && !punct.has(i), o, g);
      if (id < 0) throw new Error("the model's vocabulary has no '，' or '。': --form needs both");
    } else {
      id =
        out.length < prompt.length
          ? prompt[out.length]!
          : pick(logits!, (i) => i === EOS || i >= SPECIALS.length, o, g);
      if (id === EOS) break;
    }
    out.push(id);
    feed(id);
  }
  return vocab.decode(out);
}

/** A poem in `form` laid out one couplet per line. */
export function layout(poem: string, form: readonly [number, number] | null): string {
  if (!form) return poem;
  return poem.replace(/([。])/g, "$1\n").trimEnd();
}
