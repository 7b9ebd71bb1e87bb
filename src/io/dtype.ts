// PyTorch's element types as the files name them (io layer): one table gives each dtype's size and its
// name in safetensors, numpy (.npy `descr`) and torch.save (storage class, `torch.<dtype>` global).

/**
 * A stored tensor's element type, named as PyTorch names it (`str(torch.float16)` without `torch.`).
 * rnnkit's Tensor holds only float32, float64 and int32; the others are kept as raw bytes and
 * converted by `toTensor`.
 */
export type TorchDType =
  | "float64"
  | "float32"
  | "float16"
  | "bfloat16"
  | "float8_e4m3fn"
  | "float8_e5m2"
  | "float8_e8m0fnu"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint64"
  | "uint32"
  | "uint16"
  | "uint8"
  | "bool"
  | "complex64"
  | "complex128";

interface DTypeInfo {
  /** Bytes per element. */
  readonly size: number;
  /** Bytes per byte-swapped unit when converting endianness (complex numbers swap each half). */
  readonly unit: number;
  /** safetensors' `dtype` string (tensor.rs `Dtype`), or null where the format has none. */
  readonly safetensors: string | null;
  /** numpy's type code without byte order (`f4`), or null where numpy has none. */
  readonly numpy: string | null;
  /** PyTorch 1.13's storage class (`torch.FloatStorage`), or null where it has none. */
  readonly storage: string | null;
}

const INFO = {
  float64: { size: 8, unit: 8, safetensors: "F64", numpy: "f8", storage: "DoubleStorage" },
  float32: { size: 4, unit: 4, safetensors: "F32", numpy: "f4", storage: "FloatStorage" },
  float16: { size: 2, unit: 2, safetensors: "F16", numpy: "f2", storage: "HalfStorage" },
  bfloat16: { size: 2, unit: 2, safetensors: "BF16", numpy: null, storage: "BFloat16Storage" },
  float8_e4m3fn: { size: 1, unit: 1, safetensors: "F8_E4M3", numpy: null, storage: null },
  float8_e5m2: { size: 1, unit: 1, safetensors: "F8_E5M2", numpy: null, storage: null },
  float8_e8m0fnu: { size: 1, unit: 1, safetensors: "F8_E8M0", numpy: null, storage: null },
  int64: { size: 8, unit: 8, safetensors: "I64", numpy: "i8", storage: "LongStorage" },
  int32: { size: 4, unit: 4, safetensors: "I32", numpy: "i4", storage: "IntStorage" },
  int16: { size: 2, unit: 2, safetensors: "I16", numpy: "i2", storage: "ShortStorage" },
  int8: { size: 1, unit: 1, safetensors: "I8", numpy: "i1", storage: "CharStorage" },
  uint64: { size: 8, unit: 8, safetensors: "U64", numpy: "u8", storage: null },
  uint32: { size: 4, unit: 4, safetensors: "U32", numpy: "u4", storage: null },
  uint16: { size: 2, unit: 2, safetensors: "U16", numpy: "u2", storage: null },
  uint8: { size: 1, unit: 1, safetensors: "U8", numpy: "u1", storage: "ByteStorage" },
  bool: { size: 1, unit: 1, safetensors: "BOOL", numpy: "b1", storage: "BoolStorage" },
  complex64: { size: 8, unit: 4, safetensors: "C64", numpy: "c8", storage: "ComplexFloatStorage" },
  complex128: { size: 16, unit: 8, safetensors: null, numpy: "c16", storage: "ComplexDoubleStorage" },
} as const satisfies Record<TorchDType, DTypeInfo>;

export const TORCH_DTYPES = Object.keys(INFO) as readonly TorchDType[];

export function isTorchDType(value: unknown): value is TorchDType {
  return typeof value === "string" && Object.hasOwn(INFO, value);
}

/** Bytes per element of `dtype`. */
export function dtypeSize(dtype: TorchDType): number {
  return INFO[dtype].size;
}

export function dtypeInfo(dtype: TorchDType): DTypeInfo {
  return INFO[dtype];
}

function invert(field: "safetensors" | "numpy" | "storage"): ReadonlyMap<string, TorchDType> {
  const out = new Map<string, TorchDType>();
  for (const d of TORCH_DTYPES) {
    const name = INFO[d][field];
    if (name !== null) out.set(name, d);
  }
  return out;
}

/** safetensors `dtype` → TorchDType. */
export const FROM_SAFETENSORS = invert("safetensors");
/** numpy type code (`f4`, `b1`) → TorchDType. */
export const FROM_NUMPY = invert("numpy");
/** Storage class name (`FloatStorage`) → TorchDType. */
export const FROM_STORAGE = invert("storage");

/** True where this machine stores typed arrays little-endian (every platform Node and browsers ship on). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of every `unit`-byte group of `bytes`, in place. */
export function byteswapInPlace(bytes: Uint8Array, unit: number): void {
  if (unit === 1) return;
  for (let i = 0; i + unit <= bytes.length; i += unit)
    for (let a = i, b = i + unit - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
}
