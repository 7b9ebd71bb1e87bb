// The allow-list: every global a `.pt` file may name, and our own implementation of each one that can be
// called (io layer). torch/_weights_only_unpickler.py `_get_allowed_globals` (PyTorch 1.13) is the model;
// sparse, quantized and meta tensors are left out, `_rebuild_tensor_v3` and `_codecs.encode` added.

import { TORCH_DTYPES, type TorchDType } from "../dtype.js";
import {
  describe,
  type GlobalSpec,
  ObjectRef,
  PICKLE_LIMITS,
  PyGlobal,
  StorageRef,
  TensorRef,
  type VmContext,
} from "./pickle.js";

/** Storage classes (torch/storage.py `_dtype_to_storage_type_map`) by the dtype they hold. */
const STORAGE_CLASSES: readonly [string, TorchDType][] = [
  ["DoubleStorage", "float64"],
  ["FloatStorage", "float32"],
  ["HalfStorage", "float16"],
  ["BFloat16Storage", "bfloat16"],
  ["LongStorage", "int64"],
  ["IntStorage", "int32"],
  ["ShortStorage", "int16"],
  ["CharStorage", "int8"],
  ["ByteStorage", "uint8"],
  ["BoolStorage", "bool"],
  ["ComplexDoubleStorage", "complex128"],
  ["ComplexFloatStorage", "complex64"],
];

function isTupleLike(v: unknown): v is readonly unknown[] {
  return Array.isArray(v);
}

function count(args: readonly unknown[], min: number, max: number, what: string, vm: VmContext): void {
  if (args.length < min || args.length > max)
    vm.fail(`${what} takes ${min === max ? min : `${min} to ${max}`} arguments, got ${args.length}`);
}

function safeInt(v: unknown, what: string, vm: VmContext): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    return vm.fail(`${what} must be an int >= 0, got ${describe(v)}`);
  return v;
}

function sizes(v: unknown, what: string, vm: VmContext): number[] {
  if (!isTupleLike(v)) return vm.fail(`${what} must be a tuple, got ${describe(v)}`);
  if (v.length > PICKLE_LIMITS.ndim)
    vm.fail(`${what} has ${v.length} dimensions, more than ${PICKLE_LIMITS.ndim}`);
  return v.map((d, i) => safeInt(d, `${what}[${i}]`, vm));
}

/** torch/_utils.py `_rebuild_tensor`: storage, storage_offset, size, stride (offsets in elements). */
function rebuild(args: readonly unknown[], dtype: TorchDType | null, what: string, vm: VmContext): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef))
    return vm.fail(`${what}: storage must be a storage, got ${describe(storage)}`);
  const s = sizes(size, `${what}: size`, vm);
  const st = sizes(stride, `${what}: stride`, vm);
  if (s.length !== st.length) vm.fail(`${what}: size has ${s.length} dimensions, stride ${st.length}`);
  const requiresGrad = args[4];
  if (args.length > 4 && typeof requiresGrad !== "boolean" && requiresGrad !== 0 && requiresGrad !== 1)
    vm.fail(`${what}: requires_grad must be a bool, got ${describe(requiresGrad)}`);
  return new TensorRef(
    storage,
    dtype ?? storage.dtype,
    safeInt(offset, `${what}: storage_offset`, vm),
    s,
    st,
  );
}

function tensorArg(v: unknown, what: string, vm: VmContext): TensorRef {
  if (!(v instanceof TensorRef)) return vm.fail(`${what}: data must be a tensor, got ${describe(v)}`);
  return v;
}

