// What the io layer throws for a bad file (io layer). Bad input is not a bug: FormatError says which
// format, which file (the loader's `name` option) and entry, and what is wrong, so that a command line
// can print it as one line.

/** The formats the io layer reads, as they appear at the start of every message. */
export type FormatName = "safetensors" | "npy" | "npz" | "zip" | "torch";

/**
 * A file that cannot be read: truncated, lying about its sizes, using a feature rnnkit does not read,
 * or (for `.pt`) naming a global outside the allow-list. Thrown before any large allocation.
 *
 * Message: `safetensors (model.safetensors): header length 1000000000000 exceeds the file size 4096`.
 */
export class FormatError extends Error {
  override readonly name = "FormatError";
  constructor(
    readonly format: FormatName,
    /** The file's name as given to the loader, or null. */
    readonly file: string | null,
    /** What is wrong, without the format and file prefix. */
    readonly detail: string,
  ) {
    super(`${format}${file === null ? "" : ` (${file})`}: ${capped(detail)}`);
  }
}

/** Longest detail a message carries: one line a person reads, whatever the file holds. */
export const MAX_DETAIL = 400;

function capped(detail: string): string {
  const line = detail.replaceAll(/[\r\n]+/g, " ");
  return line.length > MAX_DETAIL ? `${line.slice(0, MAX_DETAIL)}... (${line.length} characters)` : line;
}

/** Creates FormatErrors for one file: `fail("header length ...")` throws. */
export interface Reporter {
  readonly format: FormatName;
  readonly file: string | null;
  fail(detail: string): never;
  /** The same file seen as another format (an npy entry inside an npz, a zip inside a .pt). */
  as(format: FormatName, entry?: string): Reporter;
}

export function reporter(format: FormatName, file: string | null): Reporter {
  return {
    format,
    file,
    fail(detail: string): never {
      throw new FormatError(format, file, detail);
    },
    as(other: FormatName, entry?: string): Reporter {
      const where = entry === undefined ? file : file === null ? entry : `${file}: ${entry}`;
      return reporter(other, where);
    },
  };
}

/** Bytes as people read them in messages: 24, 4096, 1.5e12 stays exact (no exponent). */
export function showCount(n: number | bigint): string {
  return typeof n === "bigint" ? n.toString() : Number.isSafeInteger(n) ? String(n) : n.toExponential(3);
}
