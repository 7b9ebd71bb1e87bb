// Worker threads for the WebAssembly kernels (kernels layer): worker_threads in Node, Web Workers in
// browsers, every thread running its own instance of the same module over one shared
// WebAssembly.Memory. A worker is a tiny JavaScript loop (WORKER below, started from source text,
// so it needs no file next to the library: the same in src/ under tsx and in dist/): it instantiates
// the compiled module it is handed, then waits for jobs and runs kernel calls.
//
// A job (one phase of a kernel call: packing, a product, the time loops) is a list of independent
// calls, "chunks" (split.ts makes them: more chunks than threads). Every thread, the main one
// included, claims the next unclaimed chunk from a shared counter until none is left, so a worker
// that starts late or runs slower simply does fewer chunks; the main thread returns when every
// chunk is done. Which thread runs a chunk never changes its result (split.ts), so neither does
// the scheduling. Measured on the 2-core VM: a worker that slept between calls takes 30 µs to
// ~3 ms to wake up and then runs 10–40% slower for a few ms; with halves fixed in advance the
// main thread waited for it, with chunks it takes over the rest.
//
// Shared state: per worker a small control block (its job: calls, count, phase; SEQ / DONE), and
// one counter block for the pool: the claim word (phase << 12 | next chunk), the chunks done, an
// error flag. A claim is a compare-and-swap on the claim word, so a worker still holding the job
// of a finished phase finds another phase in it and claims nothing. The main thread writes a
// worker's job only once the worker has acknowledged the previous one (DONE = SEQ); a worker that
// has not (asleep, or waking) is left out of the job and joins a later one. Atomics.store /
// Atomics.load order the plain writes around them (the calls before the claim word and SEQ; the
// results before the done count).
//
// Waiting: a worker spins on Atomics.load (a hand-over costs 1–3 µs) for SPIN_MS after a job, then
// blocks in Atomics.wait; a call that will split its work wakes the workers first (wake()), so
// their wake-up overlaps with copying its operands in. The main thread spins for the done count,
// then blocks (browser main threads may not block: they only spin).

import { CALLABLE, type Call, type Runner, type Wasm } from "./instance.js";

export const poolTuning = {
  /** Whether the main thread claims chunks too (tests turn it off to make workers run everything). */
  mainClaims: true,
};

/** How long an idle worker spins before it blocks in Atomics.wait, ms (and again after a wake()). */
const SPIN_MS = 0.5;
/** How long the main thread spins for the last chunks before it blocks, ms. */
const MAIN_SPIN_MS = 20;
/** Chunks per job, at most (the control block's size; the claim word would allow 4095). */
export const MAX_CHUNKS = 256;
const MAX_ARGS = 15;
const CALL_F64 = 1 + MAX_ARGS;
// Worker control block: i32 header (64 bytes), then the calls as float64s.
const SEQ = 0;
const DONE = 1;
const NCALLS = 2;
const STATE = 3; // 0 starting, 1 ready, 2 gone (quit or failed)
const PHASE = 4;
const HEADER_BYTES = 64;
// Pool counter block (i32): the claim word, chunks done, error flag; each on its own cache line.
const CLAIM = 0;
const DONE_CHUNKS = 16;
const FAILED = 32;
const COUNTER_BYTES = 192;

/**
 * The worker's whole program, as source text. `d`: { module, memory, ctl, counter, scratch, names,
 * spinMs }. Constants are inlined by workerSource().
 */
