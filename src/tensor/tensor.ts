// Tensor: a dtype, a shape and a contiguous row-major typed array (tensor layer).
// The elementwise, reduction and shape operations live in ops.ts; the methods here are PyTorch's spellings.

import type { BackwardOptions, Node } from "../autograd/tape.js";
import { ArgumentError } from "../errors.js";
import { type DType, dtypeOfArray, type TypedArray } from "./dtype.js";
import { backward } from "./grad.js";
import * as ops from "./ops.js";
import { numel, type Shape } from "./shape.js";

/**
 * Version counters of data arrays (PyTorch's `_version`), kept per array so that every Tensor over
 * one array (detach, reshape) shares its counter. Bumped by every in-place update rnnkit makes
 * (optimizer steps, loadStateDict); kernels keep packed copies of weights until it changes.
 */
const versions = new WeakMap<TypedArray, number>();

/** A nested array of numbers, as `Tensor.toArray()` returns and `tensor()` accepts. */
export type NestedArray = number | NestedArray[];

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Row-major, contiguous; `data.length === numel(shape)`. Shared, not copied, by `detach` and `reshape`. */
  readonly data: TypedArray;
  /** Whether gradients flow to this tensor (set it on leaves; operations set it on their outputs). */
  requiresGrad = false;
  /** The accumulated gradient of a leaf after backward(). */
  grad: Tensor | null = null;
  /** The recorded operation that produced this tensor; null for leaves. */
  gradFn: Node<Tensor> | null = null;
  outputIndex = 0;

  constructor(data: TypedArray, shape: Shape) {
    if (data.length !== numel(shape))
      throw new ArgumentError(
        "Tensor",
        "data.length",
        "must equal the product of shape",
        numel(shape),
        data.length,
      );
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOfArray(data);
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  numel(): number {
    return this.data.length;
  }

  dim(): number {
    return this.shape.length;
  }

  size(dim?: number): number | readonly number[] {
    return dim === undefined ? this.shape : this.shape.at(dim)!;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1)
      throw new ArgumentError(
        "Tensor.item",
        "numel()",
        "must be 1 (a one-element tensor)",
        1,
        this.data.length,
      );
    return this.data[0]!;
  }

  /** True for tensors no recorded operation produced (parameters, inputs). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /**
   * Accumulates the gradient of this tensor with respect to every leaf that requires one into the
   * leaves' `grad`. `gradient` defaults to 1 for a one-element tensor and is required otherwise.
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    backward(this, gradient, options);
  }

  /** Sets requiresGrad on a leaf (PyTorch's requires_grad_). */
  requiresGrad_(requiresGrad = true): this {
    if (!this.isLeaf && !requiresGrad)
      throw new ArgumentError(
        "requiresGrad_",
        "requiresGrad",
        "can only be turned off on leaves; use detach()",
        true,
        requiresGrad,
      );
    if (requiresGrad && this.dtype === "int32")
      throw new ArgumentError(
        "requiresGrad_",
        "dtype",
        "must be floating point to require gradients",
        "float32 or float64",
        this.dtype,
      );
    this.requiresGrad = requiresGrad;
    return this;
  }

  /**
   * How many in-place updates `data` has had (PyTorch's `_version`; shared by tensors over the same
   * data). Optimizer steps and loadStateDict bump it; after writing into `data` yourself, call
   * bumpVersion(), or the kernels may keep using weights packed before the write.
   */
  get version(): number {
    return versions.get(this.data) ?? 0;
  }

  /** Records an in-place change of `data` (see version). */
  bumpVersion(): void {
    versions.set(this.data, (versions.get(this.data) ?? 0) + 1);
  }

  /** The same data, cut from the graph (shares memory, as PyTorch's detach does). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy with its own data (gradients pass through it). */
  clone(): Tensor {
    return ops.clone(this);
  }

  /** Converts to another dtype (a copy; `this` when the dtype is already `dtype`). */
  to(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }

  toArray(): NestedArray {
    return ops.toNested(this);
  }

  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return ops.reshape(this, flatShape(shape));
  }

  view(...shape: number[] | [readonly number[]]): Tensor {
    return ops.reshape(this, flatShape(shape));
  }

  transpose(dim0: number, dim1: number): Tensor {
    return ops.transpose(this, dim0, dim1);
  }

  permute(...dims: number[]): Tensor {
    return ops.permute(this, dims);
  }

  unsqueeze(dim: number): Tensor {
    return ops.unsqueeze(this, dim);
  }

  squeeze(dim?: number): Tensor {
    return ops.squeeze(this, dim);
  }

  add(other: Tensor | number): Tensor {
    return ops.add(this, other);
  }

  sub(other: Tensor | number): Tensor {
    return ops.sub(this, other);
  }

  mul(other: Tensor | number): Tensor {
    return ops.mul(this, other);
  }

  div(other: Tensor | number): Tensor {
    return ops.div(this, other);
  }

  neg(): Tensor {
    return ops.neg(this);
  }

  exp(): Tensor {
    return ops.exp(this);
  }

  log(): Tensor {
    return ops.log(this);
  }

  tanh(): Tensor {
    return ops.tanh(this);
  }

  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }

  relu(): Tensor {
    return ops.relu(this);
  }

  softmax(dim: number): Tensor {
    return ops.softmax(this, dim);
  }

  logSoftmax(dim: number): Tensor {
    return ops.logSoftmax(this, dim);
  }

  /** This tensor broadcast to `shape` (a copy). */
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return ops.expand(this, flatShape(shape));
  }

  /** Elements [start, start + length) of `dim`. */
  narrow(dim: number, start: number, length: number): Tensor {
    return ops.narrow(this, dim, start, length);
  }

  /** The `index`-th slice along `dim`, that dimension removed (x[i] for dim 0). */
  select(dim: number, index: number): Tensor {
    return ops.select(this, dim, index);
  }

  indexSelect(dim: number, index: ArrayLike<number> | Tensor): Tensor {
    return ops.indexSelect(this, dim, index instanceof Tensor ? index.data : index);
  }

  /** Sum of all elements, or along `dim` (PyTorch's `sum(dim, keepdim)`). */
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    return ops.sum(this, dim, keepdim);
  }

  mean(dim?: number | readonly number[], keepdim = false): Tensor {
    return ops.mean(this, dim, keepdim);
  }

  /** PyTorch's matmul: 1-D and 2-D products and broadcast batched products. */
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(", ")}], dtype=${this.dtype})`;
  }
}

function flatShape(args: number[] | [readonly number[]]): number[] {
  const first = args[0];
  return Array.isArray(first) ? [...first] : (args as number[]);
}
