// The native kernels (kernels layer): loaded once, in Node, where the addon was built.

import type { Kernels } from "../types.js";
import { addonFailure, loadAddon } from "./addon.js";
import { makeNativeKernels } from "./kernels.js";

let loaded: Kernels | null | undefined;

/** The native kernels, or null where the addon is not built or cannot load (nativeFailure says why). */
export function loadNativeKernels(): Kernels | null {
  if (loaded !== undefined) return loaded;
  const addon = loadAddon();
  loaded = addon ? makeNativeKernels(addon) : null;
  return loaded;
}

/** Threads the native kernels may use (this one included); the pool starts them at once. */
export function setNativeThreads(n: number): void {
  loadAddon()?.setThreads(n);
}

export function nativeFailure(): string {
  return addonFailure();
}