const WORKER = `function rnnkitWorker(d) {
  const h = new Int32Array(d.ctl, 0, 16);
  const q = new Int32Array(d.counter);
  try {
    const ex = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
    ex.set_scratch(d.scratch);
    const fns = d.names.map((n) => ex[n]);
    const a = new Float64Array(d.ctl, HEADER_BYTES);
    Atomics.store(h, STATE, 1);
    let seen = 0;
    for (;;) {
      let s = Atomics.load(h, SEQ);
      if (s === seen) {
        let t0 = performance.now();
        for (let k = 1; (s = Atomics.load(h, SEQ)) === seen; k++)
          if ((k & 1023) === 0 && performance.now() - t0 > d.spinMs) {
            Atomics.wait(h, SEQ, seen);
            t0 = performance.now();
          }
      }
      seen = s;
      const n = h[NCALLS];
      if (n < 0) break;
      const phase = h[PHASE];
      for (;;) {
        const v = Atomics.load(q, CLAIM);
        const c = v & 4095;
        if (v >>> 12 !== phase || c >= n) break;
        if (Atomics.compareExchange(q, CLAIM, v, v + 1) !== v) continue;
        try {
          const o = c * CALL_F64;
          fns[a[o]](a[o + 1], a[o + 2], a[o + 3], a[o + 4], a[o + 5], a[o + 6], a[o + 7], a[o + 8],
            a[o + 9], a[o + 10], a[o + 11], a[o + 12], a[o + 13], a[o + 14], a[o + 15]);
        } catch (e) {
          Atomics.store(q, FAILED, 1);
        }
        if (Atomics.add(q, DONE_CHUNKS, 1) + 1 === n) Atomics.notify(q, DONE_CHUNKS);
      }
      Atomics.store(h, DONE, s);
    }
  } catch (e) {
    // Instantiation failed: STATE 2 keeps this worker out of every job.
  }
  Atomics.store(h, STATE, 2);
  Atomics.notify(q, DONE_CHUNKS);
}`;

function workerSource(): string {
  const constants: Record<string, number> = {
    HEADER_BYTES,
    CALL_F64,
    SEQ,
    DONE,
    NCALLS,
    STATE,
    PHASE,
    CLAIM,
    DONE_CHUNKS,
    FAILED,
  };
  return WORKER.replace(/\b[A-Z][A-Z_0-9]+\b/g, (name) =>
    name in constants ? String(constants[name]) : name,
  );
}

/** The two kinds of worker this file starts, reduced to what it uses. */
interface AnyWorker {
  terminate(): unknown;
}
interface NodeWorker extends AnyWorker {
  ref(): void;
  unref(): void;
  on(event: "error" | "exit", fn: (x: unknown) => void): void;
}
type NodeWorkerCtor = new (
  code: string,
  options: { eval: true; workerData: unknown; execArgv: string[] },
) => NodeWorker;
interface BrowserWorker extends AnyWorker {
  postMessage(data: unknown): void;
  onerror: ((e: unknown) => void) | null;
}
type BrowserWorkerCtor = new (url: string) => BrowserWorker;

/**
 * Node's worker_threads, reached without an import statement (src/ imports no Node built-in, and a
 * bundler for the browser must not see one): process.getBuiltinModule (Node ≥ 20.16), else a
 * dynamic import whose specifier is a variable. Null outside Node.
 */
function nodeWorkerThreads(): NodeWorkerCtor | Promise<NodeWorkerCtor | null> | null {
  const proc = (
    globalThis as {
      process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
    }
  ).process;
  if (!proc?.versions?.node) return null;
  if (typeof proc.getBuiltinModule === "function") {
    const wt = proc.getBuiltinModule("node:worker_threads") as { Worker?: NodeWorkerCtor } | undefined;
    return wt?.Worker ?? null;
  }
  const spec = "node:worker_threads";
  return (import(/* webpackIgnore: true */ /* @vite-ignore */ spec) as Promise<{ Worker: NodeWorkerCtor }>)
    .then((m) => m.Worker)
    .catch(() => null);
}

/** Web Workers, where this is a browser (a page must also be cross-origin isolated: Wasm.shared). */
function browserWorker(): BrowserWorkerCtor | null {
  const g = globalThis as {
    Worker?: BrowserWorkerCtor;
    Blob?: unknown;
    URL?: { createObjectURL?: unknown };
  };
  return typeof g.Worker === "function" && typeof g.Blob === "function" && g.URL?.createObjectURL
    ? g.Worker
    : null;
}

/** Whether worker threads can be started in this environment at all (with a shared memory: instance.ts). */
export function workersAvailable(): boolean {
  return nodeWorkerThreads() !== null || browserWorker() !== null;
}

class Slot {
  ctl: SharedArrayBuffer;
  head: Int32Array;
  args: Float64Array;
  worker: AnyWorker | null = null;
  /** Resolves when the worker's thread has ended (Node: its exit event). */
  readonly exited: Promise<void>;
  private resolveExit: () => void = () => {};
  seq = 0;
  /** The worker failed to start or ended (its error or exit event): never used again. */
  failed = false;

  constructor() {
    this.ctl = new SharedArrayBuffer(HEADER_BYTES + MAX_CHUNKS * CALL_F64 * 8);
    this.head = new Int32Array(this.ctl, 0, 16);
    this.args = new Float64Array(this.ctl, HEADER_BYTES);
    this.exited = new Promise((r) => {
      this.resolveExit = r;
    });
  }

