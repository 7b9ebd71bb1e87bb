// Loading rnnkit's native addon (kernels layer), built from native/ by node-gyp at install
// (native/install.mjs). Node only: the addon is reached through process.getBuiltinModule("module")
// so that nothing under src/ imports a Node built-in and a browser bundle sees none. Where the
// addon is missing (no compiler at install, a browser, an older Node) loadAddon() says why.

/** The addon's functions (native/src/addon.cc); arrays with element offsets, extents checked here. */
export interface Addon {
  isa(): string;
  /** Threads in all, this one included; minWorkPerThread: multiply-adds before a phase is split. */
  setThreads(n: number, minWorkPerThread?: number): number;
  /** Chunks of split phases the pool's workers ran (not the calling thread). */
  workerChunks(): number;
  packedElems(f64: boolean, n: number, k: number): number;
  pack(
    f64: boolean,
    transB: boolean,
    n: number,
    k: number,
    b: ArrayBufferView,
    bOff: number,
    ldb: number,
    dst: ArrayBufferView,
    dstOff: number,
  ): void;
  gemm(ints: Int32Array, arrays: readonly (ArrayBufferView | null)[], offsets: Int32Array): void;
  layerForward(ints: Int32Array, arrays: readonly (ArrayBufferView | null)[], offsets: Int32Array): void;
  layerBackward(ints: Int32Array, arrays: readonly (ArrayBufferView | null)[], offsets: Int32Array): void;
  linearCrossEntropy(
    ints: Int32Array,
    arrays: readonly (ArrayBufferView | null)[],
    offsets: Int32Array,
  ): void;
}

type Require = (id: string) => unknown;

let addon: Addon | null | undefined;
let failure = "";

/** The addon, or null (then addonFailure() says why). Loaded once. */
export function loadAddon(): Addon | null {
  if (addon !== undefined) return addon;
  addon = null;
  const proc = (
    globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }
  ).process;
  if (!proc?.versions?.node) {
    failure = "not Node";
    return null;
  }
  if (typeof proc.getBuiltinModule !== "function") {
    failure = "this Node has no process.getBuiltinModule (Node ≥ 20.16)";
    return null;
  }
  const mod = proc.getBuiltinModule("node:module") as { createRequire(url: string): Require };
  const require = mod.createRequire(import.meta.url);
  // src/kernels/native/ (tsx), dist/src/kernels/native/ (the ES build) or dist/cjs/ (the CommonJS
  // bundle): the build is at the package's root.
  const tried: string[] = [];
  for (const up of ["../../../", "../../../../", "../../"]) {
    const file = new URL(`${up}build/Release/rnnkit_native.node`, import.meta.url);
    try {
      addon = require(file.pathname) as Addon;
      return addon;
    } catch (e) {
      tried.push(`${file.pathname}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  failure = `the native addon is not built (npm install builds it where a C++ compiler is present): ${tried.join("; ")}`;
  return null;
}

export function addonFailure(): string {
  return failure;
}
