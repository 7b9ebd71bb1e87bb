// Creating tensors (tensor layer): from data, constants and seeded random draws.

import { ArgumentError } from "../errors.js";
import { type FloatArray, normalFill, uniformFill } from "./distributions.js";
import { allocArray, type DType, dtypeOfArray, type FloatDType, isDType, type TypedArray } from "./dtype.js";
import { defaultGenerator, type Generator } from "./random.js";
import { checkShape, numel, type Shape } from "./shape.js";
import { type NestedArray, Tensor } from "./tensor.js";

export interface TensorOptions {
  readonly shape?: Shape;
  readonly dtype?: DType;
  readonly requiresGrad?: boolean;
}

export interface CreationOptions {
  readonly dtype?: DType;
  readonly requiresGrad?: boolean;
}

export interface RandomOptions {
  readonly dtype?: FloatDType;
  readonly requiresGrad?: boolean;
  readonly generator?: Generator;
}

/**
 * A tensor from a typed array (flat, `shape` defaults to 1-D; used as it is when the dtype matches,
 * not copied), from nested arrays of numbers (shape inferred) or from a number (a 0-D tensor).
 * dtype: the typed array's, else float32 (PyTorch's default).
 */
export function tensor(data: TypedArray | NestedArray, options: TensorOptions = {}): Tensor {
  let flat: TypedArray;
  let shape: Shape;
  if (ArrayBuffer.isView(data)) {
    const dtype = options.dtype ?? dtypeOfArray(data);
    checkDType("tensor", dtype);
    flat = dtype === dtypeOfArray(data) ? data : allocArray(dtype, data.length);
    if (flat !== data) flat.set(data);
    shape = options.shape ?? [data.length];
  } else {
    const inferred = nestedShape(data);
    const dtype = options.dtype ?? "float32";
    checkDType("tensor", dtype);
    flat = allocArray(dtype, numel(inferred));
    let i = 0;
    const fill = (v: NestedArray) => {
      if (typeof v === "number") flat[i++] = v;
      else for (const x of v) fill(x);
    };
    fill(data);
    shape = options.shape ?? inferred;
  }
  checkShape("tensor", shape);
  if (numel(shape) !== flat.length)
    throw new ArgumentError("tensor", "shape", "must hold as many elements as data", flat.length, shape);
  return withGrad(new Tensor(flat, shape), options.requiresGrad);
}

/** Deepest nesting `tensor()` reads: far past any real tensor, short of the call stack. */
const MAX_NESTING = 64;

/** What a value is, for the message when it is not data (never its whole text). */
function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return `an object (${v.constructor?.name ?? "no class"})`;
  return `a ${typeof v}`;
}

function nestedShape(data: NestedArray, where = "data", depth = 0): number[] {
  if (typeof data === "number") return [];
  if (!Array.isArray(data))
    throw new ArgumentError(
      "tensor",
      where,
      "must be a number, an array of them, or a typed array",
      "numbers or nested arrays of numbers",
      kindOf(data),
    );
  if (depth >= MAX_NESTING)
    throw new ArgumentError("tensor", where, "is nested too deeply", `at most ${MAX_NESTING} levels`, depth);
  const shape = [data.length];
  if (data.length === 0) return shape;
  const inner = nestedShape(data[0]!, `${where}[0]`, depth + 1);
  for (const [i, d] of data.entries()) {
    const s = i === 0 ? inner : nestedShape(d, `${where}[${i}]`, depth + 1);
    if (s.length !== inner.length || s.some((x, j) => x !== inner[j]))
      throw new ArgumentError(
        "tensor",
        `${where}[${i}]`,
        `must have the same shape as ${where}[0] (a ragged array)`,
        inner,
        s,
      );
  }
  return [...shape, ...inner];
}

function checkDType(where: string, dtype: unknown): asserts dtype is DType {
  if (!isDType(dtype))
    throw new ArgumentError(where, "dtype", "is not supported", "float32, float64 or int32", dtype);
}

function withGrad(t: Tensor, requiresGrad: boolean | undefined): Tensor {
  if (requiresGrad) {
    if (t.dtype === "int32")
      throw new ArgumentError(
        "tensor",
        "requiresGrad",
        "is only supported for floating point tensors",
        "float32 or float64",
        t.dtype,
      );
    t.requiresGrad = true;
  }
  return t;
}

export function full(shape: Shape, value: number, options: CreationOptions = {}): Tensor {
  const dtype = options.dtype ?? "float32";
  checkDType("full", dtype);
  checkShape("full", shape);
  const data = allocArray(dtype, numel(shape));
  data.fill(value);
  return withGrad(new Tensor(data, shape), options.requiresGrad);
}

export const zeros = (shape: Shape, options: CreationOptions = {}): Tensor => full(shape, 0, options);
export const ones = (shape: Shape, options: CreationOptions = {}): Tensor => full(shape, 1, options);

function random(
  where: string,
  shape: Shape,
  options: RandomOptions,
  fill: (g: Generator, data: FloatArray) => void,
): Tensor {
  const dtype = options.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "float64")
    throw new ArgumentError(where, "dtype", "must be a floating point dtype", "float32 or float64", dtype);
  checkShape(where, shape);
  const data = allocArray(dtype, numel(shape)) as FloatArray;
  fill(options.generator ?? defaultGenerator, data);
  return withGrad(new Tensor(data, shape), options.requiresGrad);
}

/** torch.randn: standard normal draws, PyTorch's for the same seed (see manualSeed). */
export const randn = (shape: Shape, options: RandomOptions = {}): Tensor =>
  random("randn", shape, options, (g, data) => normalFill(g, data, 0, 1));

/** torch.rand: uniform draws in [0, 1), PyTorch's for the same seed. */
export const rand = (shape: Shape, options: RandomOptions = {}): Tensor =>
  random("rand", shape, options, (g, data) => uniformFill(g, data, 0, 1));

/** torch.empty(shape).uniform_(low, high), as torch.nn.init.uniform_ draws it. */
export function uniform(shape: Shape, low: number, high: number, options: RandomOptions = {}): Tensor {
  // uniform_impl_: "uniform_ expects to return a [from, to) range, but found from=1 > to=0".
  if (!(Number.isFinite(low) && Number.isFinite(high) && low <= high))
    throw new ArgumentError("uniform", "low", "must be finite and at most high", `<= ${high}`, low);
  return random("uniform", shape, options, (g, data) => uniformFill(g, data, low, high));
}

/** torch.empty(shape).normal_(mean, std), as torch.nn.init.normal_ draws it. */
export function normal(shape: Shape, mean: number, std: number, options: RandomOptions = {}): Tensor {
  // CHECK_NORMAL_STD: "normal expects std >= 0.0, but found std -1".
  if (!(std >= 0 && Number.isFinite(std) && Number.isFinite(mean)))
    throw new ArgumentError("normal", "std", "must be finite and >= 0.0", ">= 0", std);
  return random("normal", shape, options, (g, data) => normalFill(g, data, mean, std));
}
