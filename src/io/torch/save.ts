// torch.save for state dicts (io layer): the zip format PyTorch 1.13 writes for
// `torch.save(OrderedDict(...))`, byte for byte, which `torch.load(f, weights_only=True)` reads.
// The pickle is what Python's pickle module (protocol 2) writes for an OrderedDict of tensors, each
// reduced to torch._utils._rebuild_tensor_v2 over its own storage (torch/_tensor.py `_reduce_ex_internal`,
// torch/serialization.py `_save`).

import { ArgumentError } from "../../errors.js";
import { dtypeInfo } from "../dtype.js";
import { dictEntries, type TensorDict } from "../stored.js";
import { writeTorchZip } from "../zip.js";

export interface SaveTorchOptions {
  /** The archive's folder name; torch.save uses "archive" for a buffer, the file's stem for a path. */
  readonly archiveName?: string;
}

/** pickle.py's protocol 2 writer, reduced to what a state dict needs, memoizing as Python does. */
class Pickler {
  private readonly out: number[] = [];
  private readonly memo = new Map<string, number>();
  private fresh = 0;

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
  op(...codes: number[]): void {
    for (const c of codes) this.out.push(c);
  }
  private u32(v: number): void {
    this.out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  private raw(data: Uint8Array): void {
    for (const b of data) this.out.push(b);
  }
  /** Records the object just written under `key` (BINPUT/LONG_BINPUT), as pickle.py `memoize`. */
  put(key: string = `#${this.fresh++}`): void {
    const index = this.memo.size;
    this.memo.set(key, index);
    if (index < 256) this.op(0x71, index);
    else {
      this.op(0x72);
      this.u32(index);
    }
  }
  /** Writes BINGET/LONG_BINGET when `key` was memoized; returns whether it was. */
  private get(key: string): boolean {
    const index = this.memo.get(key);
    if (index === undefined) return false;
    if (index < 256) this.op(0x68, index);
    else {
      this.op(0x6a);
      this.u32(index);
    }
    return true;
  }
  global(module: string, name: string): void {
    const key = `global:${module}.${name}`;
    if (this.get(key)) return;
    this.op(0x63);
    this.raw(new TextEncoder().encode(`${module}\n${name}\n`));
    this.put(key);
  }
  /**
   * BINUNICODE. `interned` strings are one object in Python ('storage', 'cpu': literals in
   * serialization.py), so they are memoized by value; other strings are new objects each time.
   */
  str(s: string, interned = false): void {
    if (interned && this.get(`str:${s}`)) return;
    const data = new TextEncoder().encode(s);
    this.op(0x58);
    this.u32(data.length);
    this.raw(data);
    this.put(interned ? `str:${s}` : undefined);
  }
  /** pickle.py `save_long` for protocol 2. */
  int(v: number): void {
    if (v >= 0 && v <= 0xff) this.op(0x4b, v);
    else if (v >= 0 && v <= 0xffff) this.op(0x4d, v & 0xff, v >> 8);
    else if (v >= -0x80000000 && v <= 0x7fffffff) {
      this.op(0x4a);
      this.u32(v >>> 0);
    } else {
      // LONG1: two's complement, little-endian, shortest form that keeps the sign.
      let x = BigInt(v);
      const bytes: number[] = [];
      while (true) {
        bytes.push(Number(x & 0xffn));
        x >>= 8n;
        const sign = (bytes[bytes.length - 1]! & 0x80) !== 0;
        if ((x === 0n && !sign) || (x === -1n && sign)) break;
      }
      this.op(0x8a, bytes.length, ...bytes);
    }
  }
  /** A tuple of ints: EMPTY_TUPLE, TUPLE1..3 or MARK ... TUPLE, memoized unless empty. */
  intTuple(items: readonly number[]): void {
    if (items.length === 0) {
      this.op(0x29);
      return;
    }
    if (items.length > 3) this.op(0x28);
    for (const v of items) this.int(v);
    this.op(items.length === 1 ? 0x85 : items.length === 2 ? 0x86 : items.length === 3 ? 0x87 : 0x74);
    this.put();
  }
}

/** PyTorch's contiguous strides: stride[d] = stride[d + 1] · max(size[d + 1], 1). */
function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= Math.max(shape[d]!, 1);
  }
  return strides;
}

/**
 * Writes a state dict as `torch.save(OrderedDict(dict), f)` does in PyTorch 1.13 (zip format, pickle
 * protocol 2, one storage per tensor, records stored and aligned to 64 bytes). `torch.load(f,
 * weights_only=True)` reads it; for tensors that each own their storage, the bytes equal torch.save's.
 */
export function saveTorch(dict: TensorDict, options: SaveTorchOptions = {}): Uint8Array {
  const where = "io.saveTorch";
  const archive = options.archiveName ?? "archive";
  if (typeof archive !== "string" || archive === "" || archive.includes("/"))
    throw new ArgumentError(
      where,
      "options.archiveName",
      "must be a non-empty name without '/'",
      "'archive'",
      archive,
    );
  const entries = dictEntries(where, dict);
  const p = new Pickler();
  p.op(0x80, 2); // PROTO 2
  p.global("collections", "OrderedDict");
  p.op(0x29, 0x52); // EMPTY_TUPLE, REDUCE: OrderedDict()
  p.put();
  const storages: { key: string; data: Uint8Array }[] = [];
  const writeTensor = (key: string, t: (typeof entries)[number][1]) => {
    const storage = dtypeInfo(t.dtype).storage;
    if (storage === null)
      throw new ArgumentError(
        where,
        `dict['${key}'].dtype`,
        "has no storage class in PyTorch 1.13",
        "see TORCH_DTYPES",
        t.dtype,
      );
    const storageKey = String(storages.length);
    storages.push({ key: storageKey, data: t.bytes });
    const numel = t.bytes.length / dtypeInfo(t.dtype).size;
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op(0x28); // MARK: the arguments
    p.op(0x28); // MARK: the persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel)
    p.str("storage", true);
    p.global("torch", storage);
    p.str(storageKey);
    p.str("cpu", true);
    p.int(numel);
    p.op(0x74); // TUPLE
    p.put();
    p.op(0x51); // BINPERSID
    p.int(0); // storage_offset
    p.intTuple(t.shape);
    p.intTuple(contiguousStrides(t.shape));
    p.op(0x89); // requires_grad = False
    p.global("collections", "OrderedDict"); // backward_hooks = OrderedDict()
    p.op(0x29, 0x52);
    p.put();
    p.op(0x74); // TUPLE
    p.put();
    p.op(0x52); // REDUCE
    p.put();
  };
  // pickle.py `_batch_setitems`: batches of 1000, SETITEM for a batch of one.
  for (let b = 0; b < entries.length; b += 1000) {
    const batch = entries.slice(b, b + 1000);
    if (batch.length > 1) p.op(0x28);
    for (const [key, t] of batch) {
      p.str(key, key === "storage" || key === "cpu");
      writeTensor(key, t);
    }
    p.op(batch.length > 1 ? 0x75 : 0x73);
  }
  p.op(0x2e); // STOP
  // torch/serialization.py `_save`: data.pkl, then data/<key> in sorted (string) order, then version.
  const records = [{ name: `${archive}/data.pkl`, data: p.bytes() }];
  for (const s of [...storages].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)))
    records.push({ name: `${archive}/data/${s.key}`, data: s.data });
  records.push({ name: `${archive}/version`, data: new TextEncoder().encode("3\n") });
  return writeTorchZip(where, records);
}
