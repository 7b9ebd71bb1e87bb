// Which kernel implementation runs (kernels layer). One is active at a time, chosen at start-up;
// tests and benchmarks force one with useKernels(). No caller knows which is running.

import { tsKernels } from "./ts/index.js";
import type { Kernels } from "./types.js";

let active: Kernels = tsKernels;

export function kernels(): Kernels {
  return active;
}

/** Makes `k` the implementation every module uses from now on; returns the previous one. */
export function useKernels(k: Kernels): Kernels {
  const previous = active;
  active = k;
  return previous;
}

/** Every implementation that can run here (the reference first). */
export function availableKernels(): readonly Kernels[] {
  return [tsKernels];
}
