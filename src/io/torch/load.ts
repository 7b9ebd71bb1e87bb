// torch.load for `.pt` files, without Python (io layer): the zip format of torch.save (PyTorch >= 1.6) and
// the legacy format (_use_new_zipfile_serialization=False). Follows torch/serialization.py `_load` and
// `_legacy_load`: the pickle names storages by persistent ids, tensors are rebuilt from a storage, an
// offset, a size and a stride (torch/_utils.py `_rebuild_tensor`), views share their storage.

import { ArgumentError } from "../../errors.js";
import { byteswapInPlace, dtypeInfo } from "../dtype.js";
import { type Reporter, showCount } from "../errors.js";
import { type Budget, type LoadOptions, startLoad } from "../limits.js";
import { checkedNumel, type StoredTensor } from "../stored.js";
import { latin1 } from "../text.js";
import { isZip, readZip } from "../zip.js";
import { ALLOWED_GLOBALS, RECORD_GLOBALS } from "./globals.js";
import {
  describe,
  ObjectRef,
  type PickleValue,
  PyGlobal,
  StorageRef,
  TensorRef,
  TorchObject,
  type UnpickleHooks,
  unpickle,
  type VmContext,
} from "./pickle.js";

/** torch/serialization.py MAGIC_NUMBER and PROTOCOL_VERSION of the legacy format. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** Containers nested deeper than this are refused (a checkpoint needs a handful of levels). */
export const MAX_NESTING = 200;

export interface TorchLoadOptions extends LoadOptions {
  /**
   * What to do with objects of classes outside the allow-list (`torch.save(model)`): "refuse"
   * (the default: the file is refused, naming the class) or "records" (read as inert `TorchObject`s).
   */
  readonly objects?: "refuse" | "records";
}

/**
 * Reads a file written by `torch.save`: a state dict, a nested checkpoint or any plain structure of
 * dicts, lists, tuples, numbers, strings and tensors. Nothing in the file is executed: its pickle runs on
 * rnnkit's own VM, and a global outside the allow-list (`posix.system`, `builtins.eval`, a custom class)
 * stops the load with an error naming it. Tensors come back as StoredTensors in C order (strided and
 * offset views gathered, as PyTorch's `.contiguous()` would; contiguous ones are views of `bytes`),
 * dicts and OrderedDicts as Maps in the file's order, lists as arrays and tuples as frozen arrays.
 * Attributes set on an OrderedDict (a state dict's `_metadata`) and Parameter flags are not kept.
 * Use `pickStateDict` to find the state dict in a checkpoint.
 *
 * With `objects: "records"`, a whole-model file (`torch.save(model)`, or a checkpoint holding model
 * and optimizer objects) reads too: each object becomes an inert `TorchObject` record of its class
 * name and state, whatever the class (`moduleTree` reads torch.nn modules from them). Calls are still
 * only the allow-list's, so `posix.system` and the like stay refused by name, and nothing runs.
 */
export function loadTorch(bytes: Uint8Array, options: TorchLoadOptions = {}): PickleValue {
  const { rep, budget } = startLoad("io.loadTorch", "torch", bytes, options);
  const objects = options.objects ?? "refuse";
  if (objects !== "refuse" && objects !== "records")
    throw new ArgumentError(
      "io.loadTorch",
      "options.objects",
      "is unknown",
      "'refuse' or 'records'",
      objects,
    );
  const records = objects === "records";
  if (isZip(bytes)) return loadZip(bytes, rep, budget, records);
  if (bytes[0] === 0x80) return loadLegacy(bytes, rep, budget, records);
  if (bytes.length > 262 && latin1(bytes.subarray(257, 262)) === "ustar")
    rep.fail("the tar-based format of PyTorch < 0.4 is not supported");
  const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  return rep.fail(
    `not a torch.save file: neither a ZIP archive nor a pickle (first bytes ${head || "none"})`,
  );
}

