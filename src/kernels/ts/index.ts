// The reference kernels (kernels layer): plain TypeScript loops, the oracle for every faster implementation.

import type { Kernels } from "../types.js";
import { gruCell, gruCellBackward, lstmCell, lstmCellBackward, rnnCell, rnnCellBackward } from "./cells.js";
import { gemm } from "./gemm.js";
import { linearCrossEntropy } from "./losses.js";

export const tsKernels: Kernels = {
  name: "ts",
  detail: "TypeScript reference loops",
  gemm,
  rnnCell,
  lstmCell,
  gruCell,
  rnnCellBackward,
  lstmCellBackward,
  gruCellBackward,
  linearCrossEntropy,
};
