// A pickle VM that builds data and never runs code (io layer). It implements the opcodes of protocols
// 0–5 that describe data (what torch.save emits, protocol 2, and more), resolves GLOBAL names only
// through an allow-list of the constructors state dicts and checkpoints use, and calls only our own
// implementations of those. Any other global is refused by name the moment it is read, before any
// REDUCE could use it. The model is torch/_weights_only_unpickler.py (PyTorch 1.13), stricter.

import type { TorchDType } from "../dtype.js";
import type { StoredTensor } from "../stored.js";

/**
 * A value from a `.pt` file: Python's None, bool, int (a bigint past 2^53), float, str, bytes
 * (Uint8Array), list and tuple (arrays; tuples are frozen), dict and OrderedDict (Map, in insertion
 * order, keys as loaded), and tensors (StoredTensor). Other allow-listed globals left as plain values
 * (a `torch.float32` in a config) appear as their dotted names.
 */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | StoredTensor
  | readonly PickleValue[]
  | Map<PickleValue, PickleValue>
  | TorchObject;

/**
 * An object a `.pt` file constructs (a torch.nn module, an optimizer, a class of the user's own), read
 * as an inert record: the class's dotted name and the state pickled for it (a module's `__dict__`:
 * `_parameters`, `_modules`, its options). Nothing of the class exists or runs here. Only
 * `loadTorch(bytes, { objects: "records" })` gives these; by default such a file is refused.
 */
export class TorchObject {
  constructor(
    readonly module: string,
    readonly name: string,
    /** What BUILD set (None when the pickle set nothing). */
    readonly state: PickleValue,
  ) {}
  get className(): string {
    return `${this.module}.${this.name}`;
  }
}

/** The VM's object under construction (NEWOBJ / copyreg._reconstructor, then BUILD). */
export class ObjectRef {
  state: unknown = null;
  constructor(readonly cls: PyGlobal) {}
}

/** A global the allow-list accepted (the VM's stand-in for a Python class or function). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly spec: GlobalSpec,
  ) {}
  get dotted(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A storage named by a persistent id; its bytes arrive when the loader reads the storage records. */
export class StorageRef {
  bytes: Uint8Array | null = null;
  constructor(
    readonly key: string,
    readonly dtype: TorchDType,
    /** Elements of `dtype`. */
    readonly numel: number,
    /** Legacy format views: the root storage and the view's offset, in elements. */
    readonly viewOf: { readonly root: StorageRef; readonly offset: number } | null = null,
  ) {}
}

/** A tensor as `_rebuild_tensor_v2` describes it: a storage, an offset and a size/stride in elements. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly dtype: TorchDType,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

export type GlobalSpec =
  | { readonly kind: "call"; readonly call: (args: readonly unknown[], vm: VmContext) => unknown }
  /** A name outside the allow-list, read only as a class to record (objects: "records"): never called. */
  | { readonly kind: "class" }
  | { readonly kind: "storage"; readonly dtype: TorchDType }
  | { readonly kind: "dtype"; readonly dtype: TorchDType };

export interface VmContext {
  /** Throws a FormatError naming the opcode being run and its position. */
  fail(detail: string): never;
}

export interface UnpickleHooks {
  /** Turns a BINPERSID tuple into a value (a StorageRef), or fails. */
  persistentLoad(pid: readonly unknown[], vm: VmContext): unknown;
  /**
   * Read objects of any class as inert records (NEWOBJ, NEWOBJ_EX, copyreg._reconstructor, BUILD)
   * instead of refusing their classes. REDUCE still calls only the allow-list.
   */
  readonly records?: boolean;
}

const CLASS: GlobalSpec = { kind: "class" };

/** Why a global is refused, for every place that refuses one. */
export function refusal(module: string, name: string): string {
  return (
    `global '${module}.${name}' is not allowed: rnnkit loads only tensors and plain data, so it refuses this ` +
    `file (nothing in it was run)${looksLikeWholeModel(module) ? WHOLE_MODEL_HINT : ""}`
  );
}

