// The WebAssembly SIMD kernels (kernels layer): the build this engine supports (relaxed SIMD with
// FMA, else plain SIMD), compiled once, on first use.

import type { Kernels } from "../types.js";
import { detectVariant, instantiateAsync, instantiateSync, type Variant } from "./instance.js";
import { makeWasmKernels } from "./kernels.js";

let loaded: Kernels | null = null;

/** Whether this engine has WebAssembly SIMD (and so can run these kernels); which build if so. */
export function wasmVariant(): Variant | null {
  return detectVariant();
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
  loaded = makeWasmKernels(instantiateSync(variant));
  return loaded;
}

export async function loadWasmKernelsAsync(): Promise<Kernels | null> {
  if (loaded) return loaded;
  const variant = detectVariant();
  if (!variant) return null;
  const w = await instantiateAsync(variant);
  loaded ??= makeWasmKernels(w);
  return loaded;
}
