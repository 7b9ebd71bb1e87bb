// Hand-made pickles for the io tests: the opcodes as bytes, and torch.save archives around them.

import { writeTorchZip } from "../../src/io/zip.js";

/** Bytes from numbers (one byte each), strings (latin1, as written) and byte arrays, concatenated. */
export function bytesOf(...parts: (number | string | Uint8Array | readonly number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else if (typeof p === "string") for (let i = 0; i < p.length; i++) out.push(p.charCodeAt(i) & 0xff);
    else for (const b of p) out.push(b);
  }
  return Uint8Array.from(out);
}

/** BINUNICODE s. */
export function str(s: string): Uint8Array {
  const data = new TextEncoder().encode(s);
  return bytesOf(
    0x58,
    data.length & 0xff,
    (data.length >> 8) & 0xff,
    (data.length >> 16) & 0xff,
    data.length >>> 24,
    data,
  );
}

/** BININT (any int32). */
export function int(v: number): Uint8Array {
  const b = new Uint8Array(5);
  b[0] = 0x4a;
  new DataView(b.buffer).setInt32(1, v, true);
  return b;
}

/** MARK ints TUPLE. */
export function intTuple(values: readonly number[]): Uint8Array {
  return bytesOf(0x28, ...values.map(int), 0x74);
}

/** The opcodes these tests write (pickle.py's names). */
export const OP = {
  PROTO: 0x80,
  MARK: 0x28,
  TUPLE: 0x74,
  EMPTY_TUPLE: 0x29,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  NEWFALSE: 0x89,
  STOP: 0x2e,
} as const;

/** A pickle (protocol 2) of one tensor: _rebuild_tensor_v2 over storage '0'. */
export function tensorPickle(opts: {
  storage?: string;
  numel: number;
  offset?: number;
  size: readonly number[];
  stride: readonly number[];
}): Uint8Array {
  const { PROTO, MARK, TUPLE, EMPTY_TUPLE, BINPERSID, REDUCE, NEWFALSE, STOP } = OP;
  const persistentId = bytesOf(
    MARK,
    str("storage"),
    `ctorch\n${opts.storage ?? "FloatStorage"}\n`,
    str("0"),
    str("cpu"),
    int(opts.numel),
    TUPLE,
  );
  const hooks = bytesOf("ccollections\nOrderedDict\n", EMPTY_TUPLE, REDUCE);
  return bytesOf(
    [PROTO, 2],
    "ctorch._utils\n_rebuild_tensor_v2\n",
    [MARK, ...persistentId, BINPERSID],
    int(opts.offset ?? 0),
    intTuple(opts.size),
    intTuple(opts.stride),
    [NEWFALSE, ...hooks, TUPLE, REDUCE, STOP],
  );
}

/** A torch.save zip archive holding `pkl` as data.pkl and `storages` as data/<key>. */
export function torchZip(
  pkl: Uint8Array,
  storages: Record<string, Uint8Array> = {},
  folder = "archive",
): Uint8Array {
  return writeTorchZip("test", [
    { name: `${folder}/data.pkl`, data: pkl },
    ...Object.entries(storages).map(([k, data]) => ({ name: `${folder}/data/${k}`, data })),
    { name: `${folder}/version`, data: new TextEncoder().encode("3\n") },
  ]);
}

/** OrderedDict() with one key: t_0 = (), t_d = (t_{d-1}, t_{d-1}) through the memo, `depth` times. */
export function sharedMemoPickle(depth: number): Uint8Array {
  const step = bytesOf("0j", [0, 0, 0, 0], "j", [0, 0, 0, 0], 0x86, "r", [0, 0, 0, 0]);
  const parts: Uint8Array[] = [bytesOf(0x80, 0x02, "ccollections\nOrderedDict\n)R)r", [0, 0, 0, 0])];
  for (let i = 0; i < depth; i++) parts.push(step);
  parts.push(bytesOf("K", 0x01, "s."));
  return torchZip(bytesOf(...parts));
}

/** An .npy header for `shape` (float32) and no data. */
export function emptyNpy(shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")},), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const header = `${dict}${" ".repeat(pad % 64)}\n`;
  return bytesOf(0x93, "NUMPY", 1, 0, header.length & 0xff, header.length >> 8, header);
}
