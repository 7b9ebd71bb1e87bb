// StoredTensor: a tensor as a file holds it, PyTorch's dtype and raw little-endian bytes kept losslessly,
// and the conversions to and from rnnkit's Tensor (io layer).

import { ArgumentError } from "../errors.js";
import { Tensor } from "../tensor/index.js";
import {
  byteswapInPlace,
  dtypeInfo,
  dtypeSize,
  HOST_LITTLE_ENDIAN,
  isTorchDType,
  type TorchDType,
} from "./dtype.js";

/**
 * A tensor as stored in a file: PyTorch's dtype, its shape and its elements as contiguous row-major
 * (C order) little-endian bytes, `bytes.length === numel(shape) * dtypeSize(dtype)`.
 *
 * Loaders return `bytes` as a view into the file's bytes where they can (no copy): copy it before
 * changing the file's buffer.
 */
export interface StoredTensor {
  readonly dtype: TorchDType;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/** What the writers accept for a tensor: a StoredTensor, or a Tensor (float32, float64, int32). */
export type TensorLike = StoredTensor | Tensor;

/**
 * Named tensors in order. A Map keeps any key order; a plain object keeps its insertion order except
 * that JavaScript lists integer-like keys ("0", "12") first, so use a Map for those.
 */
export type TensorDict = ReadonlyMap<string, TensorLike> | Readonly<Record<string, TensorLike>>;

/** True for a StoredTensor-shaped value (a plain object with dtype, shape and bytes). */
export function isStoredTensor(value: unknown): value is StoredTensor {
  if (typeof value !== "object" || value === null || value instanceof Tensor) return false;
  const v = value as { dtype?: unknown; shape?: unknown; bytes?: unknown };
  return isTorchDType(v.dtype) && Array.isArray(v.shape) && v.bytes instanceof Uint8Array;
}

/** numel(shape), or -1 when a dimension is not a non-negative safe integer or the product is not safe. */
export function checkedNumel(shape: readonly unknown[]): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) return -1;
    n *= d;
    if (!Number.isSafeInteger(n)) return -1;
  }
  return n;
}

/** Validates one writer input and returns it as a StoredTensor. */
export function storedFrom(where: string, key: string, value: unknown): StoredTensor {
  if (value instanceof Tensor) return fromTensor(value);
  const arg = `dict['${key}']`;
  if (typeof value !== "object" || value === null)
    throw new ArgumentError(
      where,
      arg,
      "must be a Tensor or a StoredTensor",
      "{ dtype, shape, bytes }",
      value,
    );
  const v = value as { dtype?: unknown; shape?: unknown; bytes?: unknown };
  if (!isTorchDType(v.dtype))
    throw new ArgumentError(
      where,
      `${arg}.dtype`,
      "must be a PyTorch dtype name",
      "'float32', 'int64', ...",
      v.dtype,
    );
  if (!Array.isArray(v.shape) || checkedNumel(v.shape) < 0)
    throw new ArgumentError(where, `${arg}.shape`, "must hold non-negative integers", "sizes >= 0", v.shape);
  if (!(v.bytes instanceof Uint8Array))
    throw new ArgumentError(where, `${arg}.bytes`, "must be a Uint8Array", "Uint8Array", typeof v.bytes);
  const want = checkedNumel(v.shape) * dtypeSize(v.dtype);
  if (v.bytes.length !== want)
    throw new ArgumentError(
      where,
      `${arg}.bytes.length`,
      "must equal numel(shape) * itemsize",
      want,
      v.bytes.length,
    );
  return { dtype: v.dtype, shape: [...(v.shape as number[])], bytes: v.bytes };
}

/** The entries of a TensorDict, validated, in order. */
export function dictEntries(where: string, dict: TensorDict): [string, StoredTensor][] {
  if (typeof dict !== "object" || dict === null)
    throw new ArgumentError(
      where,
      "dict",
      "must be a Map or an object of tensors",
      "Map<string, Tensor>",
      dict,
    );
  const entries: [string, unknown][] = dict instanceof Map ? [...dict] : Object.entries(dict);
  return entries.map(([key, value]) => {
    if (typeof key !== "string")
      throw new ArgumentError(where, "dict keys", "must be strings", "string", key);
    return [key, storedFrom(where, key, value)];
  });
}

/** The elements of `bytes` (little-endian) in a fresh, aligned buffer in the host's byte order. */
function hostCopy(bytes: Uint8Array, unit: number): ArrayBuffer {
  // Not bytes.slice(): on a Node Buffer (a Uint8Array subclass) slice() is a view, not a copy.
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (!HOST_LITTLE_ENDIAN) byteswapInPlace(copy, unit);
  return copy.buffer;
}

/**
 * A StoredTensor as an rnnkit Tensor. float32, float64 and int32 keep their values; float16, bfloat16 and
 * the float8 types become float32 exactly; bool, int8/16, uint8/16 become int32 exactly; int64, uint32 and
 * uint64 become int32 when every value fits (otherwise an error names the key, index and value). Complex
 * dtypes have no rnnkit counterpart.
 */