  ended(): void {
    this.failed = true;
    this.resolveExit();
  }

  ready(): boolean {
    return !this.failed && Atomics.load(this.head, STATE) === 1;
  }

  settled(): boolean {
    return this.failed || Atomics.load(this.head, STATE) !== 0;
  }

  /** Ready, and done with the job it was last given (so its control block may be rewritten). */
  idle(): boolean {
    return this.ready() && Atomics.load(this.head, DONE) === this.seq;
  }
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function mayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The worker threads of one Wasm instance. `resize(n)` asks for n threads in all (this one
 * included): workers start or stop in the background; `ready()` resolves once the pool matches.
 */
export class Pool implements Runner {
  private readonly w: Wasm;
  private readonly slots: Slot[] = [];
  /** Workers asked to stop whose threads may still be running. */
  private retiring: Promise<void>[] = [];
  private pendingStart: Promise<void> | null = null;
  private readonly block: boolean;
  private readonly index: Map<string, number>;
  private readonly counter = new SharedArrayBuffer(COUNTER_BYTES);
  private readonly q = new Int32Array(this.counter);
  private phase = 0;
  private blobUrl: string | null = null;
  /** Chunks run by workers so far (for tests). */
  chunksOnWorkers = 0;

  constructor(w: Wasm) {
    this.w = w;
    this.block = mayBlock();
    this.index = new Map(CALLABLE.map((name, i) => [name, i]));
  }

  /** Worker threads requested (this thread not counted). */
  get workers(): number {
    return this.slots.length;
  }

  threads(): number {
    let n = 1;
    for (const s of this.slots) if (s.ready()) n++;
    return n;
  }

  resize(threads: number): void {
    const want = Math.max(0, threads - 1);
    while (this.slots.length > want) this.stop(this.slots.pop()!);
    if (want === 0 && this.blobUrl) {
      (globalThis as unknown as { URL: { revokeObjectURL(u: string): void } }).URL.revokeObjectURL(
        this.blobUrl,
      );
      this.blobUrl = null;
    }
    if (this.slots.length < want) {
      this.w.reserveScratch(want);
      while (this.slots.length < want) this.start(this.slots.length);
    }
  }

  /** Resolves with the threads usable once every requested worker has started (or failed) and every stopped one has ended. */
  async ready(): Promise<number> {
    if (this.pendingStart) await this.pendingStart;
    await Promise.all(this.retiring);
    this.retiring = [];
    while (!this.slots.every((s) => s.settled())) await new Promise((r) => setTimeout(r, 1));
    return this.threads();
  }

  private start(i: number): void {
    const slot = new Slot();
    this.slots.push(slot);
    const data = {
      module: this.w.module,
      memory: this.w.memory,
      ctl: slot.ctl,
      counter: this.counter,
      scratch: this.w.scratchBase + i * this.w.ex.thread_scratch_bytes(),
      names: CALLABLE,
      spinMs: SPIN_MS,
    };
    const fail = () => slot.ended();
    const node = nodeWorkerThreads();
    const spawnNode = (Worker: NodeWorkerCtor | null): void => {
      if (!Worker || slot.failed) {
        fail();
        return;
      }
      try {
        // No Node options for the worker (it would inherit the parent's, e.g. --input-type=module
        // or a loader such as tsx, which its plain CommonJS source needs not); V8's flags (relaxed
        // SIMD) are process-wide and it gets the module compiled anyway.
        const worker = new Worker(`(${workerSource()})(require("node:worker_threads").workerData);`, {
          eval: true,
          workerData: data,
          execArgv: [],
        });
        worker.unref();
        worker.on("error", fail);
        worker.on("exit", fail);
        slot.worker = worker;
      } catch {
        fail();
      }
    };
    if (node instanceof Promise) {
      const p = node.then(spawnNode);
      this.pendingStart = this.pendingStart ? this.pendingStart.then(() => p) : p;
      return;
    }
    if (node) {
      spawnNode(node);
      return;
    }
    const Worker = browserWorker();
    if (!Worker) {
      fail();
      return;
    }
    try {
      if (!this.blobUrl) {
        const g = globalThis as unknown as {
          Blob: new (parts: string[], o: { type: string }) => object;
          URL: { createObjectURL(b: object): string };
        };
        const text = `self.onmessage = (e) => { self.onmessage = null; (${workerSource()})(e.data); };`;
        this.blobUrl = g.URL.createObjectURL(new g.Blob([text], { type: "text/javascript" }));
      }
      const worker = new Worker(this.blobUrl);
      worker.onerror = fail;
      worker.postMessage(data);
      slot.worker = worker;
    } catch {
      fail();
    }
  }

