// numpy's .npy format (numpy/lib/format.py): magic "\x93NUMPY", version 1.0/2.0/3.0, a header that is a
// Python dict literal {'descr', 'fortran_order', 'shape'} padded to 64 bytes, then the raw array (io layer).

import { ArgumentError } from "../errors.js";
import { byteswapInPlace, dtypeInfo, FROM_NUMPY, type TorchDType } from "./dtype.js";
import { type Reporter, showCount } from "./errors.js";
import { type Budget, type LoadOptions, startLoad } from "./limits.js";
import { checkedNumel, type StoredTensor, storedFrom, type TensorLike } from "./stored.js";
import { latin1 } from "./text.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ARRAY_ALIGN = 64;
/** format.py GROWTH_AXIS_MAX_DIGITS: spare spaces np.save leaves after the header. */
const GROWTH_AXIS_MAX_DIGITS = 21;

/**
 * Reads a `.npy` file as a StoredTensor in C order, little-endian: big-endian arrays are byte-swapped and
 * Fortran-order arrays transposed (both copies, within `maxAllocation`); others are views of `bytes`.
 */
export function loadNpy(bytes: Uint8Array, options: LoadOptions = {}): StoredTensor {
  const { rep, budget } = startLoad("io.loadNpy", "npy", bytes, options);
  return readNpy(bytes, rep, budget);
}

