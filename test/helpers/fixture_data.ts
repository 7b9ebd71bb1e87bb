// The fixture format written by scripts/fixtures/ (see common.py), parsed from bytes: a group's
// header (JSON) and its .bin (raw little-endian data). No file access, so the browser suite runs
// the same cases (test/browser/); test/helpers/fixtures.ts reads the files in Node.

import { type DType, Tensor } from "../../src/tensor/index.js";

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

/** A fixture group from its header's text and its .bin's bytes. */
export function parseFixtures(headerText: string, bytes: Uint8Array): FixtureGroup {
  const header = JSON.parse(headerText) as {
    group: string;
    torch: string;
    cases: { name: string; meta: Record<string, unknown>; tensors: Record<string, TensorEntry> }[];
  };
  const group = header.group;
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
  return { group, torch: header.torch, cases };
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