function asciiName(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return latin1(v); // Python 2 str
  return null;
}

function storageDtype(cls: unknown, vm: VmContext): StorageRef["dtype"] {
  if (!(cls instanceof PyGlobal) || cls.spec.kind !== "storage")
    return vm.fail(`persistent id names ${describe(cls)} where a storage class belongs`);
  return cls.spec.dtype;
}

function loadZip(bytes: Uint8Array, rep: Reporter, budget: Budget, records: boolean): PickleValue {
  const zip = readZip(bytes, rep);
  const first = zip.entries[0];
  if (first === undefined) return rep.fail("the ZIP archive is empty");
  // PyTorchStreamReader: the archive's folder is the first entry's ("archive/", or the saved file's stem).
  const slash = first.name.indexOf("/");
  if (slash < 0) rep.fail(`entry '${first.name}' is not in a folder: not a torch.save archive`);
  const folder = first.name.slice(0, slash + 1);
  const pklEntry = zip.get(`${folder}data.pkl`);
  if (pklEntry === undefined) {
    if (zip.get(`${folder}constants.pkl`) !== undefined)
      rep.fail("this is a TorchScript archive (torch.jit.save), not a torch.save file");
    const names = zip.entries.slice(0, 5).map((e) => `'${e.name}'`);
    rep.fail(`no ${folder}data.pkl: not a torch.save archive (entries ${names.join(", ")})`);
  }
  let bigEndian = false;
  const order = zip.get(`${folder}byteorder`);
  if (order !== undefined) {
    const text = latin1(zip.read(order, budget));
    if (text !== "little" && text !== "big")
      rep.fail(`${folder}byteorder is '${text.slice(0, 20)}', not little or big`);
    bigEndian = text === "big";
  }
  const storages = new Map<string, StorageRef>();
  const hooks: UnpickleHooks = {
    records,
    persistentLoad(pid, vm) {
      // ('storage', storage_type, key, location, numel): serialization.py `_load` persistent_load.
      if (pid.length !== 5 || asciiName(pid[0]) !== "storage")
        return vm.fail(`persistent id ${describePid(pid)} is not ('storage', type, key, location, numel)`);
      const dtype = storageDtype(pid[1], vm);
      const key = asciiName(pid[2]);
      const numel = pid[4];
      if (key === null || asciiName(pid[3]) === null)
        return vm.fail("storage key and location must be strings");
      if (typeof numel !== "number" || !Number.isSafeInteger(numel) || numel < 0)
        return vm.fail(`storage '${key}': numel must be an int >= 0, got ${describe(numel)}`);
      const known = storages.get(key);
      if (known !== undefined) {
        if (known.dtype !== dtype) vm.fail(`storage '${key}' is used as ${known.dtype} and as ${dtype}`);
        return known;
      }
      const name = `${folder}data/${key}`;
      const entry = zip.get(name);
      if (entry === undefined) return vm.fail(`storage '${key}': the archive has no entry '${name}'`);
      const nbytes = numel * dtypeInfo(dtype).size;
      if (entry.size !== nbytes)
        vm.fail(
          `storage '${key}': entry '${name}' holds ${showCount(entry.size)} bytes, ${numel} × ${dtype} needs ${showCount(nbytes)}`,
        );
      const ref = new StorageRef(key, dtype, numel);
      ref.bytes = zip.read(entry, budget);
      storages.set(key, ref);
      return ref;
    },
  };
  const pkl = zip.read(pklEntry, budget);
  const globals = records ? RECORD_GLOBALS : ALLOWED_GLOBALS;
  const { value } = unpickle(pkl, 0, hooks, globals, rep.fail, `${folder}data.pkl`);
  return toValue(value, rep, budget, bigEndian);
}

function describePid(pid: readonly unknown[]): string {
  return `(${pid.map((p) => (typeof p === "string" ? `'${p.slice(0, 40)}'` : describe(p))).join(", ")})`;
}