  private stop(slot: Slot): void {
    slot.head[NCALLS] = -1;
    Atomics.store(slot.head, SEQ, ++slot.seq);
    Atomics.notify(slot.head, SEQ);
    const worker = slot.worker;
    if (worker && "unref" in worker) {
      // Node: the loop returns and the thread ends by itself; its exit event resolves `exited`
      // (referenced meanwhile, so that an awaited threadsReady() keeps the process up for it).
      (worker as NodeWorker).ref();
      this.retiring.push(slot.exited);
    } else {
      worker?.terminate();
      slot.ended();
    }
  }

  /**
   * Wakes sleeping workers ahead of a call that will split its work (they spin for SPIN_MS): their
   * wake-up then overlaps with copying the operands in.
   */
  wake(): void {
    for (const s of this.slots) if (s.ready()) Atomics.notify(s.head, SEQ);
  }

  /** Runs the chunks on this thread and on up to `threads` − 1 idle workers; returns when all are done. */
  run(chunks: readonly Call[], threads: number): void {
    const n = chunks.length;
    if (n > MAX_CHUNKS) {
      this.w.runLocal(chunks);
      return;
    }
    const q = this.q;
    this.phase = (this.phase + 1) & 0xfffff;
    Atomics.store(q, DONE_CHUNKS, 0);
    Atomics.store(q, FAILED, 0);
    // Open the phase before any worker looks at it.
    Atomics.store(q, CLAIM, this.phase << 12);
    const helpers: Slot[] = [];
    for (const slot of this.slots) {
      if (helpers.length >= threads - 1 || helpers.length >= n - 1) break;
      if (!slot.idle()) continue;
      this.write(slot, chunks);
      slot.head[PHASE] = this.phase;
      Atomics.store(slot.head, SEQ, ++slot.seq);
      Atomics.notify(slot.head, SEQ);
      helpers.push(slot);
    }
    let mine = 0;
    let error: unknown = null;
    for (; poolTuning.mainClaims || helpers.length === 0; ) {
      const v = Atomics.load(q, CLAIM);
      const c = v & 4095;
      if (c >= n) break;
      if (Atomics.compareExchange(q, CLAIM, v, v + 1) !== v) continue;
      try {
        this.w.runLocal([chunks[c]!]);
      } catch (e) {
        error ??= e;
      }
      Atomics.add(q, DONE_CHUNKS, 1);
      mine++;
    }
    this.chunksOnWorkers += n - mine;
    // Even after an error: no worker may still be writing when this call returns.
    this.waitAll(n, helpers);
    if (error !== null) throw error;
    if (Atomics.load(q, FAILED) !== 0)
      throw new Error("rnnkit internal error: a kernel call failed in a worker thread");
  }

  private write(slot: Slot, chunks: readonly Call[]): void {
    const a = slot.args;
    for (let c = 0; c < chunks.length; c++) {
      const [name, ...args] = chunks[c]!;
      const o = c * CALL_F64;
      a[o] = this.index.get(name)!;
      for (let j = 0; j < MAX_ARGS; j++) a[o + 1 + j] = args[j] ?? 0;
    }
    slot.head[NCALLS] = chunks.length;
  }

  /** Waits until n chunks are done: spinning, then blocking (where allowed). */
  private waitAll(n: number, helpers: readonly Slot[]): void {
    const q = this.q;
    const t0 = performance.now();
    for (let k = 1; ; k++) {
      const done = Atomics.load(q, DONE_CHUNKS);
      if (done === n) return;
      if ((k & 1023) !== 0) continue;
      if (helpers.some((s) => Atomics.load(s.head, STATE) === 2) && Atomics.load(q, DONE_CHUNKS) !== n)
        throw new Error("rnnkit internal error: a kernel worker thread stopped during a call");
      if (this.block && performance.now() - t0 > MAIN_SPIN_MS) Atomics.wait(q, DONE_CHUNKS, done, 100);
    }
  }
}
