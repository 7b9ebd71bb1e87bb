// Stateless functions of the modules (nn layer): PyTorch's torch.nn.functional counterparts.

import { ArgumentError } from "../errors.js";
import {
  allocArray,
  bernoulliFill,
  defaultGenerator,
  type FloatArray,
  type Generator,
  record,
  Tensor,
} from "../tensor/index.js";

/**
 * Inverted dropout, as at::dropout: in training each element is zeroed with probability p and the
 * rest scaled by 1/(1 − p); p = 1 zeroes everything; outside training the input is returned as is.
 * The mask is PyTorch's CPU one for the same generator state: Dropout.cpp `_dropout_impl` draws
 * `noise.bernoulli_(1 − p)` (one uniform double per element, in order; see Note [PyTorch's random
 * stream]) and divides it by 1 − p in the input's dtype; p = 0, p = 1 and eval draw nothing.
 */
export function dropout(
  input: Tensor,
  p: number,
  training: boolean,
  generator: Generator = defaultGenerator,
): Tensor {
  if (!(typeof p === "number" && p >= 0 && p <= 1))
    throw new ArgumentError("dropout", "p", "has to be between 0 and 1", "0 <= p <= 1", p);
  if (!training || p === 0) return input;
  if (input.dtype === "int32")
    throw new ArgumentError(
      "dropout",
      "input.dtype",
      "must be a floating point dtype",
      "float32 or float64",
      input.dtype,
    );
  // The mask holds 0 or 1/(1 − p) per element; the gradient is the same mask times the upstream one.
  const mask = allocArray(input.dtype, input.data.length) as FloatArray;
  if (p < 1 && mask.length > 0) {
    const keep = 1 - p;
    bernoulliFill(generator, mask, keep);
    // noise.div_(1 − p): the scalar is rounded to the dtype first, then 1/(1 − p) in that dtype.
    const scale = mask instanceof Float32Array ? Math.fround(1 / Math.fround(keep)) : 1 / keep;
    for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! * scale;
  }
  const m = new Tensor(mask, input.shape);
  const out = allocArray(input.dtype, mask.length);
  for (let i = 0; i < out.length; i++) out[i] = input.data[i]! * mask[i]!;
  return record("DropoutBackward", [input], [new Tensor(out, input.shape)], ([g]) => [g!.mul(m)]);
}
