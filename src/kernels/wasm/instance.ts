// Loading the WebAssembly kernels (kernels layer): feature detection, compilation (sync in Node and
// workers, async for browser main threads), the memory the kernels work in (shared where the engine
// allows it, so that worker threads can join: threads.ts) and the arena inside it. The bytes are
// embedded base64 by asm/build.mjs (binary.generated.ts), so nothing here touches a file system.

import type { F } from "../types.js";
import { MAX_PAGES, RELAXED_WASM, SIMD_WASM } from "./binary.generated.js";

// The part of the WebAssembly JS API used here (the project's TypeScript libs declare no WebAssembly).
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  readonly exports: object;
}
interface WasmApi {
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
  Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
  compile(bytes: Uint8Array<ArrayBuffer>): Promise<object>;
  instantiate(module: object, imports: object): Promise<WasmInstance>;
}
const WA = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** What asm/kernels.ts exports. Pointers are byte offsets into `memory`; leading dimensions in elements. */
export interface WasmExports {
  readonly memory: WasmMemory;
  init(): void;
  heap_base(): number;
  thread_scratch_bytes(): number;
  act_f32(which: number, p: number, n: number): void;
  gemm_scratch(f64: boolean, transA: boolean, m: number, n: number, k: number): number;
  packed_bytes(f64: boolean, n: number, k: number): number;
  packed_wide_bytes(f64: boolean, n: number, k: number): number;
  // The dtype-specific kernels, by suffix (see Ops below).
  [name: string]: unknown;
}

/** The kernels of one dtype, with the suffix resolved. */
export interface Ops {
  readonly f64: boolean;
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    beta: number,
    c: number,
    ldc: number,
    scratch: number,
  ): void;
  pack(transB: boolean, n: number, k: number, b: number, ldb: number, dst: number): void;
  gemmPacked(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    bp: number,
    beta: number,
    c: number,
    ldc: number,
  ): void;
  /** Batch-1 products: op(B) packed in wide panels, c[0, n] = β·c + a·op(B). */
  packWide(transB: boolean, n: number, k: number, b: number, ldb: number, dst: number): void;
  gemvWide(n: number, k: number, a: number, bp: number, beta: number, c: number): void;
  /** C = β·C + A·Bᵀ, B [n, k] unpacked (row stride ldb): for one-off products. */
  gemmNT(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    beta: number,
    c: number,
    ldc: number,
  ): void;
  rnnCell(rows: number, H: number, relu: boolean, xg: number, hg: number, h: number): void;
  lstmCell(rows: number, H: number, xg: number, hg: number, c: number, hOut: number): void;
  gruCell(rows: number, H: number, xg: number, hg: number, bHh: number, hasB: boolean, h: number): void;
  rnnCellBackward(
    rows: number,
    H: number,
    relu: boolean,
    h: number,
    hLd: number,
    dh: number,
    dG: number,
  ): void;
  lstmCellBackward(
    rows: number,
    H: number,
    gates: number,
    c: number,
    cPrev: number,
    dh: number,
    dc: number,
    dG: number,
  ): void;
  gruCellBackward(
    rows: number,
    H: number,
    gates: number,
    ghn: number,
    hPrev: number,
    dh: number,
    dXG: number,
    dHG: number,
  ): void;
  add(dst: number, src: number, n: number): void;
  colsum(m: number, rows: number, cols: number, ld: number, out: number): void;
  /** The export name of a kernel of this dtype ("pack" → "pack_f32"), for calls run on threads. */
  name(kernel: Kernel): string;
}

/** The kernels a thread can be asked to run (Wasm.run), by base name; the dtype suffix is added. */
export const KERNELS = [
  "pack",
  "pack_wide",
  "gemm_packed",
  "gemm_packed_bias",
  "gemm_nt",
  "transpose",
  "colsum",
  "ce_rows",
  "layer_fwd",
  "layer_bwd",
] as const;
export type Kernel = (typeof KERNELS)[number];

