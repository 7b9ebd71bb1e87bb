// The io fuzzer (deterministic): mutates valid files of every format and checks that each loader either
// reads the result into well-formed values or throws a FormatError (never a RangeError from a typed
// array, a TypeError, a hang or a huge allocation). Used by fuzz.test.ts (a few thousand mutations in
// `npm test`) and scripts/fuzz-io.ts (as many as asked, with figures).

import { deflateSync } from "fflate";
import { reporter } from "../../src/io/errors.js";
import {
  dtypeSize,
  FormatError,
  isStoredTensor,
  loadNpy,
  loadNpz,
  loadSafetensors,
  loadTorch,
  type PickleValue,
  pickStateDict,
} from "../../src/io/index.js";
import { Budget } from "../../src/io/limits.js";
import { saveNpy } from "../../src/io/npy.js";
import { latin1 } from "../../src/io/text.js";
import { isZip, readZip, writeTorchZip, writeZip } from "../../src/io/zip.js";
import { fixtureBytes, rng } from "./helpers.js";
import { bytesOf, emptyNpy, sharedMemoPickle, str, tensorPickle, torchZip } from "./pickles.js";

type Format = "safetensors" | "npy" | "npz" | "torch";

interface Seed {
  readonly name: string;
  readonly format: Format;
  readonly bytes: Uint8Array;
}

/** Valid files of each format, from test/fixtures/io. */
export const SEEDS: readonly Seed[] = (
  [
    ["lstm.safetensors", "safetensors"],
    ["expected_write.safetensors", "safetensors"],
    ["np_f4.npy", "npy"],
    ["v2_be_f.npy", "npy"],
    ["v3_le_c.npy", "npy"],
    ["arrays.npz", "npz"],
    ["arrays_compressed.npz", "npz"],
    ["lstm.pt", "torch"],
    ["checkpoint.pt", "torch"],
    ["views.pt", "torch"],
    ["extras.pt", "torch"],
    ["checkpoint_legacy.pt", "torch"],
    ["views_legacy.pt", "torch"],
    ["dtypes_legacy.pt", "torch"],
  ] as const
).map(([name, format]) => ({ name, format, bytes: fixtureBytes(name) }));

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const INTERESTING = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 4096, 65536];

/** Byte-level mutations, for any file. */
const RAW: Record<string, (b: Uint8Array, r: Rand) => Uint8Array> = {
  "bit flips": (b, r) => {
    const out = b.slice();
    for (let k = 1 + int(r, 8); k > 0; k--) out[int(r, out.length)]! ^= 1 << int(r, 8);
    return out;
  },
  "byte set": (b, r) => {
    const out = b.slice();
    for (let k = 1 + int(r, 4); k > 0; k--)
      out[int(r, out.length)] = r() < 0.5 ? INTERESTING[int(r, 5)]! : int(r, 256);
    return out;
  },
  "u32 set": (b, r) => {
    const out = b.slice();
    if (out.length >= 4)
      new DataView(out.buffer).setUint32(int(r, out.length - 3), INTERESTING_32[int(r, 8)]!, true);
    return out;
  },
  truncation: (b, r) => b.slice(0, int(r, b.length)),
  insertion: (b, r) => {
    const at = int(r, b.length + 1);
    const extra = Uint8Array.from({ length: 1 + int(r, 16) }, () => int(r, 256));
    return bytesOf(b.subarray(0, at), extra, b.subarray(at));
  },
  deletion: (b, r) => {
    const at = int(r, b.length);
    return bytesOf(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(r, 16))));
  },
  "range copy": (b, r) => {
    const out = b.slice();
    const n = Math.min(b.length, 1 + int(r, 32));
    out.set(b.subarray(int(r, b.length - n + 1)).subarray(0, n), int(r, b.length - n + 1));
    return out;
  },
};

/** Replaces one decimal number in `text` (a JSON or Python header) with another. */
function numberLie(text: string, r: Rand): string {
  const numbers = [...text.matchAll(/[0-9]+/g)];
  if (numbers.length === 0) return text;
  const m = numbers[int(r, numbers.length)]!;
  const v = Math.min(Number(m[0]), 2 ** 53);
  const lies = [
    0n,
    BigInt(v + 1),
    BigInt(Math.max(0, v - 1)),
    BigInt(v * 2),
    2n ** 31n,
    2n ** 53n,
    10n ** 15n,
    2n ** 64n - 1n,
  ];
  const lie = String(lies[int(r, lies.length)]!);
  return text.slice(0, m.index) + lie + text.slice(m.index! + m[0].length);
}

