// Element types and the typed arrays that hold them (tensor layer).

export type FloatDType = "float32" | "float64";
/** int32 holds indices (Embedding input, lengths) and class targets. */
export type DType = FloatDType | "int32";

export type FloatArray = Float32Array | Float64Array;
export type TypedArray = FloatArray | Int32Array;

export const DTYPES: readonly DType[] = ["float32", "float64", "int32"];

export function isDType(value: unknown): value is DType {
  return typeof value === "string" && (DTYPES as readonly string[]).includes(value);
}

export function isFloatDType(dtype: DType): dtype is FloatDType {
  return dtype === "float32" || dtype === "float64";
}

export function allocArray(dtype: "float32", n: number): Float32Array;
export function allocArray(dtype: "float64", n: number): Float64Array;
export function allocArray(dtype: FloatDType, n: number): FloatArray;
export function allocArray(dtype: DType, n: number): TypedArray;
export function allocArray(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
  }
}

export function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  return "int32";
}
