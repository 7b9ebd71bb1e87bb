// The WebAssembly SIMD kernels (kernels layer): the build this engine supports (relaxed SIMD with
// FMA, else plain SIMD), compiled once, on first use; and their worker threads (threads.ts).
//
// The kernels start on a non-shared memory (copies into it are faster: single time steps notice).
// The first setThreads(n > 1) moves them to a new instance over a shared memory, where the workers
// join, and they stay there. The move happens between kernel calls (JavaScript runs one at a time)
// and nothing lives in WASM memory between calls, so callers never see it.

import type { Kernels } from "../types.js";
import {
  canShareMemory,
  detectVariant,
  instantiateAsync,
  instantiateSync,
  type Variant,
  type Wasm,
} from "./instance.js";
import { makeWasmKernels } from "./kernels.js";
import { Pool, workersAvailable } from "./threads.js";

let loaded: Kernels | null = null;
/** The instance the kernels run on (replaced by a shared one when threads start). */
const ref: { w: Wasm | null } = { w: null };
let pool: Pool | null = null;
/** Threads asked for (setWasmThreads), applied when the kernels load if they have not yet. */
let wanted = 1;
/** A shared instance being compiled asynchronously (where synchronous compilation is refused). */
let moving: Promise<void> | null = null;

/** Whether this engine has WebAssembly SIMD (and so can run these kernels); which build if so. */
export function wasmVariant(): Variant | null {
  return detectVariant();
}

function adopt(w: Wasm): Kernels {
  ref.w = w;
  loaded = makeWasmKernels(ref as { readonly w: Wasm });
  applyThreads();
  return loaded;
}

/**
 * The WASM kernels, compiled synchronously (Node, workers), or null where WebAssembly SIMD is
 * missing. Throws where synchronous compilation is refused (a browser's main thread): use
 * loadWasmKernelsAsync there.
 */
export function loadWasmKernels(): Kernels | null {
  if (loaded) return loaded;
  const variant = detectVariant();
  if (!variant) return null;
  return adopt(instantiateSync(variant));
}

export async function loadWasmKernelsAsync(): Promise<Kernels | null> {
  if (loaded) return loaded;
  const variant = detectVariant();
  if (!variant) return null;
  const w = await instantiateAsync(variant);
  return loaded ?? adopt(w);
}

function applyThreads(): void {
  const w = ref.w;
  if (!w) return;
  if (wanted > 1 && !w.shared && !moving && canShareMemory() && workersAvailable()) {
    try {
      ref.w = instantiateSync(w.variant, true);
    } catch {
      // A browser's main thread refuses synchronous compilation: move when the async one is done.
      moving = instantiateAsync(w.variant, true).then(
        (shared) => {
          ref.w = shared;
          moving = null;
          applyThreads();
        },
        () => {
          moving = null;
        },
      );
      return;
    }
  }
  if (ref.w?.shared && !pool && wanted > 1) {
    pool = new Pool(ref.w);
    ref.w.runner = pool;
  }
  pool?.resize(wanted);
}

/** Asks for n threads in all (this one included); workers start and stop in the background. */
export function setWasmThreads(n: number): void {
  wanted = n;
  applyThreads();
}

/** Resolves, once the workers asked for have started (or failed to) and stopped ones have ended, to the threads usable. */
export async function wasmThreadsReady(): Promise<number> {
  if (moving) await moving;
  return pool ? pool.ready() : 1;
}

/** The worker pool, if threads were ever asked for (tests look at what it ran). */
export function wasmPool(): Pool | null {
  return pool;
}
