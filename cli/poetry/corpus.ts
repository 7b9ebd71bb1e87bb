// The poems to learn from (CLI, poetry): the five-character quatrains (五言绝句) or all
// five-character poems of the Complete Tang Poems, from the npm package chinese-poetry (MIT,
// a devDependency, read offline), or any UTF-8 text file with one poem per line.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { UsageError } from "../usage.js";

export type BuiltinCorpus = "quatrains" | "five";

/** A line of five characters and its closing punctuation: "秦川雄帝宅，函谷壯皇居。". */
const COUPLET = /^[\u3400-\u9fff\uf900-\ufaff]{5}，[\u3400-\u9fff\uf900-\ufaff]{5}。$/u;

function tangDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve("chinese-poetry/package.json");
  } catch {
    throw new Error(
      "the default corpus needs the npm package chinese-poetry (run npm ci in rnnkit's folder), or pass --corpus FILE",
    );
  }
  const dir = join(dirname(pkg), "dist", "quantangshi");
  if (!existsSync(dir)) throw new Error(`chinese-poetry has no dist/quantangshi folder at ${dir}`);
  return dir;
}

/**
 * Tang poems whose every line is a five-character couplet: "quatrains" keeps the 4-line ones
 * (two couplets), "five" every length. Each poem is returned as its lines joined, punctuation kept.
 */
export function loadTang(which: BuiltinCorpus): string[] {
  const dir = tangDir();
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
