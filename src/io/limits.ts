// Options every loader takes, and the allocation budget that keeps a hostile file from making a loader
// allocate without bound (io layer).

import { ArgumentError } from "../errors.js";
import { type FormatName, type Reporter, reporter, showCount } from "./errors.js";

export interface LoadOptions {
  /** The file's name, for error messages ("safetensors (model.safetensors): ..."). */
  readonly name?: string;
  /**
   * The most bytes a loader may allocate beyond views of the input: inflated zip entries, tensors
   * gathered from strided or shared storages, byte-swapped or Fortran-order arrays. Default
   * 64 MiB + 8 × the file size. Raise it for a highly compressed `.npz`.
   */
  readonly maxAllocation?: number;
}

export const MiB = 2 ** 20;

export function defaultMaxAllocation(fileSize: number): number {
  return 64 * MiB + 8 * fileSize;
}

/** Counts bytes allocated for one file against `maxAllocation`. */
export class Budget {
  private used = 0;
  constructor(
    readonly limit: number,
    private readonly rep: Reporter,
  ) {}

  /** Reserves `bytes` or fails, before the caller allocates them. */
  take(bytes: number, what: string): void {
    const left = this.limit - this.used;
    if (!(bytes <= left))
      this.rep.fail(
        `${what} needs ${showCount(bytes)} bytes, more than the ${showCount(left)} left of the allocation ` +
          `limit ${showCount(this.limit)} (options.maxAllocation)`,
      );
    this.used += bytes;
  }
}

/** Validates a loader's arguments; returns the file's reporter and budget. */
export function startLoad(
  where: string,
  format: FormatName,
  bytes: unknown,
  options: LoadOptions,
): { rep: Reporter; budget: Budget; bytes: Uint8Array } {
  if (!(bytes instanceof Uint8Array))
    throw new ArgumentError(where, "bytes", "must be a Uint8Array", "Uint8Array", typeof bytes);
  if (typeof options !== "object" || options === null)
    throw new ArgumentError(where, "options", "must be an object", "{ name?, maxAllocation? }", options);
  const { name, maxAllocation } = options;
  if (name !== undefined && typeof name !== "string")
    throw new ArgumentError(where, "options.name", "must be a string", "string", name);
  if (maxAllocation !== undefined && !(typeof maxAllocation === "number" && maxAllocation >= 0))
    throw new ArgumentError(where, "options.maxAllocation", "must be a number >= 0", ">= 0", maxAllocation);
  const rep = reporter(format, name ?? null);
  // A plain view of the same bytes: subclasses such as Node's Buffer change what slice() and subarray() do.
  const plain =
    bytes.constructor === Uint8Array
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { rep, budget: new Budget(maxAllocation ?? defaultMaxAllocation(bytes.length), rep), bytes: plain };
}