function loadLegacy(bytes: Uint8Array, rep: Reporter, budget: Budget, records: boolean): PickleValue {
  const noPersistent: UnpickleHooks = { persistentLoad: (_pid, vm) => vm.fail("unexpected persistent id") };
  const step = (at: number, hooks: UnpickleHooks, label: string) =>
    unpickle(bytes, at, hooks, records ? RECORD_GLOBALS : ALLOWED_GLOBALS, rep.fail, label);

  const magic = step(0, noPersistent, "magic number pickle");
  if (magic.value !== LEGACY_MAGIC) rep.fail("invalid magic number: not a legacy torch.save file");
  const protocol = step(magic.end, noPersistent, "protocol version pickle");
  if (protocol.value !== LEGACY_PROTOCOL)
    rep.fail(`protocol version ${describe(protocol.value)} is not ${LEGACY_PROTOCOL}`);
  const sysInfo = step(protocol.end, noPersistent, "sys_info pickle");
  // sys_info's byte order does not matter: storages are written little-endian on every machine
  // (torch/csrc/generic/serialization.cpp `THPStorage_(writeFileRaw)`).
  if (!(sysInfo.value instanceof Map)) rep.fail(`sys_info is ${describe(sysInfo.value)}, not a dict`);

  const roots = new Map<string, StorageRef>();
  const views = new Map<string, StorageRef>();
  const hooks: UnpickleHooks = {
    records,
    persistentLoad(pid, vm) {
      // ('storage', storage_type, root_key, location, numel, view_metadata): `_legacy_load` persistent_load.
      const typename = asciiName(pid[0]);
      // ('module', class, source file, source): the legacy format's record of an nn.Module class.
      if (typename === "module") {
        if (records && pid.length === 4 && pid[1] instanceof PyGlobal) return pid[1];
        return vm.fail(
          "the file holds a pickled nn.Module (torch.save(model)); save model.state_dict() instead",
        );
      }
      if (pid.length !== 6 || typename !== "storage")
        return vm.fail(
          `persistent id ${describePid(pid)} is not ('storage', type, key, location, numel, view)`,
        );
      const dtype = storageDtype(pid[1], vm);
      const key = asciiName(pid[2]);
      const numel = pid[4];
      if (key === null || asciiName(pid[3]) === null)
        return vm.fail("storage key and location must be strings");
      if (typeof numel !== "number" || !Number.isSafeInteger(numel) || numel < 0)
        return vm.fail(`storage '${key}': numel must be an int >= 0, got ${describe(numel)}`);
      let root = roots.get(key);
      if (root === undefined) {
        root = new StorageRef(key, dtype, numel);
        roots.set(key, root);
      } else if (root.dtype !== dtype) vm.fail(`storage '${key}' is used as ${root.dtype} and as ${dtype}`);
      const viewMeta = pid[5];
      if (viewMeta === null) return root;
      if (!Array.isArray(viewMeta) || viewMeta.length !== 3)
        return vm.fail("storage view metadata is not (key, offset, size)");
      const [viewKey, offset, size] = viewMeta as unknown[];
      const vk = asciiName(viewKey);
      if (
        vk === null ||
        typeof offset !== "number" ||
        typeof size !== "number" ||
        !Number.isSafeInteger(offset + size) ||
        offset < 0 ||
        size < 0
      )
        return vm.fail("storage view metadata is not (key, offset >= 0, size >= 0)");
      let v = views.get(vk);
      if (v === undefined) {
        v = new StorageRef(vk, dtype, size, { root, offset });
        views.set(vk, v);
      }
      return v;
    },
  };
  const main = step(sysInfo.end, hooks, "data pickle");
  const keys = step(main.end, noPersistent, "storage keys pickle");
  if (!Array.isArray(keys.value)) rep.fail(`the storage keys are ${describe(keys.value)}, not a list`);
  let at = keys.end;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys.value as unknown[]) {
    const name = asciiName(key);
    const root = name === null ? undefined : roots.get(name);
    if (root === undefined) return rep.fail(`storage key ${describe(key)} is listed but no tensor uses it`);
    if (root.bytes !== null) rep.fail(`storage '${name}' is listed twice`);
    // Each storage: its element count (int64, little-endian) then its bytes (always little-endian).
    if (at + 8 > bytes.length) rep.fail(`truncated: storage '${name}' is missing at byte ${at}`);
    const numel = view.getBigInt64(at, true);
    if (numel !== BigInt(root.numel))
      rep.fail(`storage '${name}' at byte ${at} has ${numel} elements, the pickle says ${root.numel}`);
    const nbytes = root.numel * dtypeInfo(root.dtype).size;
    if (at + 8 + nbytes > bytes.length)
      rep.fail(
        `truncated: storage '${name}' needs ${showCount(nbytes)} bytes at byte ${at + 8}, the file ends at ${bytes.length}`,
      );
    root.bytes = bytes.subarray(at + 8, at + 8 + nbytes);
    at += 8 + nbytes;
  }
  for (const root of roots.values())
    if (root.bytes === null) rep.fail(`storage '${root.key}' has no data in the file`);
  if (at !== bytes.length)
    rep.fail(`${bytes.length - at} unexpected bytes after the last storage, at byte ${at}`);
  return toValue(main.value, rep, budget, false);
}

