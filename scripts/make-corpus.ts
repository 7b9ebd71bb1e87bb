// Builds the corpus `rnnkit train` ships with, from the npm package chinese-poetry (MIT, a 350 MB
// devDependency): every poem of the Complete Tang Poems written wholly in five-character couplets,
// in the package's order (`--corpus five`; `--corpus quatrains` is the two-couplet ones among
// them). Writes, under assets/:
// - tang-five.bin.gz: the poems (format in cli/poetry/corpus.ts, Note [corpus asset]), gzip
//   level 9, no file name, mtime 0, so the same input gives the same bytes;
// - simplified.json: for each character of those poems whose simplified form (opencc-js, a
//   devDependency, character by character, "t" → "cn") differs, simplified → traditional
//   characters, most frequent first, so that `rnnkit sample --prompt 风` finds 風;
// - chinese-poetry.LICENSE: the corpus's MIT notice.
// Run with `npm run corpus`; the outputs are committed, and test/cli/corpus.test.ts checks them
// against a rebuild wherever chinese-poetry is installed.

import { copyFileSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "fflate";
import { decodeCorpus } from "../cli/poetry/corpus.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ASSETS = join(root, "assets");

/** A line of five characters and its closing punctuation: "秦川雄帝宅，函谷壯皇居。". */
const COUPLET = /^[\u3400-\u9fff\uf900-\ufaff]{5}，[\u3400-\u9fff\uf900-\ufaff]{5}。$/u;

/** chinese-poetry's folder, or null where the package is not installed. */
export function chinesePoetryDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve("chinese-poetry/package.json"));
  } catch {
    return null;
  }
}

/**
 * Tang poems whose every line is a five-character couplet, read from chinese-poetry's JSON:
 * "quatrains" keeps the 2-couplet ones, "five" every length. Lines joined, punctuation kept.
 */
export function tangPoems(pkgDir: string, which: "five" | "quatrains"): string[] {
  const dir = join(pkgDir, "dist", "quantangshi");
  const files = readdirSync(dir)
    .filter((f) => /^poet\.tang\.\d+\.json$/.test(f))
    .sort((a, b) => Number(a.split(".")[2]) - Number(b.split(".")[2]));
  const poems: string[] = [];
  for (const f of files) {
    const list = JSON.parse(readFileSync(join(dir, f), "utf8")) as { paragraphs?: unknown }[];
    for (const p of list) {
      const lines = p.paragraphs;
      if (
        !Array.isArray(lines) ||
        lines.length === 0 ||
        !lines.every((l) => typeof l === "string" && COUPLET.test(l))
      )
        continue;
      if (which === "quatrains" && lines.length !== 2) continue;
      poems.push(lines.join(""));
    }
  }
  return poems;
}

/** Distinct characters of `poems` by decreasing count, ties by code point. */
function charsByCount(poems: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const p of poems) for (const ch of p) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([ch]) => ch);
}

/** The asset's bytes (Note [corpus asset] in cli/poetry/corpus.ts), gzip level 9, mtime 0. */
export function encodeCorpus(poems: readonly string[]): Uint8Array {
  const bare = poems.map((p) => {
    if (!/^(?:[^，。]{5}，[^，。]{5}。)+$/u.test(p))
      throw new Error(`make-corpus: not a poem of five-character couplets: ${p.slice(0, 40)}`);
    return p.replace(/[，。]/gu, "");
  });
  const chars = charsByCount(bare);
  if (chars.length >= 0xffff) throw new Error(`make-corpus: ${chars.length} characters, at most 65534 fit`);
  const id = new Map(chars.map((ch, i) => [ch, i + 1]));
  const ids: number[] = [];
  for (const p of bare) {
    for (const ch of p) ids.push(id.get(ch)!);
    ids.push(0);
  }
  const head = new TextEncoder().encode(`${chars.join("")}\n`);
  const out = new Uint8Array(head.length + 2 * ids.length);
  out.set(head);
  for (let i = 0; i < ids.length; i++) {
    out[head.length + i] = ids[i]! >> 8;
    out[head.length + ids.length + i] = ids[i]! & 0xff;
  }
  return gzipSync(out, { level: 9, mtime: 0 });
}

/** simplified → its traditional characters among `poems`, most frequent first (Note [prompt characters]). */
export async function simplifiedMap(poems: readonly string[]): Promise<Record<string, string>> {
  const { Converter } = await import("opencc-js");
  const toSimplified = Converter({ from: "t", to: "cn" });
  const map: Record<string, string> = {};
  for (const ch of charsByCount(poems)) {
    const s = toSimplified(ch);
    if (s !== ch && [...s].length === 1) map[s] = (map[s] ?? "") + ch;
  }
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function writeAtomically(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pkg = chinesePoetryDir();
  if (!pkg) {
    console.error("scripts/make-corpus.ts: needs the devDependency chinese-poetry (npm ci)");
    process.exit(1);
  }
  const poems = tangPoems(pkg, "five");
  const bytes = encodeCorpus(poems);
  const back = decodeCorpus(bytes);
  if (back.length !== poems.length || back.some((p, i) => p !== poems[i]))
    throw new Error("make-corpus: internal error: the asset does not decode to its poems");
  writeAtomically(join(ASSETS, "tang-five.bin.gz"), bytes);
  const map = await simplifiedMap(poems);
  writeAtomically(join(ASSETS, "simplified.json"), `${JSON.stringify(map)}\n`);
  copyFileSync(join(pkg, "LICENSE"), join(ASSETS, "chinese-poetry.LICENSE"));
  console.error(
    `scripts/make-corpus.ts: ${poems.length} poems, tang-five.bin.gz ${bytes.length} bytes; ` +
      `simplified.json ${Object.keys(map).length} characters`,
  );
}