/** Limits against hostile pickles (a real state dict or checkpoint stays far below each). */
export const PICKLE_LIMITS = {
  /** Open MARKs at once (nesting of tuples, lists and dicts being built). */
  markDepth: 1000,
  /** Memo entries. */
  memo: 1 << 22,
  /** Bytes of one integer (LONG4). */
  longBytes: 1024,
  /** Characters of one text line (GLOBAL names, protocol 0 numbers). */
  line: 1024,
  /** Dimensions of one tensor. */
  ndim: 64,
};

/** pickle.py's opcodes (protocols 0–5), as name and byte, for messages. */
const OPCODES = `
  MARK 28 STOP 2e POP 30 POP_MARK 31 DUP 32 FLOAT 46 INT 49 BININT 4a BININT1 4b LONG 4c BININT2 4d
  NONE 4e PERSID 50 BINPERSID 51 REDUCE 52 STRING 53 BINSTRING 54 SHORT_BINSTRING 55 UNICODE 56
  BINUNICODE 58 APPEND 61 BUILD 62 GLOBAL 63 DICT 64 EMPTY_DICT 7d APPENDS 65 GET 67 BINGET 68 INST 69
  LONG_BINGET 6a LIST 6c EMPTY_LIST 5d OBJ 6f PUT 70 BINPUT 71 LONG_BINPUT 72 SETITEM 73 TUPLE 74
  EMPTY_TUPLE 29 SETITEMS 75 BINFLOAT 47 PROTO 80 NEWOBJ 81 EXT1 82 EXT2 83 EXT4 84 TUPLE1 85 TUPLE2 86
  TUPLE3 87 NEWTRUE 88 NEWFALSE 89 LONG1 8a LONG4 8b BINBYTES 42 SHORT_BINBYTES 43 SHORT_BINUNICODE 8c
  BINUNICODE8 8d BINBYTES8 8e EMPTY_SET 8f ADDITEMS 90 FROZENSET 91 NEWOBJ_EX 92 STACK_GLOBAL 93
  MEMOIZE 94 FRAME 95 BYTEARRAY8 96 NEXT_BUFFER 97 READONLY_BUFFER 98`;
const OPCODE_NAMES: ReadonlyMap<number, string> = new Map(
  [...OPCODES.matchAll(/([A-Z0-9_]+) ([0-9a-f]{2})/g)].map((m) => [Number.parseInt(m[2]!, 16), m[1]!]),
);

/** Opcodes rnnkit knows but does not run, with the reason. */
const UNSUPPORTED: ReadonlyMap<number, string> = new Map([
  [0x53, "protocol 0 quoted strings are not supported"],
  [0x56, "protocol 0 unicode strings are not supported"],
  [0x82, "the copyreg extension registry is not supported"],
  [0x83, "the copyreg extension registry is not supported"],
  [0x84, "the copyreg extension registry is not supported"],
  [0x8f, "sets are not supported"],
  [0x90, "sets are not supported"],
  [0x91, "sets are not supported"],
  [0x97, "out-of-band buffers are not supported"],
  [0x98, "out-of-band buffers are not supported"],
]);

function isTuple(v: unknown): v is readonly unknown[] {
  return Array.isArray(v) && Object.isFrozen(v);
}

const tuple = (items: unknown[]): readonly unknown[] => Object.freeze(items);

/** Python's int: a number when safe, a bigint otherwise. */
function pyInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Two's-complement little-endian bytes (LONG1/LONG4) → int. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return pyInt(v);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Runs the pickle that starts at `start` in `bytes` until its STOP. `label` names it in messages
 * ("data.pkl"); positions are byte offsets within `bytes`.
 */