const CALLS: Record<string, (args: readonly unknown[], vm: VmContext) => unknown> = {
  "collections.OrderedDict": (args, vm) => {
    count(args, 0, 1, "OrderedDict", vm);
    const dict = new Map<unknown, unknown>();
    if (args.length === 1) {
      const pairs = args[0];
      if (!isTupleLike(pairs)) vm.fail(`OrderedDict takes a list of pairs, got ${describe(pairs)}`);
      for (const pair of pairs as readonly unknown[]) {
        if (!isTupleLike(pair) || pair.length !== 2)
          vm.fail(`OrderedDict items must be pairs, got ${describe(pair)}`);
        dict.set((pair as unknown[])[0], (pair as unknown[])[1]);
      }
    }
    return dict;
  },
  "torch._utils._rebuild_tensor": (args, vm) => {
    count(args, 4, 4, "_rebuild_tensor", vm);
    return rebuild(args, null, "_rebuild_tensor", vm);
  },
  "torch._utils._rebuild_tensor_v2": (args, vm) => {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    count(args, 6, 7, "_rebuild_tensor_v2", vm);
    return rebuild(args, null, "_rebuild_tensor_v2", vm);
  },
  "torch._utils._rebuild_tensor_v3": (args, vm) => {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])
    count(args, 7, 8, "_rebuild_tensor_v3", vm);
    const dtype = args[6];
    if (!(dtype instanceof PyGlobal) || dtype.spec.kind !== "dtype")
      return vm.fail(`_rebuild_tensor_v3: dtype must be a torch dtype, got ${describe(dtype)}`);
    return rebuild(args, dtype.spec.dtype, "_rebuild_tensor_v3", vm);
  },
  "torch._utils._rebuild_parameter": (args, vm) => {
    count(args, 3, 3, "_rebuild_parameter", vm);
    return tensorArg(args[0], "_rebuild_parameter", vm);
  },
  "torch._utils._rebuild_parameter_with_state": (args, vm) => {
    count(args, 4, 4, "_rebuild_parameter_with_state", vm);
    return tensorArg(args[0], "_rebuild_parameter_with_state", vm);
  },
  "torch.nn.parameter.Parameter": (args, vm) => {
    count(args, 1, 2, "Parameter", vm);
    return tensorArg(args[0], "Parameter", vm);
  },
  "torch.Size": (args, vm) => {
    count(args, 1, 1, "torch.Size", vm);
    return Object.freeze(sizes(args[0], "torch.Size", vm));
  },
  "_codecs.encode": (args, vm) => {
    // How protocol 2 pickles Python 3 bytes: _codecs.encode('\x00\xff', 'latin1').
    count(args, 2, 2, "_codecs.encode", vm);
    const [text, encoding] = args;
    if (typeof text !== "string" || (encoding !== "latin1" && encoding !== "latin-1"))
      return vm.fail("_codecs.encode is allowed only as (str, 'latin1')");
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff) vm.fail("_codecs.encode: character outside latin1");
      out[i] = c;
    }
    return out;
  },
};

/** The allow-list, built once. */
export const ALLOWED_GLOBALS: ReadonlyMap<string, GlobalSpec> = (() => {
  const m = new Map<string, GlobalSpec>();
  for (const [name, call] of Object.entries(CALLS)) m.set(name, { kind: "call", call });
  for (const [cls, dtype] of STORAGE_CLASSES) {
    m.set(`torch.${cls}`, { kind: "storage", dtype });
    m.set(`torch.cuda.${cls}`, { kind: "storage", dtype }); // pickled by PyTorch < 1.12 for CUDA tensors
  }
  m.set("torch.UntypedStorage", { kind: "storage", dtype: "uint8" });
  m.set("torch.storage.UntypedStorage", { kind: "storage", dtype: "uint8" });
  for (const dtype of TORCH_DTYPES) m.set(`torch.${dtype}`, { kind: "dtype", dtype });
  return m;
})();

/**
 * What `objects: "records"` adds: the few calls Python's pickle makes to construct plain objects and
 * containers of a whole-model file. Each is our own, and builds data or an inert record.
 */
const RECORD_CALLS: Record<string, (args: readonly unknown[], vm: VmContext) => unknown> = {
  // copyreg._reconstructor(cls, base, state): protocol 0/1's object construction; BUILD sets the state.
  "copyreg._reconstructor": (args, vm) => {
    count(args, 3, 3, "copyreg._reconstructor", vm);
    const cls = args[0];
    if (!(cls instanceof PyGlobal))
      return vm.fail(`copyreg._reconstructor needs a class, got ${describe(cls)}`);
    return new ObjectRef(cls);
  },
  // A module's _non_persistent_buffers_set: set(list) read as the list.
  "__builtin__.set": (args, vm) => setOf(args, vm),
  "builtins.set": (args, vm) => setOf(args, vm),
  // An optimizer's state: defaultdict(dict), read as a dict.
  "collections.defaultdict": (args, vm) => {
    count(args, 0, 1, "collections.defaultdict", vm);
    return new Map<unknown, unknown>();
  },
};

function setOf(args: readonly unknown[], vm: VmContext): unknown[] {
  count(args, 0, 1, "set", vm);
  if (args.length === 0) return [];
  if (!Array.isArray(args[0])) return vm.fail(`set takes a list, got ${describe(args[0])}`);
  return [...(args[0] as unknown[])];
}

/** The allow-list of `objects: "records"`: ALLOWED_GLOBALS and RECORD_CALLS (other names become classes to record). */
export const RECORD_GLOBALS: ReadonlyMap<string, GlobalSpec> = (() => {
  const m = new Map(ALLOWED_GLOBALS);
  for (const [name, call] of Object.entries(RECORD_CALLS)) m.set(name, { kind: "call", call });
  return m;
})();
