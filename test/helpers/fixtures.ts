// Loads the fixture groups written by scripts/fixtures/ (see common.py for the format).

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DType, Tensor } from "../../src/tensor/index.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

interface TensorEntry {
  readonly dtype: DType;
  readonly shape: number[];
  readonly offset: number;
}

export interface FixtureCase {
  readonly name: string;
  readonly meta: Record<string, unknown>;
  /** Every tensor of the case by key; `has(key)` tells whether one was stored. */
  readonly tensors: ReadonlyMap<string, Tensor>;
  has(key: string): boolean;
  /** The tensor `key` (throws if the case has none: a broken fixture, not a test failure to hide). */
  t(key: string): Tensor;
  /** Tensors whose keys start with `prefix`, keyed without it, in the stored order. */
  withPrefix(prefix: string): Record<string, Tensor>;
}

export interface FixtureGroup {
  readonly group: string;
  readonly torch: string;
  readonly cases: readonly FixtureCase[];
}

export function loadFixtures(group: string): FixtureGroup {
  const header = JSON.parse(readFileSync(join(FIXTURES, `${group}.json`), "utf8")) as {
    group: string;
    torch: string;
    cases: { name: string; meta: Record<string, unknown>; tensors: Record<string, TensorEntry> }[];
  };
  const bin = readFileSync(join(FIXTURES, `${group}.bin`));
  const bytes = new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength);
  const cases = header.cases.map((c): FixtureCase => {
    const tensors = new Map<string, Tensor>();
    for (const [key, e] of Object.entries(c.tensors))
      tensors.set(key, readTensor(bytes, e, `${group}/${c.name}/${key}`));
    return {
      name: c.name,
      meta: c.meta,
      tensors,
      has: (key) => tensors.has(key),
      t: (key) => {
        const v = tensors.get(key);
        if (!v) throw new Error(`fixture ${group}/${c.name} has no tensor '${key}'`);
        return v;
      },
      withPrefix: (prefix) =>
        Object.fromEntries(
          [...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
        ),
    };
  });
  return { group: header.group, torch: header.torch, cases };
}

function readTensor(bytes: Uint8Array, e: TensorEntry, what: string): Tensor {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const size = e.dtype === "float64" ? 8 : 4;
  if (e.offset + n * size > bytes.length)
    throw new Error(`fixture ${what}: data past the end of the .bin file`);
  const copy = bytes.slice(e.offset, e.offset + n * size).buffer;
  const data =
    e.dtype === "float64"
      ? new Float64Array(copy)
      : e.dtype === "float32"
        ? new Float32Array(copy)
        : new Int32Array(copy);
  return new Tensor(data, e.shape);
}
