// Loading the WebAssembly kernels (kernels layer): feature detection, compilation (sync in Node and
// workers, async for browser main threads) and the memory arena the kernels work in. The bytes are
// embedded base64 by asm/build.mjs (binary.generated.ts), so nothing here touches a file system.

import type { F } from "../types.js";
import { RELAXED_WASM, SIMD_WASM } from "./binary.generated.js";

// The part of the WebAssembly JS API used here (the project's TypeScript libs declare no WebAssembly).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  readonly exports: object;
}
interface WasmApi {
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
  compile(bytes: Uint8Array<ArrayBuffer>): Promise<object>;
  instantiate(module: object, imports: object): Promise<WasmInstance>;
}
const WA = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** What asm/kernels.ts exports. Pointers are byte offsets into `memory`; leading dimensions in elements. */
export interface WasmExports {
  readonly memory: WasmMemory;
  heap_base(): number;
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
  colsum(m: number, rows: number, cols: number, out: number): void;
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

/** Compiles and instantiates synchronously (Node, workers; browsers refuse large modules on the main thread). */
export function instantiateSync(variant: Variant): Wasm {
  const module = new WA!.Module(bytesOf(variant));
  return new Wasm(new WA!.Instance(module, {}).exports as WasmExports, variant);
}

export async function instantiateAsync(variant: Variant): Promise<Wasm> {
  const module = await WA!.compile(bytesOf(variant));
  const instance = await WA!.instantiate(module, {});
  return new Wasm(instance.exports as WasmExports, variant);
}

/**
 * One instance and its memory, used as an arena: a call plans its buffers, `begin(bytes)` grows the
 * memory once if needed, `take` hands out 16-byte aligned pieces. Calls never nest (one thread).
 */
export class Wasm {
  readonly ex: WasmExports;
  readonly variant: Variant;
  readonly f32ops: Ops;
  readonly f64ops: Ops;
  private readonly base: number;
  private top = 0;
  private end = 0;
  private buffer: ArrayBuffer | null = null;
  private v32 = new Float32Array(0);
  private v64 = new Float64Array(0);

  constructor(ex: WasmExports, variant: Variant) {
    this.ex = ex;
    this.variant = variant;
    this.base = ex.heap_base();
    this.f32ops = ops(ex, "f32");
    this.f64ops = ops(ex, "f64");
  }

  /** Resets the arena to hold `bytes` (plus alignment slack for `pieces` allocations). */
  begin(bytes: number, pieces = 64): void {
    const need = this.base + bytes + pieces * 16;
    const mem = this.ex.memory;
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
    const buf = this.ex.memory.buffer;
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
