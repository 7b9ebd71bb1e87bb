// Which kernel implementation runs (kernels layer). One is active at a time, chosen at start-up:
// the WebAssembly SIMD kernels where the engine has WebAssembly SIMD, the TypeScript reference
// otherwise. In Node, RNNKIT_KERNELS=ts|wasm forces one (wasm fails loudly where it cannot run);
// tests and benchmarks switch with useKernels(). No caller knows which is running.

import { tsKernels } from "./ts/index.js";
import type { Kernels } from "./types.js";
import { loadWasmKernels, loadWasmKernelsAsync } from "./wasm/index.js";
import { envVar } from "./wasm/instance.js";

/** The WASM kernels if they could be loaded synchronously, null if not (yet). */
let wasm: Kernels | null = null;
/** Why the synchronous load failed (a browser's main thread refuses it): initKernels() retries. */
let syncFailure: unknown = null;

function forced(): "ts" | "wasm" | undefined {
  const want = envVar("RNNKIT_KERNELS");
  if (want === undefined || want === "") return undefined;
  if (want !== "ts" && want !== "wasm")
    throw new Error(`rnnkit: RNNKIT_KERNELS must be "ts" or "wasm", got ${JSON.stringify(want)}`);
  return want;
}

let tried = false;

function tryWasm(): Kernels | null {
  if (tried) return wasm;
  tried = true;
  try {
    wasm = loadWasmKernels();
  } catch (e) {
    syncFailure = e;
  }
  return wasm;
}

function initial(): Kernels {
  const want = forced();
  if (want === "ts") return tsKernels;
  const k = tryWasm();
  if (want === "wasm" && !k)
    throw new Error(
      `rnnkit: RNNKIT_KERNELS=wasm, but the WebAssembly SIMD kernels cannot run here${syncFailure ? `: ${String(syncFailure)}` : " (no WebAssembly SIMD)"}`,
    );
  return k ?? tsKernels;
}

let active: Kernels = initial();
/** Whether the choice was made by useKernels() (then initKernels() leaves it alone). */
let chosenByUser = false;

export function kernels(): Kernels {
  return active;
}

/** Makes `k` the implementation every module uses from now on; returns the previous one. */
export function useKernels(k: Kernels): Kernels {
  const previous = active;
  active = k;
  chosenByUser = true;
  return previous;
}

/** Every implementation that can run here (the reference first). */
export function availableKernels(): readonly Kernels[] {
  const w = tryWasm();
  return w ? [tsKernels, w] : [tsKernels];
}

/**
 * Loads the WASM kernels asynchronously where the synchronous start-up could not (a browser's main
 * thread), and makes them active unless RNNKIT_KERNELS or useKernels() chose otherwise. Resolves
 * to the active implementation. Harmless to call anywhere, any number of times.
 */
export async function initKernels(): Promise<Kernels> {
  tryWasm();
  if (!wasm && syncFailure) {
    wasm = await loadWasmKernelsAsync();
    if (wasm && !chosenByUser && forced() !== "ts") active = wasm;
  }
  return active;
}