/** Every export a worker may call, in a fixed order (its index is what crosses threads). */
export const CALLABLE: readonly string[] = KERNELS.flatMap((k) => [`${k}_f32`, `${k}_f64`]);

/** One kernel call: the export name and its arguments (booleans as 0 / 1). */
export type Call = readonly [name: string, ...args: number[]];

/** Runs independent calls ("chunks") on several threads, this one included; returns when all are done. */
export interface Runner {
  /** Threads usable right now (this one included). */
  threads(): number;
  run(chunks: readonly Call[], threads: number): void;
  /** Gets sleeping threads going ahead of a call that will use them. */
  wake(): void;
}

// The smallest modules that use the feature: () -> v128 of two/three v128.const and one
// f32x4.add (SIMD) or f32x4.relaxed_madd (relaxed SIMD).
const HEADER = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01,
  0x00,
];
const V128_CONST = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const SIMD_PROBE: Uint8Array<ArrayBuffer> = new Uint8Array([
  ...HEADER,
  ...[0x0a, 0x2b, 0x01, 0x29, 0x00, ...V128_CONST, ...V128_CONST, 0xfd, 0xe4, 0x01, 0x0b],
]);
const RELAXED_PROBE: Uint8Array<ArrayBuffer> = new Uint8Array([
  ...HEADER,
  ...[0x0a, 0x3d, 0x01, 0x3b, 0x00, ...V128_CONST, ...V128_CONST, ...V128_CONST, 0xfd, 0x85, 0x02, 0x0b],
]);

export type Variant = "relaxed-simd" | "simd";

/**
 * Whether this engine can share a WebAssembly.Memory between threads: Node, and browsers on a
 * cross-origin isolated page (COOP/COEP headers; otherwise shared memory cannot reach a worker).
 */
export function canShareMemory(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  if (!WA || typeof g.SharedArrayBuffer !== "function" || g.crossOriginIsolated === false) return false;
  try {
    new WA.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

function readLeb(b: Uint8Array, pos: number): [value: number, next: number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const byte = b[pos++]!;
    v += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [v, pos];
  }
}

/**
 * The module with its imported memory declared non-shared: the limits flag of the memory import
 * (0x03 shared + maximum) becomes 0x01. The kernels use no atomic instructions, so that is the
 * whole difference between the two; sizes are unchanged.
 */
function unshare(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos]!;
    const [size, body] = readLeb(bytes, pos + 1);
    if (id === 2) {
      let [count, p] = readLeb(bytes, body);
      for (; count > 0; count--) {
        const [modLen, m] = readLeb(bytes, p);
        const [fieldLen, f] = readLeb(bytes, m + modLen);
        p = f + fieldLen;
        const kind = bytes[p++]!;
        if (kind === 2) {
          if (bytes[p] === 0x03) bytes[p] = 0x01;
          return bytes;
        }
        if (kind === 0) p = readLeb(bytes, p)[1];
        else if (kind === 1) {
          const flag = bytes[p + 1]!;
          p = readLeb(bytes, p + 2)[1];
          if (flag & 1) p = readLeb(bytes, p)[1];
        } else p += 2;
      }
    }
    pos = body + size;
  }
  throw new Error("rnnkit internal error: the wasm kernels import no memory");
}

/** Which build this engine runs: relaxed SIMD (FMA) when it validates, else plain SIMD, else none. */
export function detectVariant(): Variant | null {
  if (!WA) return null;
  const forced = envVar("RNNKIT_WASM");
  if (forced === "simd") return WA.validate(SIMD_PROBE) ? "simd" : null;
  if (WA.validate(RELAXED_PROBE)) return "relaxed-simd";
  return WA.validate(SIMD_PROBE) ? "simd" : null;
}

/** An environment variable in Node (read without importing node:process), undefined elsewhere. */
export function envVar(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name];
}

