// The poems to learn from (CLI, poetry): the five-character poems of the Complete Tang Poems or
// the quatrains (五言绝句) among them, from the corpus asset shipped in the package (made by
// scripts/make-corpus.ts from the npm package chinese-poetry, MIT: assets/chinese-poetry.LICENSE),
// or any UTF-8 text file with one poem per line.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "fflate";
import { UsageError } from "../usage.js";

export type BuiltinCorpus = "quatrains" | "five";

// Note [corpus asset]: assets/tang-five.bin.gz, gunzipped, is
//   CHARS "\n" HI LO
// CHARS: every distinct character (one code point each) by decreasing count, UTF-8; HI and LO:
// the high and the low bytes of N 16-bit ids, each plane of N bytes, id k ≥ 1 being CHARS[k − 1]
// and 0 the end of a poem. A poem is stored without its punctuation, which its form fixes: every
// line is a couplet of five characters, "，", five characters, "。". Planes of small ids compress a
// third better than the UTF-8 text (2.0 MB against 2.8 MB gzipped; 5.1 MB raw).

/** The poems of a corpus asset (see Note [corpus asset]). */
export function decodeCorpus(gz: Uint8Array): string[] {
  const damaged = () => new Error("rnnkit's corpus asset is damaged (reinstall rnnkit)");
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(gz);
  } catch {
    throw damaged();
  }
  const nl = bytes.indexOf(0x0a);
  const n = (bytes.length - nl - 1) / 2;
  if (nl < 0 || !Number.isInteger(n)) throw damaged();
  const chars = [...new TextDecoder().decode(bytes.subarray(0, nl))];
  const hi = nl + 1;
  const lo = hi + n;
  const poems: string[] = [];
  let poem: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = (bytes[hi + i]! << 8) | bytes[lo + i]!;
    if (id === 0) {
      if (poem.length === 0 || poem.length % 10 !== 0) throw damaged();
      let text = "";
      for (let c = 0; c < poem.length; c += 10)
        text += `${poem.slice(c, c + 5).join("")}，${poem.slice(c + 5, c + 10).join("")}。`;
      poems.push(text);
      poem = [];
    } else {
      const ch = chars[id - 1];
      if (ch === undefined) throw damaged();
      poem.push(ch);
    }
  }
  return poems;
}

/** The package's assets folder: ../../assets from cli/poetry/, one more up from dist/cli/poetry/. */
export function assetPath(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const p = join(dir, "assets", name);
    if (existsSync(p)) return p;
  }
  throw new Error(`rnnkit's asset ${name} is missing from its package (reinstall rnnkit)`);
}

/**
 * Tang poems whose every line is a five-character couplet: "quatrains" keeps the 4-line ones
 * (two couplets, 24 characters with punctuation), "five" every length. Each poem is returned as
 * its lines joined, punctuation kept.
 */
export function loadTang(which: BuiltinCorpus): string[] {
  const poems = decodeCorpus(readFileSync(assetPath("tang-five.bin.gz")));
  return which === "quatrains" ? poems.filter((p) => p.length === 24) : poems;
}

/** Poems from a UTF-8 file, one per non-empty line (whitespace trimmed). */
export function loadTextFile(path: string): string[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UsageError(
      code === "ENOENT"
        ? `--corpus: no such file: ${path}`
        : `--corpus: cannot read ${path} (${code ?? String(e)})`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`--corpus: ${path} is not valid UTF-8`);
  }
  const poems = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (poems.length === 0)
    throw new UsageError(`--corpus: ${path} holds no text (one poem per non-empty line)`);
  return poems;
}
