// Recording tensor operations on the tape (tensor layer) and Tensor.backward's checks.

import { type BackwardOptions, isGradEnabled, makeNode, runBackward } from "../autograd/tape.js";
import { ArgumentError } from "../errors.js";
import { allocArray } from "./dtype.js";
import { sameShape } from "./shape.js";
import { Tensor } from "./tensor.js";

/** Whether an operation on `inputs` must be recorded: recording is on and one of them needs a gradient. */
export function needsGrad(...inputs: readonly (Tensor | null | undefined)[]): boolean {
  return isGradEnabled() && inputs.some((t) => t?.requiresGrad === true);
}

/**
 * Records an operation that computed `outputs` from `inputs`, with its derivative written beside it:
 * `backward` gets one gradient per output (null where none arrived) and returns one per input.
 * Does nothing when no input needs a gradient or recording is off. Returns the first output.
 */
export function record(
  name: string,
  inputs: readonly (Tensor | null)[],
  outputs: readonly Tensor[],
  backward: (gradOutputs: readonly (Tensor | null)[]) => readonly (Tensor | null)[],
): Tensor {
  if (needsGrad(...inputs)) {
    const node = makeNode<Tensor>(name, inputs, outputs.length, backward);
    for (const [i, o] of outputs.entries()) {
      o.requiresGrad = true;
      o.gradFn = node;
      o.outputIndex = i;
    }
  }
  return outputs[0]!;
}

/** Tensor.backward: checks the root and the gradient as torch.autograd.backward does, then runs the tape. */
export function backward(root: Tensor, gradient: Tensor | undefined, options: BackwardOptions): void {
  if (!root.requiresGrad)
    throw new ArgumentError(
      "backward",
      "tensor",
      "does not require grad and does not have a gradFn",
      "requiresGrad true",
      false,
    );
  let seed: Tensor;
  if (gradient === undefined) {
    if (root.numel() !== 1)
      throw new ArgumentError(
        "backward",
        "gradient",
        "can be implicitly created only for scalar outputs",
        "a gradient for a non-scalar output",
        `shape [${root.shape.join(", ")}]`,
      );
    const one = allocArray(root.dtype, 1);
    one[0] = 1;
    seed = new Tensor(one, root.shape);
  } else {
    if (!(gradient instanceof Tensor))
      throw new ArgumentError("backward", "gradient", "must be a Tensor", "Tensor", typeof gradient);
    if (!sameShape(gradient.shape, root.shape))
      throw new ArgumentError(
        "backward",
        "gradient.shape",
        "must match the output's shape (Mismatch in shape)",
        root.shape,
        gradient.shape,
      );
    seed = gradient.dtype === root.dtype ? gradient : gradient.to(root.dtype);
  }
  runBackward([root], [seed], { add: (a, b) => a.add(b), copy: (a) => a.detach().clone() }, options);
}