const fromLatin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** Format-aware lies: headers, offsets, sizes, with containers rebuilt so their checksums still match. */
const AWARE: Record<Format, Record<string, (b: Uint8Array, r: Rand) => Uint8Array>> = {
  safetensors: {
    "header length lie": (b, r) => {
      const out = b.slice();
      const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
      const lies = [
        0n,
        BigInt(n + 1),
        BigInt(n - 1),
        BigInt(b.length),
        10n ** 12n,
        2n ** 63n,
        2n ** 64n - 1n,
      ];
      new DataView(out.buffer).setBigUint64(0, lies[int(r, lies.length)]!, true);
      return out;
    },
    "offset or shape lie": (b, r) => {
      const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
      const header = numberLie(latin1(b.subarray(8, 8 + n)), r);
      const h = fromLatin1(header);
      const out = new Uint8Array(8 + h.length + b.length - 8 - n);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      out.set(b.subarray(8 + n), 8 + h.length);
      return out;
    },
  },
  npy: {
    "header lie": (b, r) => {
      const major = b[6]!;
      const prefix = major === 1 ? 10 : 12;
      const len =
        major === 1 ? b[8]! | (b[9]! << 8) : new DataView(b.buffer, b.byteOffset).getUint32(8, true);
      let header = latin1(b.subarray(prefix, prefix + len));
      header =
        r() < 0.7
          ? numberLie(header, r)
          : header.replace(/'[<>|][a-z][0-9]+'/, ["'<f2'", "'>i8'", "'|b1'", "'<U3'", "'<c16'"][int(r, 5)]!);
      header = r() < 0.5 ? header.replace(/False|True/, r() < 0.5 ? "True" : "False") : header;
      const h = fromLatin1(header);
      const out = new Uint8Array(prefix + h.length + b.length - prefix - len);
      out.set(b.subarray(0, prefix));
      if (major === 1) new DataView(out.buffer).setUint16(8, Math.min(h.length, 0xffff), true);
      else new DataView(out.buffer).setUint32(8, h.length, true);
      out.set(h, prefix);
      out.set(b.subarray(prefix + len), prefix + h.length);
      return out;
    },
  },
  npz: {
    "zip field lie": zipFieldLie,
    "entry mutation (CRC fixed)": (b, r) => {
      const entries = unzipAll(b);
      const k = int(r, entries.length);
      const e = entries[k]!;
      const mutated = r() < 0.5 ? AWARE.npy["header lie"]!(e.data, r) : pick(RAW, r)(e.data, r);
      return writeZip(
        "fuzz",
        entries.map((x, i) =>
          i === k
            ? { name: x.name, data: mutated, ...(x.deflated ? { deflated: deflateSync(mutated) } : {}) }
            : x,
        ),
      );
    },
  },
  torch: {
    "zip field lie": (b, r) => (isZip(b) ? zipFieldLie(b, r) : RAW["u32 set"]!(b, r)),
    "pickle mutation (CRC fixed)": (b, r) => {
      if (!isZip(b)) return pickleNumberLie(b, r);
      const entries = unzipAll(b);
      const k = r() < 0.7 ? entries.findIndex((e) => e.name.endsWith("data.pkl")) : int(r, entries.length);
      const e = entries[k]!;
      const mutated = r() < 0.5 ? pickleNumberLie(e.data, r) : pick(RAW, r)(e.data, r);
      return writeTorchZip(
        "fuzz",
        entries.map((x, i) => (i === k ? { name: x.name, data: mutated } : x)),
      );
    },
  },
};

/** Changes one small integer operand (BININT1/BININT2/BININT) of a pickle: sizes, strides, offsets, numels. */
function pickleNumberLie(b: Uint8Array, r: Rand): Uint8Array {
  const out = b.slice();
  const spots: number[] = [];
  for (let i = 0; i < out.length - 1; i++)
    if (out[i] === 0x4b || out[i] === 0x4d || out[i] === 0x4a) spots.push(i);
  if (spots.length === 0) return out;
  const at = spots[int(r, spots.length)]!;
  if (out[at] === 0x4b) out[at + 1] = INTERESTING[int(r, 5)]!;
  else if (out[at] === 0x4d && at + 2 < out.length) out[at + 2] = int(r, 256);
  else if (at + 4 < out.length) new DataView(out.buffer).setUint32(at + 1, INTERESTING_32[int(r, 8)]!, true);
  return out;
}

function pick<T>(table: Record<string, T>, r: Rand): T {
  const values = Object.values(table);
  return values[int(r, values.length)]!;
}

function unzipAll(b: Uint8Array): { name: string; data: Uint8Array; deflated?: Uint8Array }[] {
  const rep = reporter("zip", null);
  const zip = readZip(b, rep);
  const budget = new Budget(2 ** 30, rep);
  return zip.entries.map((e) => ({
    name: e.name,
    data: zip.read(e, budget),
    ...(e.method === 8 ? { deflated: b.subarray(e.dataOffset, e.dataOffset + e.compressedSize) } : {}),
  }));
}

