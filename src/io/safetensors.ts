// safetensors (huggingface/safetensors, safetensors/src/tensor.rs): an 8-byte little-endian header
// length N, N bytes of JSON (tensor name → { dtype, shape, data_offsets }, optional "__metadata__"
// string map), then the data region that the tensors' offsets cover exactly (io layer).

import { ArgumentError } from "../errors.js";
import { dtypeInfo, FROM_SAFETENSORS, type TorchDType } from "./dtype.js";
import { showCount } from "./errors.js";
import { parseJsonObject, preview } from "./json.js";
import { type LoadOptions, startLoad } from "./limits.js";
import { checkedNumel, dictEntries, type StoredTensor, type TensorDict } from "./stored.js";

export interface SafetensorsFile {
  /** The tensors in the header's order; `bytes` are views into the file's bytes. */
  readonly tensors: Map<string, StoredTensor>;
  /** `__metadata__` (string → string), or null when the file has none. */
  readonly metadata: Record<string, string> | null;
}

/** The reference reader's limit (tensor.rs `MAX_HEADER_SIZE`). */
const MAX_HEADER_SIZE = 100_000_000;
const METADATA_KEY = "__metadata__";
/** Dtypes of newer revisions of the spec that rnnkit does not read (sub-byte or unsigned-zero floats). */
const UNSUPPORTED = new Set(["F4", "F6_E2M3", "F6_E3M2", "F8_E4M3FNUZ", "F8_E5M2FNUZ"]);

/**
 * Reads a `.safetensors` file. Validates before using any offset: header length against the file size,
 * UTF-8, a JSON object, each entry's dtype, shape and offsets, shape × itemsize = byte length, offsets in
 * range, and the offsets covering the data region exactly with neither overlap nor hole.
 */
export function loadSafetensors(bytes: Uint8Array, options: LoadOptions = {}): SafetensorsFile {
  const { rep } = startLoad("io.loadSafetensors", "safetensors", bytes, options);
  if (bytes.length < 8) rep.fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) rep.fail(`header length ${n64} exceeds the file size ${bytes.length}`);
  const n = Number(n64);
  if (n > MAX_HEADER_SIZE)
    rep.fail(`header length ${n} exceeds the reference reader's limit ${MAX_HEADER_SIZE}`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return rep.fail("header is not valid UTF-8");
  }
  if (!text.startsWith("{")) rep.fail("header does not start with '{'");
  const header = parseJsonObject(text, (detail) => rep.fail(`header: ${detail}`));

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> | null = null;
  const infos: { key: string; dtype: TorchDType; shape: number[]; begin: number; end: number }[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  for (const [key, value] of header.entries) {
    if (key === METADATA_KEY) {
      if (!isObject(value)) return rep.fail(`${METADATA_KEY} is not a JSON object`);
      for (const [k, v] of Object.entries(value))
        if (typeof v !== "string") rep.fail(`${METADATA_KEY}['${k.slice(0, 100)}'] is not a string`);
      metadata = Object.fromEntries(Object.entries(value)) as Record<string, string>;
      continue;
    }
    const what = `tensor '${key.length > 200 ? `${key.slice(0, 200)}...` : key}'`;
    if (!isObject(value)) return rep.fail(`${what} is not a JSON object`);
    const field = (name: string): unknown => (Object.hasOwn(value, name) ? value[name] : undefined);
    const dtypeName = field("dtype");
    if (typeof dtypeName !== "string") return rep.fail(`${what}: dtype is missing or not a string`);
    const dtype = FROM_SAFETENSORS.get(dtypeName);
    if (dtype === undefined)
      return rep.fail(
        UNSUPPORTED.has(dtypeName)
          ? `${what}: dtype ${dtypeName} is not supported`
          : `${what}: unknown dtype ${preview(dtypeName)}`,
      );
    const shape = field("shape");
    if (!Array.isArray(shape) || shape.length > 64 || checkedNumel(shape) < 0)
      return rep.fail(`${what}: shape ${preview(shape)} is not a list of sizes >= 0`);
    const offsets = field("data_offsets");
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === "number" && Number.isSafeInteger(o) && o >= 0)
    )
      return rep.fail(`${what}: data_offsets ${preview(offsets)} is not [begin, end]`);
    const [begin, end] = offsets as [number, number];
    if (end < begin) rep.fail(`${what}: data_offsets [${begin}, ${end}] end before they begin`);
    const need = checkedNumel(shape) * dtypeInfo(dtype).size;
    if (end - begin !== need)
      rep.fail(
        `${what}: shape [${shape.join(", ")}] of ${dtypeName} needs ${showCount(need)} bytes, ` +
          `data_offsets [${begin}, ${end}] hold ${showCount(end - begin)}`,
      );
    if (end > dataLength)
      rep.fail(`${what}: data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data region`);
    infos.push({ key, dtype, shape: shape as number[], begin, end });
  }

  // Sorted by offsets, the tensors must tile [0, dataLength) exactly (tensor.rs `Metadata::validate`).
  const sorted = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let last: (typeof sorted)[number] | null = null;
  for (const t of sorted) {
    if (t.begin < covered && last !== null)
      rep.fail(
        `tensors '${last.key}' and '${t.key}' overlap ([${last.begin}, ${last.end}) and [${t.begin}, ${t.end}))`,
      );
    if (t.begin > covered) rep.fail(`data bytes [${covered}, ${t.begin}) belong to no tensor`);
    covered = t.end;
    last = t;
  }
  if (covered !== dataLength)
    rep.fail(`data bytes [${covered}, ${dataLength}) at the end of the file belong to no tensor`);

  const tensors = new Map<string, StoredTensor>();
  for (const t of infos)
    tensors.set(t.key, {
      dtype: t.dtype,
      shape: t.shape,
      bytes: bytes.subarray(dataStart + t.begin, dataStart + t.end),
    });
  return { tensors, metadata };
}

/**
 * Writes a `.safetensors` file: tensors in the dict's order (offsets contiguous in that order), header as
 * the reference writer formats it (`__metadata__` first, compact JSON, padded with spaces to a multiple
 * of 8). Byte-identical to the reference when the dict is in the reference's order (dtype size
 * descending, then name).
 */
export function saveSafetensors(
  dict: TensorDict,
  metadata?: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
): Uint8Array {
  const where = "io.saveSafetensors";
  const entries = dictEntries(where, dict);
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (typeof metadata !== "object" || metadata === null)
      throw new ArgumentError(
        where,
        "metadata",
        "must be an object of strings",
        "Record<string, string>",
        metadata,
      );
    const meta: [string, unknown][] = metadata instanceof Map ? [...metadata] : Object.entries(metadata);
    for (const [k, v] of meta)
      if (typeof k !== "string" || typeof v !== "string")
        throw new ArgumentError(where, `metadata['${String(k)}']`, "must be a string", "string", v);
    parts.push(
      `${JSON.stringify(METADATA_KEY)}:{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`,
    );
  }
  let offset = 0;
  for (const [key, t] of entries) {
    if (key === METADATA_KEY)
      throw new ArgumentError(where, "dict keys", `must not be '${METADATA_KEY}'`, "a tensor name", key);
    const name = dtypeInfo(t.dtype).safetensors;
    if (name === null)
      throw new ArgumentError(
        where,
        `dict['${key}'].dtype`,
        "has no safetensors name",
        "see TORCH_DTYPES",
        t.dtype,
      );
    const end = offset + t.bytes.length;
    parts.push(
      `${JSON.stringify(key)}:{"dtype":"${name}","shape":[${t.shape.join(",")}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const n = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + n + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const [, t] of entries) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}