export function toTensor(stored: StoredTensor, name = "tensor"): Tensor {
  const where = "io.toTensor";
  const s = storedFrom(where, name, stored);
  const n = s.bytes.length / dtypeSize(s.dtype);
  const u = dtypeInfo(s.dtype).unit;
  switch (s.dtype) {
    case "float32":
      return new Tensor(new Float32Array(hostCopy(s.bytes, u)), s.shape);
    case "float64":
      return new Tensor(new Float64Array(hostCopy(s.bytes, u)), s.shape);
    case "int32":
      return new Tensor(new Int32Array(hostCopy(s.bytes, u)), s.shape);
    case "float16": {
      const src = new Uint16Array(hostCopy(s.bytes, u));
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = halfToFloatBits(src[i]!);
      return new Tensor(out, s.shape);
    }
    case "bfloat16": {
      const src = new Uint16Array(hostCopy(s.bytes, u));
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = src[i]! << 16;
      return new Tensor(out, s.shape);
    }
    case "float8_e5m2": {
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = halfToFloatBits(s.bytes[i]! << 8);
      return new Tensor(out, s.shape);
    }
    case "float8_e4m3fn": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = e4m3fnToNumber(s.bytes[i]!);
      return new Tensor(out, s.shape);
    }
    case "float8_e8m0fnu": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = s.bytes[i] === 0xff ? Number.NaN : 2 ** (s.bytes[i]! - 127);
      return new Tensor(out, s.shape);
    }
    case "bool": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = s.bytes[i] === 0 ? 0 : 1;
      return new Tensor(out, s.shape);
    }
    case "uint8":
      return new Tensor(Int32Array.from(s.bytes), s.shape);
    case "int8":
      return new Tensor(Int32Array.from(new Int8Array(s.bytes.buffer, s.bytes.byteOffset, n)), s.shape);
    case "int16":
      return new Tensor(Int32Array.from(new Int16Array(hostCopy(s.bytes, u))), s.shape);
    case "uint16":
      return new Tensor(Int32Array.from(new Uint16Array(hostCopy(s.bytes, u))), s.shape);
    case "uint32": {
      const src = new Uint32Array(hostCopy(s.bytes, u));
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (src[i]! > 0x7fffffff) outOfInt32(where, name, s.dtype, i, BigInt(src[i]!));
        out[i] = src[i]!;
      }
      return new Tensor(out, s.shape);
    }
    case "int64":
    case "uint64": {
      // Halves in host order of a little-endian int64: low word first.
      const words = new Int32Array(hostCopy(s.bytes, 4));
      const out = new Int32Array(n);
      const signed = s.dtype === "int64";
      for (let i = 0; i < n; i++) {
        const lo = words[HOST_LITTLE_ENDIAN ? 2 * i : 2 * i + 1]!;
        const hi = words[HOST_LITTLE_ENDIAN ? 2 * i + 1 : 2 * i]!;
        const fits = signed ? hi === lo >> 31 : hi === 0 && lo >= 0;
        if (!fits) {
          const view = new DataView(s.bytes.buffer, s.bytes.byteOffset + 8 * i, 8);
          outOfInt32(
            where,
            name,
            s.dtype,
            i,
            signed ? view.getBigInt64(0, true) : view.getBigUint64(0, true),
          );
        }
        out[i] = lo;
      }
      return new Tensor(out, s.shape);
    }
    case "complex64":
    case "complex128":
      throw new ArgumentError(where, `'${name}'.dtype`, "has no rnnkit counterpart", "a real dtype", s.dtype);
  }
}

function outOfInt32(where: string, name: string, dtype: TorchDType, index: number, value: bigint): never {
  throw new ArgumentError(
    where,
    `'${name}' (${dtype})`,
    `must fit in int32 to become a Tensor; index ${index} does not`,
    "values in [-2147483648, 2147483647]",
    value.toString(),
  );
}

/** IEEE binary16 bits → binary32 bits, exactly (c10 `fp16_ieee_to_fp32_bits`: NaN payloads kept). */
function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal half: shift the mantissa up until its leading 1 reaches the implicit bit.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** float8 e4m3fn (bias 7, no infinities, S.1111.111 is NaN) → number, exactly. */
function e4m3fnToNumber(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 3) & 0xf;
  const mant = b & 7;
  if (exp === 0xf && mant === 7) return Number.NaN;
  return exp === 0 ? sign * mant * 2 ** -9 : sign * (1 + mant / 8) * 2 ** (exp - 7);
}

/**
 * A Tensor as a StoredTensor of the same dtype. On little-endian hosts (all that Node and browsers run on)
 * `bytes` is a view of `t.data`, not a copy.
 */
export function fromTensor(t: Tensor): StoredTensor {
  if (!(t instanceof Tensor))
    throw new ArgumentError("io.fromTensor", "t", "must be a Tensor", "Tensor", typeof t);
  const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const bytes = HOST_LITTLE_ENDIAN ? view : view.slice();
  if (!HOST_LITTLE_ENDIAN) byteswapInPlace(bytes, t.data.BYTES_PER_ELEMENT);
  return { dtype: t.dtype, shape: [...t.shape], bytes };
}

/**
 * Every tensor of a state dict as a Tensor (see `toTensor`), as the plain object that
 * `Module.loadStateDict` takes.
 */
export function toTensors(dict: ReadonlyMap<string, StoredTensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [key, stored] of dict)
    Object.defineProperty(out, key, {
      value: toTensor(stored, key),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}