/** The bytes a storage (or a legacy storage view) holds. */
function storageBytes(s: StorageRef, rep: Reporter): Uint8Array {
  if (s.viewOf === null) return s.bytes ?? rep.fail(`storage '${s.key}' has no data`);
  const size = dtypeInfo(s.dtype).size;
  const root = storageBytes(s.viewOf.root, rep);
  const begin = s.viewOf.offset * size;
  const end = begin + s.numel * size;
  if (end > root.length)
    rep.fail(
      `storage view '${s.key}' [${s.viewOf.offset}, +${s.numel}) runs past its storage of ${root.length / size} elements`,
    );
  return root.subarray(begin, end);
}

/** A tensor from its storage, offset, size and stride, in C order: a view when already contiguous. */
function materialize(
  t: TensorRef,
  where: string,
  rep: Reporter,
  budget: Budget,
  bigEndian: boolean,
): StoredTensor {
  const src = storageBytes(t.storage, rep);
  const info = dtypeInfo(t.dtype);
  const item = info.size;
  const elements = Math.floor(src.length / item);
  const numel = checkedNumel(t.size);
  const show = `storage_offset ${t.offset}, size [${t.size.join(", ")}], stride [${t.stride.join(", ")}]`;
  if (numel < 0 || !Number.isSafeInteger(numel * item)) rep.fail(`tensor ${where}: ${show} is too large`);
  let contiguous = true;
  if (numel > 0) {
    let last = t.offset;
    let expected = 1;
    for (let d = t.size.length - 1; d >= 0; d--) {
      const n = t.size[d]!;
      last += (n - 1) * t.stride[d]!;
      if (n > 1 && t.stride[d] !== expected) contiguous = false;
      expected *= n;
    }
    if (!Number.isSafeInteger(last) || last >= elements)
      rep.fail(
        `tensor ${where}: ${show} reaches element ${showCount(last)} of a storage of ${elements} ${t.dtype} elements`,
      );
  }
  let bytes: Uint8Array;
  if (contiguous || numel === 0) bytes = src.subarray(t.offset * item, (t.offset + numel) * item);
  else {
    budget.take(numel * item, `tensor ${where} (${show})`);
    bytes = gather(src, item, t.offset, t.size, t.stride, numel);
  }
  if (bigEndian && info.unit > 1) {
    if (contiguous) budget.take(bytes.length, `byte-swapping tensor ${where}`);
    bytes = contiguous ? bytes.slice() : bytes;
    byteswapInPlace(bytes, info.unit);
  }
  return { dtype: t.dtype, shape: [...t.size], bytes };
}

