// The reference kernels (kernels layer): plain TypeScript loops, the oracle for every faster implementation.

import type { Kernels } from "../types.js";
import { gemm } from "./gemm.js";
import { layerBackward, layerForward } from "./layer.js";
import { linearCrossEntropy } from "./losses.js";

export const tsKernels: Kernels = {
  name: "ts",
  detail: "TypeScript reference loops",
  gemm,
  linearCrossEntropy,
  layerForward,
  layerBackward,
};