export function unpickle(
  bytes: Uint8Array,
  start: number,
  hooks: UnpickleHooks,
  globals: ReadonlyMap<string, GlobalSpec>,
  failWith: (detail: string) => never,
  label: string,
): { value: unknown; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length;
  let pos = start;
  let opAt = start;
  let op = 0;
  const opName = () => OPCODE_NAMES.get(op) ?? `0x${op.toString(16).padStart(2, "0")}`;
  const vm: VmContext = {
    fail: (detail) => failWith(`${label}: ${opName()} at byte ${opAt}: ${detail}`),
  };
  const fail = vm.fail;

  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number): void => {
    if (n > end - pos) fail(`truncated: needs ${n} more bytes, the data ends after ${end - pos}`);
  };
  const u8 = () => {
    need(1);
    return bytes[pos++]!;
  };
  const u16 = () => {
    need(2);
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const u32 = () => {
    need(4);
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const i32 = () => {
    need(4);
    pos += 4;
    return view.getInt32(pos - 4, true);
  };
  const u64 = () => {
    need(8);
    pos += 8;
    const v = view.getBigUint64(pos - 8, true);
    if (v > BigInt(end)) fail(`length ${v} exceeds the file size ${end}`);
    return Number(v);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  /** A protocol 0 text argument up to its newline, as UTF-8 (pickle.py decodes GLOBAL names so). */
  const line = (): string => {
    const stop = Math.min(end, pos + PICKLE_LIMITS.line + 1);
    let nl = pos;
    while (nl < stop && bytes[nl] !== 0x0a) nl++;
    if (nl >= stop)
      fail(nl >= end ? "truncated: no end of line" : `line longer than ${PICKLE_LIMITS.line} characters`);
    const raw = bytes.subarray(pos, nl);
    pos = nl + 1;
    return text(raw);
  };
  const text = (raw: Uint8Array): string => {
    try {
      return utf8.decode(raw);
    } catch {
      return fail("string is not valid UTF-8");
    }
  };
  const push = (v: unknown) => stack.push(v);
  const pop = (): unknown => {
    if (stack.length === 0) fail("stack underflow");
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail("stack underflow");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const outer = metastack.pop();
    if (outer === undefined) return fail("no MARK to pop to");
    stack = outer;
    return items;
  };
  const memoPut = (key: number) => {
    if (!memo.has(key) && memo.size >= PICKLE_LIMITS.memo)
      fail(`memo holds more than ${PICKLE_LIMITS.memo} entries`);
    memo.set(key, top());
  };
  const memoGet = (key: number) => {
    if (!memo.has(key)) fail(`memo key ${key} was never stored`);
    push(memo.get(key));
  };
  const intLine = (): number => {
    const s = line();
    if (!/^[0-9]{1,15}$/.test(s)) fail(`'${s}' is not a memo key`);
    return Number(s);
  };
  const resolve = (module: string, name: string): PyGlobal => {
    const dotted = `${module}.${name}`;
    const spec = globals.get(dotted) ?? (hooks.records ? CLASS : undefined);
    if (spec === undefined) return fail(refusal(module, name));
    return new PyGlobal(module, name, spec);
  };
  const setItems = (dict: unknown, items: readonly unknown[]) => {
    if (!(dict instanceof Map)) fail(`can only set items of a dict, not ${describe(dict)}`);
    for (let k = 0; k + 1 < items.length; k += 2) (dict as Map<unknown, unknown>).set(items[k], items[k + 1]);
  };
  const extend = (list: unknown, items: readonly unknown[]) => {
    if (!Array.isArray(list) || isTuple(list)) fail(`can only append to a list, not ${describe(list)}`);
    for (const item of items) (list as unknown[]).push(item);
  };

  for (;;) {
    opAt = pos;
    if (pos >= end) {
      op = 0;
      return failWith(`${label}: truncated: no STOP opcode before the end at byte ${end}`);
    }
    op = bytes[pos++]!;
    switch (op) {
      case 0x80: {
        const proto = u8();
        if (proto > 5) fail(`protocol ${proto} is not supported (0 to 5 are)`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x28:
        if (metastack.length >= PICKLE_LIMITS.markDepth)
          fail(`MARKs nested deeper than ${PICKLE_LIMITS.markDepth}`);
        metastack.push(stack);
        stack = [];
        break;
      case 0x2e: {
        const value = pop();
        return { value, end: pos };
      }
      case 0x30:
        if (stack.length > 0) stack.pop();
        else popMark();
        break;
      case 0x31:
        popMark();
        break;
      case 0x32:
        push(top());
        break;
      case 0x4e:
        push(null);
        break;
      case 0x88:
        push(true);
        break;
      case 0x89:
        push(false);
        break;
      case 0x4a:
        push(i32());
        break;
      case 0x4b:
        push(u8());
        break;
      case 0x4d:
        push(u16());
        break;
      case 0x49: {
        const s = line();
        if (s === "00") push(false);
        else if (s === "01") push(true);
        else if (/^[+-]?[0-9]{1,4000}$/.test(s)) push(pyInt(BigInt(s)));
        else fail(`'${s}' is not an integer`);
        break;
      }
      case 0x4c: {
        const s = line().replace(/L$/, "");
        if (!/^[+-]?[0-9]{1,4000}$/.test(s)) fail(`'${s}' is not an integer`);
        push(pyInt(BigInt(s)));
        break;
      }
      case 0x8a:
        push(decodeLong(take(u8())));
        break;
      case 0x8b: {
        const n = i32();
        if (n < 0 || n > PICKLE_LIMITS.longBytes) fail(`an integer of ${n} bytes is not supported`);
        push(decodeLong(take(n)));
        break;
      }
      case 0x46: {
        const s = line().trim();
        const special: Record<string, number> = { inf: Infinity, "-inf": -Infinity, nan: Number.NaN };
        const v = Object.hasOwn(special, s)
          ? special[s]!
          : /^[+-]?[0-9.eE+-]+$/.test(s)
            ? Number(s)
            : Number.NaN;
        if (Number.isNaN(v) && s !== "nan") fail(`'${s}' is not a float`);
        push(v);
        break;
      }
      case 0x47:
        need(8);
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58:
        push(text(take(u32())));
        break;
      case 0x8c:
        push(text(take(u8())));
        break;
      case 0x8d:
        push(text(take(u64())));
        break;
      case 0x54: {
        const n = i32();
        if (n < 0) fail(`negative length ${n}`);
        push(text(take(n)));
        break;
      }
      case 0x55:
        push(text(take(u8())));
        break;
      case 0x42:
        push(take(u32()));
        break;
      case 0x43:
        push(take(u8()));
        break;
      case 0x8e:
      case 0x96:
        push(take(u64()));
        break;
      case 0x29:
        push(tuple([]));
        break;
      case 0x74:
        push(tuple(popMark()));
        break;
      case 0x85:
        push(tuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        push(tuple([pop(), b, c]));
        break;
      }
      case 0x5d:
        push([]);
        break;
      case 0x6c:
        push(popMark());
        break;
      case 0x7d:
        push(new Map());
        break;
      case 0x64: {
        const items = popMark();
        if (items.length % 2) fail("odd number of items for a dict");
        const dict = new Map();
        setItems(dict, items);
        push(dict);
        break;
      }
      case 0x61: {
        const item = pop();
        extend(top(), [item]);
        break;
      }
      case 0x65: {
        const items = popMark();
        extend(top(), items);
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        const items = popMark();
        if (items.length % 2) fail("odd number of items for a dict");
        setItems(top(), items);
        break;
      }
      case 0x63: {
        const module = line();
        push(resolve(module, line()));
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("module and name must be strings");
        push(resolve(module as string, name as string));
        break;
      }
      case 0x69: {
        const module = line();
        resolve(module, line());
        fail("INST (protocol 0 instance creation) is not supported");
        break;
      }
      case 0x6f: {
        const items = popMark();
        if (!(items[0] instanceof PyGlobal)) fail("OBJ needs a class");
        fail("OBJ (protocol 1 instance creation) is not supported");
        break;
      }
      case 0x52: {
        const args = pop();
        const f = top();
        stack[stack.length - 1] = call(f, args, vm);
        break;
      }
      case 0x81:
      case 0x92: {
        if (op === 0x92 && !hooks.records) fail("NEWOBJ_EX (keyword-argument construction) is not supported");
        if (op === 0x92) pop(); // keyword arguments: the record keeps only the state BUILD sets
        const args = pop();
        const cls = pop();
        if (cls instanceof PyGlobal && cls.dotted === "torch.nn.parameter.Parameter")
          push(call(cls, args, vm));
        else if (hooks.records && cls instanceof PyGlobal) push(new ObjectRef(cls));
        else fail(`NEWOBJ can only build a torch.nn.parameter.Parameter, not ${describe(cls)}`);
        break;
      }
      case 0x62: {
        const state = pop();
        const inst = top();
        if (inst instanceof ObjectRef) {
          // __setstate__'s (state, slotstate) form keeps the dict; the record never runs __setstate__.
          inst.state = isTuple(state) && state.length === 2 ? (state[0] ?? state[1]) : state;
          break;
        }
        // OrderedDict attributes (a state dict's `_metadata`) and tensor state are not kept.
        if (!(inst instanceof Map || inst instanceof TensorRef))
          fail(`BUILD can only set the state of a dict or a tensor, not ${describe(inst)}`);
        if (!(state === null || state instanceof Map || isTuple(state)))
          fail(`BUILD state must be a dict, not ${describe(state)}`);
        break;
      }
      case 0x50:
        fail(`persistent id '${line()}' is not a storage`);
        break;
      case 0x51: {
        const pid = pop();
        if (!isTuple(pid)) fail(`persistent id must be a tuple, not ${describe(pid)}`);
        push(hooks.persistentLoad(pid as readonly unknown[], vm));
        break;
      }
      case 0x67:
        memoGet(intLine());
        break;
      case 0x68:
        memoGet(u8());
        break;
      case 0x6a:
        memoGet(u32());
        break;
      case 0x70:
        memoPut(intLine());
        break;
      case 0x71:
        memoPut(u8());
        break;
      case 0x72:
        memoPut(u32());
        break;
      case 0x94:
        memoPut(memo.size);
        break;
      default: {
        const why = UNSUPPORTED.get(op);
        if (why !== undefined) fail(why);
        return failWith(`${label}: unknown opcode 0x${op.toString(16).padStart(2, "0")} at byte ${opAt}`);
      }
    }
  }
}

function call(f: unknown, args: unknown, vm: VmContext): unknown {
  if (!(f instanceof PyGlobal)) return vm.fail(`cannot call ${describe(f)}`);
  if (f.spec.kind === "class") return vm.fail(refusal(f.module, f.name));
  if (f.spec.kind !== "call") return vm.fail(`${f.dotted} cannot be called`);
  if (!isTuple(args)) return vm.fail(`arguments of ${f.dotted} must be a tuple, not ${describe(args)}`);
  return f.spec.call(args, vm);
}

/** Modules whose globals are code to run, never a model's class: no whole-model hint for these. */
const CODE_MODULES = new Set([
  "posix",
  "nt",
  "os",
  "builtins",
  "__builtin__",
  "subprocess",
  "sys",
  "shutil",
  "socket",
  "importlib",
  "runpy",
  "pickle",
  "code",
  "codecs",
  "ctypes",
  "pty",
  "webbrowser",
  "operator",
  "functools",
]);

/** A class a `torch.save(model)` file names: torch.nn modules, optimizers, or the user's own. */
function looksLikeWholeModel(module: string): boolean {
  return !CODE_MODULES.has(module.split(".")[0]!);
}

const WHOLE_MODEL_HINT =
  "; if it is torch.save(model), a whole module: loadTorch(bytes, { objects: 'records' }) reads it as " +
  "inert records (rnnkit's command line does), or in PyTorch save torch.save(model.state_dict(), path)";

/** What a value is, for messages ("a list", "global 'torch.FloatStorage'"). */
export function describe(v: unknown): string {
  if (v === null) return "None";
  if (v instanceof PyGlobal) return `global '${v.dotted}'`;
  if (v instanceof StorageRef) return "a storage";
  if (v instanceof TensorRef) return "a tensor";
  if (v instanceof ObjectRef) return `an object of class '${v.cls.dotted}'`;
  if (v instanceof TorchObject) return `an object of class '${v.className}'`;
  if (v instanceof Map) return "a dict";
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return isTuple(v) ? "a tuple" : "a list";
  if (typeof v === "string") return "a str";
  if (typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v))) {
    const text = String(v);
    return `the int ${text.length > 24 ? `${text.slice(0, 24)}... (${text.length} digits)` : text}`;
  }
  if (typeof v === "number") return `the float ${v}`;
  if (typeof v === "boolean") return "a bool";
  return typeof v;
}
