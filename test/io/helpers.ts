// Reads test/fixtures/io (written by scripts/fixtures/io_formats.py) and puts loaded values in one comparable
// form, so that a test can compare what rnnkit loads with what PyTorch saved, to the byte.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PickleValue, StoredTensor } from "../../src/io/index.js";
import { isStoredTensor } from "../../src/io/index.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "io");

/** The manifest's encoding of a value (see scripts/fixtures/io_formats.py). */
export type Encoded =
  | null
  | boolean
  | number
  | string
  | { bigint: string }
  | { float: string }
  | { bytes: string }
  | { list: Encoded[] }
  | { tuple: Encoded[] }
  | { dict: [Encoded, Encoded][] }
  | { tensor: { dtype: string; shape: number[]; offset: number; nbytes: number } };

export interface FixtureFile {
  readonly format: "torch" | "safetensors" | "npy" | "npz";
  readonly value?: Encoded;
  readonly stateDict?: boolean;
  readonly stateDictKey?: string;
  readonly prefix?: string;
  readonly refusedGlobal?: string;
  readonly archiveName?: string;
  readonly metadata?: Record<string, string>;
  readonly converted?: Encoded;
  readonly npSave?: boolean;
}

export interface Manifest {
  readonly torch: string;
  readonly marker: string;
  readonly files: Record<string, FixtureFile>;
}

export const manifest = JSON.parse(readFileSync(join(FIXTURES, "manifest.json"), "utf8")) as Manifest;
const blob = new Uint8Array(readFileSync(join(FIXTURES, "expected.bin")));

export function fixtureBytes(name: string): Uint8Array {
  const b = readFileSync(join(FIXTURES, name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function fixture(name: string): FixtureFile {
  const f = manifest.files[name];
  if (f === undefined) throw new Error(`no fixture ${name} in the manifest`);
  return f;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/** A comparable form: tensors as { tensor: [dtype, shape, hex] }, tuples and lists marked, floats exact. */
export type Plain =
  | null
  | boolean
  | number
  | bigint
  | string
  | { bytes: string }
  | { list: Plain[] }
  | { tuple: Plain[] }
  | { dict: [Plain, Plain][] }
  | { tensor: [string, number[], string] };

/** What a loader returned, in the comparable form. */
export function plain(v: PickleValue): Plain {
  if (
    v === null ||
    typeof v === "boolean" ||
    typeof v === "number" ||
    typeof v === "bigint" ||
    typeof v === "string"
  )
    return v;
  if (v instanceof Uint8Array) return { bytes: hex(v) };
  if (v instanceof Map) return { dict: [...v].map(([k, x]) => [plain(k), plain(x)]) };
  if (Array.isArray(v)) return Object.isFrozen(v) ? { tuple: v.map(plain) } : { list: v.map(plain) };
  if (isStoredTensor(v)) return tensorPlain(v);
  throw new Error(`unexpected value ${String(v)}`);
}

export function tensorPlain(t: StoredTensor): Plain {
  return { tensor: [t.dtype, [...t.shape], hex(t.bytes)] };
}

/** The manifest's expected value, in the comparable form. */
export function expected(e: Encoded): Plain {
  if (e === null || typeof e === "boolean" || typeof e === "number" || typeof e === "string") return e;
  if ("bigint" in e) return BigInt(e.bigint);
  if ("float" in e)
    return new DataView(Uint8Array.from(Buffer.from(e.float, "hex")).buffer).getFloat64(0, true);
  if ("bytes" in e) return { bytes: e.bytes };
  if ("list" in e) return { list: e.list.map(expected) };
  if ("tuple" in e) return { tuple: e.tuple.map(expected) };
  if ("dict" in e) return { dict: e.dict.map(([k, v]) => [expected(k), expected(v)]) };
  const t = e.tensor;
  return { tensor: [t.dtype, t.shape, hex(blob.subarray(t.offset, t.offset + t.nbytes))] };
}

/** The manifest's expected tensors of a dict-valued fixture, as StoredTensors in order. */
export function expectedTensors(e: Encoded | undefined): Map<string, StoredTensor> {
  if (e === null || e === undefined || typeof e !== "object" || !("dict" in e))
    throw new Error("not a dict fixture");
  const out = new Map<string, StoredTensor>();
  for (const [k, v] of e.dict) {
    if (typeof k !== "string" || v === null || typeof v !== "object" || !("tensor" in v))
      throw new Error("not a tensor dict");
    const t = v.tensor;
    out.set(k, {
      dtype: t.dtype as StoredTensor["dtype"],
      shape: t.shape,
      bytes: blob.slice(t.offset, t.offset + t.nbytes),
    });
  }
  return out;
}

/** Deterministic 32-bit generator (mulberry32) for tests that need arbitrary bytes. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