/** Copies the elements a strided view selects, in C order (what `.contiguous()` does). */
function gather(
  src: Uint8Array,
  item: number,
  offset: number,
  size: readonly number[],
  stride: readonly number[],
  numel: number,
): Uint8Array {
  const out = new Uint8Array(numel * item);
  const n = size.length;
  if (n === 0) {
    out.set(src.subarray(offset * item, offset * item + item));
    return out;
  }
  const inner = size[n - 1]!;
  const innerStride = stride[n - 1]!;
  const index = new Array<number>(n).fill(0);
  let base = offset;
  let o = 0;
  for (let row = 0, rows = numel / inner; row < rows; row++) {
    if (innerStride === 1) {
      out.set(src.subarray(base * item, (base + inner) * item), o);
      o += inner * item;
    } else
      for (let j = 0; j < inner; j++) {
        const from = (base + j * innerStride) * item;
        for (let b = 0; b < item; b++) out[o++] = src[from + b]!;
      }
    for (let d = n - 2; d >= 0; d--) {
      index[d]!++;
      base += stride[d]!;
      if (index[d]! < size[d]!) break;
      base -= stride[d]! * size[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/** The VM's output as PickleValues: tensors materialized once each, shared values shared, cycles refused. */
function toValue(root: unknown, rep: Reporter, budget: Budget, bigEndian: boolean): PickleValue {
  const done = new Map<object, PickleValue>();
  const active = new Set<object>();
  const conv = (v: unknown, depth: number, where: string): PickleValue => {
    if (
      v === null ||
      typeof v === "boolean" ||
      typeof v === "number" ||
      typeof v === "bigint" ||
      typeof v === "string"
    )
      return v;
    if (v instanceof Uint8Array) return v;
    if (v instanceof PyGlobal) return v.dotted;
    if (typeof v !== "object") return rep.fail(`internal: unexpected ${typeof v} at ${where || "the top"}`);
    const seen = done.get(v);
    if (seen !== undefined) return seen;
    if (active.has(v)) rep.fail(`the data refers to itself at ${where || "the top"} (a cycle)`);
    if (depth > MAX_NESTING)
      rep.fail(`containers nested deeper than ${MAX_NESTING} at ${where.slice(0, 200)}...`);
    let out: PickleValue;
    if (v instanceof ObjectRef) {
      active.add(v);
      out = new TorchObject(v.cls.module, v.cls.name, conv(v.state, depth + 1, `${where}.${v.cls.name}`));
      active.delete(v);
    } else if (v instanceof TensorRef) out = materialize(v, where || "at the top", rep, budget, bigEndian);
    else if (v instanceof StorageRef)
      // A storage saved on its own (torch.save(t.storage())): its elements as a 1-D tensor.
      out = materialize(
        new TensorRef(v, v.dtype, 0, [v.numel], [1]),
        where || "at the top",
        rep,
        budget,
        bigEndian,
      );
    else {
      active.add(v);
      if (v instanceof Map) {
        const m = new Map<PickleValue, PickleValue>();
        for (const [k, x] of v) {
          const key = conv(k, depth + 1, `${where}[key]`);
          m.set(key, conv(x, depth + 1, `${where}[${showKey(k)}]`));
        }
        out = m;
      } else if (Array.isArray(v)) {
        const a = v.map((x, i) => conv(x, depth + 1, `${where}[${i}]`));
        out = Object.isFrozen(v) ? Object.freeze(a) : a;
      } else return rep.fail(`internal: unexpected ${describe(v)} at ${where}`);
      active.delete(v);
    }
    done.set(v, out);
    return out;
  };
  return conv(root, 0, "");
}

function showKey(k: unknown): string {
  if (typeof k === "string") return `'${k.length > 80 ? `${k.slice(0, 80)}...` : k}'`;
  if (typeof k === "number" || typeof k === "bigint") return String(k);
  return describe(k);
}
