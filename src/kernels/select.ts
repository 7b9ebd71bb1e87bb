// Which kernel implementation runs (kernels layer). One is active at a time, chosen at start-up:
// in Node the native kernels where the addon was built, else the WebAssembly SIMD kernels where the
// engine has WebAssembly SIMD, else the TypeScript reference. In Node, RNNKIT_KERNELS=ts|wasm|native
// forces one (wasm and native fail loudly where they cannot run);
// tests and benchmarks switch with useKernels(). No caller knows which is running.
// setThreads(n) lets the WASM kernels split large work over n threads (1 by default; in Node,
// RNNKIT_THREADS=n at start-up); results are the same at any thread count.

import { ArgumentError } from "../errors.js";
import { loadNativeKernels, nativeFailure, setNativeThreads } from "./native/index.js";
import { tsKernels } from "./ts/index.js";
import type { Kernels } from "./types.js";
import {
  loadWasmKernels,
  loadWasmKernelsAsync,
  setWasmThreads,
  wasmThreadsReady,
  wasmVariant,
} from "./wasm/index.js";
import { envVar } from "./wasm/instance.js";

/** The WASM kernels if they could be loaded synchronously, null if not (yet). */
let wasm: Kernels | null = null;
/** Why the synchronous load failed (a browser's main thread refuses it): initKernels() retries. */
let syncFailure: unknown = null;

function forced(): "ts" | "wasm" | "native" | undefined {
  const want = envVar("RNNKIT_KERNELS");
  if (want === undefined || want === "") return undefined;
  if (want !== "ts" && want !== "wasm" && want !== "native")
    throw new Error(`rnnkit: RNNKIT_KERNELS must be "ts", "wasm" or "native", got ${JSON.stringify(want)}`);
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
  const native = want === "native" || want === undefined ? loadNativeKernels() : null;
  if (want === "native") {
    if (!native)
      throw new Error(
        `rnnkit: RNNKIT_KERNELS=native, but the native kernels cannot run here: ${nativeFailure()}`,
      );
    return native;
  }
  if (native) return native;
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

/**
 * Which kernel build is active: `"ts"` (the reference loops), `"wasm-simd"` (WebAssembly SIMD,
 * multiply then add) or `"wasm-relaxed-simd"` (relaxed SIMD: fused multiply-add, about 18% faster
 * products; results within DESIGN.md's tolerances of the others). Node 20's V8 compiles relaxed
 * SIMD only behind `node --experimental-wasm-relaxed-simd` (the rnnkit command sets it for itself;
 * a library leaves its host's flags alone), so there a library user gets `"wasm-simd"` unless the
 * flag is given; Node 22 and current browsers have it.
 */
export function kernelBuild(): Kernels["name"] | "wasm-relaxed-simd" {
  if (active.name !== "wasm-simd") return active.name;
  return wasmVariant() === "relaxed-simd" ? "wasm-relaxed-simd" : "wasm-simd";
}

/** Every implementation that can run here (the reference first, then WASM, then native). */
export function availableKernels(): readonly Kernels[] {
  const w = tryWasm();
  const n = loadNativeKernels();
  return [tsKernels, ...(w ? [w] : []), ...(n ? [n] : [])];
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
    if (wasm && !chosenByUser && forced() === undefined && active === tsKernels) active = wasm;
  }
  return active;
}

// ---------------------------------------------------------------------------------------------
// Threads

/** More than any machine this runs on; a larger count is surely a mistake. */
const MAX_THREADS = 1024;
let threads = 1;

/**
 * Sets how many threads the kernels may use, this one included (default 1). The native kernels run
 * a pool of their own threads (started at once). For the WebAssembly kernels: large
 * products, packing and the time loops of layers with a batch of 8 or more are split over them
 * (worker_threads in Node, Web Workers in browsers, over a shared WebAssembly.Memory; a browser
 * page must be cross-origin isolated). The results are identical at every thread count. Workers
 * start in the background (calls meanwhile use those ready) and never keep a Node process
 * alive; `await threadsReady()` waits for them. setThreads(1) stops them. Where threads cannot run
 * (no shared memory or workers, or the reference kernels are active) the kernels use one.
 */
export function setThreads(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS)
    throw new ArgumentError(
      "setThreads",
      "n",
      "must be a whole number of threads",
      `an integer from 1 to ${MAX_THREADS}`,
      n,
    );
  threads = n;
  setWasmThreads(n);
  if (loadNativeKernels()) setNativeThreads(n);
}

/** The thread count setThreads set (the kernels may use fewer: see threadsReady). */
export function getThreads(): number {
  return threads;
}

/**
 * Resolves once the worker threads asked for are running (or could not start) and those no longer
 * wanted have ended, to the number of threads the kernels can use now.
 */
export async function threadsReady(): Promise<number> {
  if (active.name === "native") return threads; // the native pool starts its threads at once
  return wasmThreadsReady();
}

{
  const env = envVar("RNNKIT_THREADS");
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS)
      throw new Error(
        `rnnkit: RNNKIT_THREADS must be a whole number from 1 to ${MAX_THREADS}, got ${JSON.stringify(env)}`,
      );
    setThreads(n);
  }
}
