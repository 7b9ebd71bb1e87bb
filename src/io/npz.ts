// numpy's .npz (numpy.savez / savez_compressed): a ZIP archive of `<name>.npy` entries (io layer).

import { deflateSync } from "fflate";
import { ArgumentError } from "../errors.js";
import { type LoadOptions, startLoad } from "./limits.js";
import { readNpy, saveNpy } from "./npy.js";
import { dictEntries, type StoredTensor, type TensorDict } from "./stored.js";
import { readZip, writeZip } from "./zip.js";

/**
 * Reads a `.npz` archive: every `<name>.npy` entry as a StoredTensor keyed `<name>`, in archive order.
 * Stored entries are views of `bytes`; deflated ones (savez_compressed) are inflated within
 * `maxAllocation`, after checking their declared sizes.
 */
export function loadNpz(bytes: Uint8Array, options: LoadOptions = {}): Map<string, StoredTensor> {
  const { rep, budget } = startLoad("io.loadNpz", "npz", bytes, options);
  const zip = readZip(bytes, rep);
  const out = new Map<string, StoredTensor>();
  for (const entry of zip.entries) {
    if (!entry.name.endsWith(".npy")) rep.fail(`entry '${entry.name}' is not an .npy file`);
    const data = zip.read(entry, budget);
    out.set(entry.name.slice(0, -4), readNpy(data, rep.as("npy", entry.name), budget));
  }
  return out;
}

/**
 * Writes a `.npz` archive of `<key>.npy` entries (each as `saveNpy` writes it) in the dict's order;
 * `compress: true` deflates them as `numpy.savez_compressed` does.
 */
export function saveNpz(dict: TensorDict, options: { readonly compress?: boolean } = {}): Uint8Array {
  const where = "io.saveNpz";
  if (options.compress !== undefined && typeof options.compress !== "boolean")
    throw new ArgumentError(
      where,
      "options.compress",
      "must be a boolean",
      "true or false",
      options.compress,
    );
  const files = dictEntries(where, dict).map(([key, t]) => {
    const data = saveNpy(t);
    return options.compress
      ? { name: `${key}.npy`, data, deflated: deflateSync(data, { level: 6 }) }
      : { name: `${key}.npy`, data };
  });
  return writeZip(where, files);
}