/** Sets a size, offset, count or length field of the central directory or end record to a lie. */
function zipFieldLie(b: Uint8Array, r: Rand): Uint8Array {
  const out = b.slice();
  const view = new DataView(out.buffer);
  const eocd = out.length - 22;
  const cd = view.getUint32(eocd + 16, true);
  const centrals: number[] = [];
  for (let p = cd; p + 46 <= eocd && view.getUint32(p, true) === 0x02014b50; ) {
    centrals.push(p);
    p += 46 + view.getUint16(p + 28, true) + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  }
  const fields = [...centrals.flatMap((p) => [p + 20, p + 24, p + 42, p + 16]), eocd + 12, eocd + 16];
  const at = fields[int(r, fields.length)]!;
  const old = view.getUint32(at, true);
  const lies = [0, old + 1, old - 1, old * 2, 0xffffffff, 0xfffffffe, 1 << 30];
  view.setUint32(at, lies[int(r, lies.length)]! >>> 0, true);
  return out;
}

/** Hand-made hostile files: zip bombs, deep pickles, huge declared sizes. */
const CRAFTED: readonly { what: string; format: Format; make: () => Uint8Array }[] = [
  {
    what: "a dict key of tuples shared through the memo, 2^24 leaves in 577 bytes",
    format: "torch",
    make: () => sharedMemoPickle(24),
  },
  {
    what: "an .npy of shape (1e9, 0, 4): a billion time steps of an empty batch",
    format: "npy",
    make: () => emptyNpy([1e9, 0, 4]),
  },
  {
    what: "zip bomb: a deflated entry claiming 4 GiB",
    format: "npz",
    make: () => {
      const data = saveNpy({ dtype: "uint8", shape: [1024], bytes: new Uint8Array(1024) });
      const zip = writeZip("fuzz", [{ name: "x.npy", data, deflated: deflateSync(data) }]);
      const view = new DataView(zip.buffer);
      view.setUint32(view.getUint32(zip.length - 6, true) + 24, 0xfffffff0, true);
      return zip;
    },
  },
  {
    what: "zip bomb: 80 MiB declared from 80 KiB, within deflate's ratio",
    format: "npz",
    make: () => {
      const data = saveNpy({ dtype: "uint8", shape: [1 << 20], bytes: new Uint8Array(1 << 20) });
      const deflated = bytesOf(deflateSync(data), new Uint8Array(80 * 1024));
      const zip = writeZip("fuzz", [{ name: "x.npy", data, deflated }]);
      const view = new DataView(zip.buffer);
      view.setUint32(view.getUint32(zip.length - 6, true) + 24, 80 * 2 ** 20, true);
      return zip;
    },
  },
  {
    what: "zip bomb: a stream inflating past its declared size",
    format: "npz",
    make: () => {
      const data = saveNpy({ dtype: "uint8", shape: [1 << 20], bytes: new Uint8Array(1 << 20) });
      const zip = writeZip("fuzz", [{ name: "x.npy", data, deflated: deflateSync(data) }]);
      const view = new DataView(zip.buffer);
      view.setUint32(view.getUint32(zip.length - 6, true) + 24, 1000, true);
      return zip;
    },
  },
  {
    what: "pickle: 200000 nested MARKs",
    format: "torch",
    make: () => torchZip(bytesOf(0x80, 2, new Array(200000).fill(0x28), 0x2e)),
  },
  {
    what: "pickle: 100000 nested lists",
    format: "torch",
    make: () => torchZip(bytesOf(0x80, 2, new Array(100000).fill(0x5d), new Array(99999).fill(0x61), 0x2e)),
  },
  {
    what: "pickle: 100000 nested one-tuples",
    format: "torch",
    make: () => torchZip(bytesOf(0x80, 2, 0x4e, new Array(100000).fill(0x85), 0x2e)),
  },
  {
    what: "pickle: a 2 GiB string length",
    format: "torch",
    make: () => torchZip(bytesOf(0x80, 2, 0x58, [0xff, 0xff, 0xff, 0x7f], 0x2e)),
  },
  {
    what: "pickle: an 8-byte length of 2^63",
    format: "torch",
    make: () => torchZip(bytesOf(0x80, 4, 0x8e, [0, 0, 0, 0, 0, 0, 0, 0x80], 0x2e)),
  },
  {
    what: "pickle: a tensor expanded to 10^10 elements",
    format: "torch",
    make: () =>
      torchZip(tensorPickle({ numel: 1, size: [100000, 100000], stride: [0, 0] }), {
        "0": new Uint8Array(4),
      }),
  },
  {
    what: "pickle: a tensor whose numel overflows 2^53",
    format: "torch",
    make: () =>
      torchZip(tensorPickle({ numel: 1, size: [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1], stride: [0, 0, 0] }), {
        "0": new Uint8Array(4),
      }),
  },
  {
    what: "pickle: a global outside the allow-list",
    format: "torch",
    make: () => torchZip(bytesOf(0x80, 2, "cos\nsystem\n", str("true"), 0x85, 0x52, 0x2e)),
  },
  {
    what: "safetensors: 100000 zero-size tensors at one offset",
    format: "safetensors",
    make: () => {
      const parts = Array.from(
        { length: 100000 },
        (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`,
      );
      const json = new TextEncoder().encode(`{${parts.join(",")}}`);
      const out = new Uint8Array(8 + json.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    },
  },
];

const LOADERS: Record<Format, (b: Uint8Array) => unknown> = {
  safetensors: (b) => loadSafetensors(b, { name: "fuzz" }).tensors,
  npy: (b) => loadNpy(b, { name: "fuzz" }),
  npz: (b) => loadNpz(b, { name: "fuzz" }),
  torch: (b) => {
    const v = loadTorch(b, { name: "fuzz" });
    // The state-dict search describes what it finds in its messages: it must stay bounded too.
    try {
      pickStateDict(v, { name: "fuzz" });
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      if (e.message.length > 1000) throw new Error(`a ${e.message.length}-character message`);
    }
    return v;
  },
};

/**
 * Throws unless every tensor in `v` is well-formed (bytes.length = numel · itemsize). Each shared
 * value is checked once (a pickle's memo can share a value 2^24 times in a few hundred bytes).
 */
function checkWellFormed(v: unknown, depth = 0, seen = new Set<unknown>()): void {
  if (depth > 300) throw new Error("value nested deeper than the loaders allow");
  if (typeof v === "object" && v !== null) {
    if (seen.has(v)) return;
    seen.add(v);
  }
  if (v instanceof Map)
    for (const [k, x] of v) {
      checkWellFormed(k, depth + 1, seen);
      checkWellFormed(x, depth + 1, seen);
    }
  else if (Array.isArray(v)) for (const x of v) checkWellFormed(x, depth + 1, seen);
  else if (isStoredTensor(v)) {
    const numel = v.shape.reduce((a, b) => a * b, 1);
    if (
      !v.shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      v.bytes.length !== numel * dtypeSize(v.dtype)
    )
      throw new Error(`malformed tensor: shape [${v.shape}] ${v.dtype} with ${v.bytes.length} bytes`);
  }
}

export interface FuzzFigures {
  tried: number;
  /** Ended in a FormatError. */
  rejected: number;
  /** Loaded into well-formed values. */
  read: number;
  /** Anything else: another exception, a malformed value, or a case past `hangMs` (a hang, not a speed figure). */
  failures: { case: string; problem: string }[];
  slowestMs: number;
  slowest: string;
  byMutation: Record<string, { tried: number; rejected: number; read: number }>;
}

/**
 * Runs `count` mutations (the crafted cases first), deterministically from `seed`. A case that takes
 * longer than `hangMs` counts as a hang (work growing past the bytes present, as a memo-shared
 * pickle's did: 7.5 s from 577 bytes); the figures report the slowest case, the speed is not tested.
 */
export function fuzz(count: number, seed = 1, hangMs = 30_000): FuzzFigures {
  const r = rng(seed);
  const figures: FuzzFigures = {
    tried: 0,
    rejected: 0,
    read: 0,
    failures: [],
    slowestMs: 0,
    slowest: "",
    byMutation: {},
  };
  const runOne = (what: string, mutation: string, format: Format, bytes: Uint8Array) => {
    const row = figures.byMutation[mutation] ?? { tried: 0, rejected: 0, read: 0 };
    figures.byMutation[mutation] = row;
    figures.tried++;
    row.tried++;
    const start = performance.now();
    try {
      checkWellFormed(LOADERS[format](bytes) as PickleValue);
      figures.read++;
      row.read++;
    } catch (e) {
      if (e instanceof FormatError) {
        figures.rejected++;
        row.rejected++;
      } else
        figures.failures.push({
          case: what,
          problem: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
        });
    }
    const ms = performance.now() - start;
    if (ms > figures.slowestMs) {
      figures.slowestMs = ms;
      figures.slowest = what;
    }
    if (ms > hangMs) figures.failures.push({ case: what, problem: `took ${ms.toFixed(0)} ms: a hang` });
  };
  for (const c of CRAFTED.slice(0, count)) runOne(c.what, "crafted", c.format, c.make());
  for (let i = CRAFTED.length; i < count; i++) {
    const s = SEEDS[i % SEEDS.length]!;
    const table = r() < 0.5 ? RAW : AWARE[s.format];
    const names = Object.keys(table);
    const mutation = names[int(r, names.length)]!;
    const bytes = table[mutation]!(s.bytes, r);
    runOne(`#${i} ${mutation} of ${s.name}`, mutation, s.format, bytes);
  }
  return figures;
}