function bytesOf(variant: Variant): Uint8Array<ArrayBuffer> {
  const text = atob(variant === "relaxed-simd" ? RELAXED_WASM : SIMD_WASM);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** The module's bytes and the memory to instantiate it with. */
function prepare(variant: Variant, shared: boolean): { bytes: Uint8Array<ArrayBuffer>; memory: WasmMemory } {
  const bytes = shared ? bytesOf(variant) : unshare(bytesOf(variant));
  const memory = new WA!.Memory({ initial: 1, maximum: MAX_PAGES, ...(shared ? { shared: true } : {}) });
  return { bytes, memory };
}

/**
 * Compiles and instantiates synchronously (Node, workers; browsers refuse large modules on the main
 * thread). `shared`: over a shared memory (for threads; see canShareMemory). A non-shared memory is
 * the default: copies into it are ~30% faster (V8 copies into shared buffers word by word), which
 * single time steps (streaming) notice.
 */
export function instantiateSync(variant: Variant, shared = false): Wasm {
  const { bytes, memory } = prepare(variant, shared);
  const module = new WA!.Module(bytes);
  const ex = new WA!.Instance(module, { env: { memory } }).exports as WasmExports;
  return new Wasm(ex, variant, module, memory, shared);
}

export async function instantiateAsync(variant: Variant, shared = false): Promise<Wasm> {
  const { bytes, memory } = prepare(variant, shared);
  const module = await WA!.compile(bytes);
  const instance = await WA!.instantiate(module, { env: { memory } });
  return new Wasm(instance.exports as WasmExports, variant, module, memory, shared);
}

/**
 * One instance and its memory, used as an arena: a call plans its buffers, `begin(bytes)` grows the
 * memory once if needed, `take` hands out 16-byte aligned pieces. Calls never nest; while one runs,
 * worker threads (the `runner`) may work inside its buffers, never outside them.
 */
export class Wasm {
  readonly ex: WasmExports;
  readonly variant: Variant;
  /** The compiled module and its memory: what a worker thread instantiates again. */
  readonly module: object;
  readonly memory: WasmMemory;
  /** Whether the memory is shared (then worker threads can join). */
  readonly shared: boolean;
  readonly f32ops: Ops;
  readonly f64ops: Ops;
  /** Where the per-thread scratch blocks of workers start (heap_base), and the arena after them. */
  readonly scratchBase: number;
  private base: number;
  private top = 0;
  private end = 0;
  private buffer: ArrayBuffer | SharedArrayBuffer | null = null;
  private v32: Float32Array = new Float32Array(0);
  private v64: Float64Array = new Float64Array(0);
  private readonly fns: Map<string, (...args: number[]) => void>;
  /** Runs calls on several threads; null: this thread only. Set by threads.ts. */
  runner: Runner | null = null;

  constructor(ex: WasmExports, variant: Variant, module: object, memory: WasmMemory, shared: boolean) {
    this.ex = ex;
    this.variant = variant;
    this.module = module;
    this.memory = memory;
    this.shared = shared;
    ex.init();
    this.scratchBase = ex.heap_base();
    this.base = this.scratchBase;
    this.f32ops = ops(ex, "f32");
    this.f64ops = ops(ex, "f64");
    this.fns = new Map(CALLABLE.map((name) => [name, ex[name] as (...args: number[]) => void]));
  }

  /** Keeps scratch for `workers` worker threads below the arena (only between calls). */
  reserveScratch(workers: number): void {
    this.base = Math.max(this.base, this.scratchBase + workers * this.ex.thread_scratch_bytes());
  }

  /** Wakes the worker threads ahead of a call that will split its work (see threads.ts). */
  wake(): void {
    this.runner?.wake();
  }

  /** Threads a call may split its work over now (1 without a runner). */
  threads(): number {
    return this.runner ? this.runner.threads() : 1;
  }

  /**
   * Runs independent calls on up to `threads` threads (this one included) and returns when all are
   * done; on one thread, here in order. The calls write disjoint outputs and compute each the same
   * way on any thread, so the results do not depend on which thread ran what.
   */
  run(chunks: readonly Call[], threads: number): void {
    if (threads > 1 && chunks.length > 1 && this.runner) this.runner.run(chunks, threads);
    else this.runLocal(chunks);
  }

  /** Runs calls on this thread. */
  runLocal(calls: readonly Call[]): void {
    for (const [name, ...args] of calls) this.fns.get(name)!(...args);
  }

  /** Resets the arena to hold `bytes` (plus alignment slack for `pieces` allocations). */
  begin(bytes: number, pieces = 64): void {
    const need = this.base + bytes + pieces * 16;
    const mem = this.memory;
    if (need > MAX_PAGES * 65536)
      throw new RangeError(
        `rnnkit: a kernel call needs ${need} bytes of WebAssembly memory, more than its 4 GiB maximum`,
      );
    if (need > mem.buffer.byteLength) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    this.top = this.base;
    this.end = need;
  }

  /** A 16-byte aligned block of `bytes` from the arena. */
  take(bytes: number): number {
    const p = this.top;
    this.top = (p + bytes + 15) & ~15;
    if (this.top > this.end) throw new RangeError("rnnkit internal error: wasm arena overrun");
    return p;
  }

  /** The memory as float32s / float64s (views refreshed after a grow). */
  f32(): Float32Array {
    this.refresh();
    return this.v32;
  }

  f64(): Float64Array {
    this.refresh();
    return this.v64;
  }

  view(f64: boolean): Float32Array | Float64Array {
    this.refresh();
    return f64 ? this.v64 : this.v32;
  }

  private refresh(): void {
    const buf = this.memory.buffer;
    if (buf !== this.buffer) {
      this.buffer = buf;
      this.v32 = new Float32Array(buf);
      this.v64 = new Float64Array(buf);
    }
  }
}

function ops(ex: WasmExports, suffix: "f32" | "f64"): Ops {
  const get = <T>(name: string): T => {
    const fn = ex[`${name}_${suffix}`];
    if (typeof fn !== "function")
      throw new Error(`rnnkit internal error: wasm export ${name}_${suffix} missing`);
    return fn as T;
  };
  return {
    f64: suffix === "f64",
    gemm: get("gemm"),
    pack: get("pack"),
    gemmPacked: get("gemm_packed"),
    packWide: get("pack_wide"),
    gemvWide: get("gemv_wide"),
    gemmNT: get("gemm_nt"),
    rnnCell: get("rnn_cell"),
    lstmCell: get("lstm_cell"),
    gruCell: get("gru_cell"),
    rnnCellBackward: get("rnn_cell_backward"),
    lstmCellBackward: get("lstm_cell_backward"),
    gruCellBackward: get("gru_cell_backward"),
    add: get("add"),
    colsum: get("colsum"),
    name: (kernel) => `${kernel}_${suffix}`,
  };
}

/** Copies x[off + r·ld + (0..cols)] for r < rows into the memory at ptr, densely (row stride cols). */
export function putRows(
  mem: F,
  ptr: number,
  x: F,
  off: number,
  rows: number,
  cols: number,
  ld: number,
): void {
  const base = ptr / (mem instanceof Float64Array ? 8 : 4);
  if (rows <= 0 || cols <= 0) return;
  if (ld === cols) mem.set(x.subarray(off, off + rows * cols), base);
  else for (let r = 0; r < rows; r++) mem.set(x.subarray(off + r * ld, off + r * ld + cols), base + r * cols);
}

/** The inverse of putRows: dense rows at ptr to x[off + r·ld ...]. */
export function getRows(
  mem: F,
  ptr: number,
  x: F,
  off: number,
  rows: number,
  cols: number,
  ld: number,
): void {
  const base = ptr / (mem instanceof Float64Array ? 8 : 4);
  if (rows <= 0 || cols <= 0) return;
  if (ld === cols) x.set(mem.subarray(base, base + rows * cols), off);
  else
    for (let r = 0; r < rows; r++) x.set(mem.subarray(base + r * cols, base + (r + 1) * cols), off + r * ld);
}