/** loadNpy's body, shared with loadNpz (one budget for the whole archive). */
export function readNpy(bytes: Uint8Array, rep: Reporter, budget: Budget): StoredTensor {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b))
    rep.fail("not an .npy file: it does not start with \\x93NUMPY");
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0))
    rep.fail(`format version ${major}.${minor} is not supported (1.0, 2.0 and 3.0 are)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix)
    rep.fail(`file is ${bytes.length} bytes, too short for a version ${major}.0 header`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (prefix + headerLength > bytes.length)
    rep.fail(`header length ${headerLength} exceeds the file size ${bytes.length}`);
  const raw = bytes.subarray(prefix, prefix + headerLength);
  let text: string;
  try {
    text = major === 3 ? new TextDecoder("utf-8", { fatal: true }).decode(raw) : latin1(raw);
  } catch {
    return rep.fail("header is not valid UTF-8");
  }
  const header = parseHeader(text, major < 3, rep);
  const { dtype, bigEndian } = parseDescr(header.descr, rep);
  const shape = header.shape;
  const size = dtypeInfo(dtype).size;
  const numel = checkedNumel(shape);
  if (numel < 0 || !Number.isSafeInteger(numel * size)) rep.fail(`shape ${showShape(shape)} is too large`);
  const need = numel * size;
  const data = bytes.subarray(prefix + headerLength);
  if (data.length !== need)
    rep.fail(
      `shape ${showShape(shape)} of '${header.descr}' needs ${showCount(need)} bytes of data, the file has ${showCount(data.length)}`,
    );
  let out = data;
  if (bigEndian && dtypeInfo(dtype).unit > 1) {
    budget.take(need, "byte-swapping the big-endian array");
    out = data.slice();
    byteswapInPlace(out, dtypeInfo(dtype).unit);
  }
  if (header.fortranOrder && shape.filter((d) => d > 1).length > 1) {
    if (out === data) budget.take(need, "reordering the Fortran-order array");
    out = fortranToC(out, shape, size);
  }
  return { dtype, shape, bytes: out };
}

function showShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** Column-major bytes → row-major bytes (a new array). */
function fortranToC(src: Uint8Array, shape: readonly number[], size: number): Uint8Array {
  const n = shape.length;
  const out = new Uint8Array(src.length);
  // Fortran strides in elements: the first index varies fastest.
  const fStride: number[] = [];
  let s = 1;
  for (let d = 0; d < n; d++) {
    fStride.push(s);
    s *= shape[d]!;
  }
  const index = new Array<number>(n).fill(0);
  const total = src.length / size;
  let from = 0;
  for (let k = 0; k < total; k++) {
    out.set(src.subarray(from * size, from * size + size), k * size);
    // Advance the C-order multi-index (last dimension fastest), tracking the Fortran offset.
    for (let d = n - 1; d >= 0; d--) {
      index[d]!++;
      from += fStride[d]!;
      if (index[d]! < shape[d]!) break;
      from -= fStride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

interface NpyHeader {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: number[];
}

type PyLiteral = string | boolean | number | PyLiteral[] | Map<string, PyLiteral>;

/** Parses the header's Python dict literal (the subset np.save writes: str, bool, int, tuple, list, dict). */
function parseHeader(text: string, allowLongSuffix: boolean, rep: Reporter): NpyHeader {
  let i = 0;
  const bad = (what: string): never =>
    rep.fail(`header: ${what} at character ${i} of ${JSON.stringify(text.slice(0, 200))}`);
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const value = (depth: number): PyLiteral => {
    if (depth > 16) bad("nesting too deep");
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) bad("unterminated string");
      const s = text.slice(i + 1, end);
      if (s.includes("\\")) bad("escapes in strings are not supported");
      i = end + 1;
      return s;
    }
    if (c === "(" || c === "[") {
      const close = c === "(" ? ")" : "]";
      i++;
      const items: PyLiteral[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return items;
        }
        items.push(value(depth + 1));
        ws();
        if (text[i] === ",") i++;
        else if (text[i] !== close) bad(`expected ',' or '${close}'`);
      }
    }
    if (c === "{") {
      i++;
      const map = new Map<string, PyLiteral>();
      for (;;) {
        ws();
        if (text[i] === "}") {
          i++;
          return map;
        }
        const key = value(depth + 1);
        if (typeof key !== "string") bad("expected a string key");
        if (map.has(key as string)) bad(`duplicate key '${key}'`);
        ws();
        if (text[i] !== ":") bad("expected ':'");
        i++;
        map.set(key as string, value(depth + 1));
        ws();
        if (text[i] === ",") i++;
        else if (text[i] !== "}") bad("expected ',' or '}'");
      }
    }
    if (text.startsWith("True", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("False", i)) {
      i += 5;
      return false;
    }
    const m = /^-?[0-9]+/.exec(text.slice(i, i + 40));
    if (m === null) return bad("expected a value");
    i += m[0].length;
    if (allowLongSuffix && text[i] === "L") i++; // Python 2's 3L (format.py _filter_header)
    return Number(m[0]);
  };
  const dict = value(0);
  ws();
  if (i !== text.length) bad("unexpected text after the dict");
  if (!(dict instanceof Map)) return bad("the header is not a dict");
  const keys = [...dict.keys()].sort().join(", ");
  if (keys !== "descr, fortran_order, shape") bad(`keys are ${keys}, expected descr, fortran_order, shape`);
  const descr = dict.get("descr");
  const fortranOrder = dict.get("fortran_order");
  const shape = dict.get("shape");
  if (typeof descr !== "string")
    rep.fail(`descr ${JSON.stringify(descr)} is not supported: structured dtypes are not read`);
  if (typeof fortranOrder !== "boolean") rep.fail("fortran_order is not True or False");
  if (!Array.isArray(shape) || checkedNumel(shape) < 0)
    rep.fail(`shape ${JSON.stringify(shape)} is not a tuple of sizes >= 0`);
  return { descr, fortranOrder, shape: shape as number[] };
}

function parseDescr(descr: string, rep: Reporter): { dtype: TorchDType; bigEndian: boolean } {
  const m = /^([<>|=]?)([a-zA-Z])([0-9]+)$/.exec(descr);
  const dtype = m === null ? undefined : FROM_NUMPY.get(`${m[2]}${m[3]}`);
  if (m === null || dtype === undefined)
    return rep.fail(
      `dtype '${descr}' is not supported (rnnkit reads bool, integer, float and complex arrays)`,
    );
  return { dtype, bigEndian: m[1] === ">" };
}

/**
 * Writes `t` as a `.npy` file exactly as `numpy.save` writes the same array: version 1.0 (2.0 for a header
 * past 65535 bytes), little-endian, C order.
 */
export function saveNpy(t: TensorLike): Uint8Array {
  const where = "io.saveNpy";
  const s = storedFrom(where, "t", t);
  const code = dtypeInfo(s.dtype).numpy;
  if (code === null)
    throw new ArgumentError(where, "t.dtype", "has no numpy counterpart", "a numpy dtype", s.dtype);
  const descr = `${dtypeInfo(s.dtype).size === 1 ? "|" : "<"}${code}`;
  const shape = s.shape.length === 0 ? "()" : showShape(s.shape);
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  if (s.shape.length > 0) header += " ".repeat(GROWTH_AXIS_MAX_DIGITS - String(s.shape[0]).length);
  // format.py _wrap_header: pad with spaces and a final newline to a multiple of ARRAY_ALIGN.
  const wrap = (lengthBytes: number) =>
    ARRAY_ALIGN - ((MAGIC.length + 2 + lengthBytes + header.length + 1) % ARRAY_ALIGN);
  let major = 1;
  let pad = wrap(2);
  if (header.length + 1 + pad > 0xffff) {
    major = 2;
    pad = wrap(4);
  }
  const prefix = major === 1 ? 10 : 12;
  const headerLength = header.length + pad + 1;
  const out = new Uint8Array(prefix + headerLength + s.bytes.length);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.fill(0x20, prefix + header.length, prefix + headerLength - 1);
  out[prefix + headerLength - 1] = 0x0a;
  out.set(s.bytes, prefix + headerLength);
  return out;
}
