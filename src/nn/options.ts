// Option checking shared by the modules (nn layer): PyTorch's defaults applied in one place, every
// option checked before a parameter exists, unknown option names refused (a typo is not a default).

import { ArgumentError } from "../errors.js";
import type { FloatDType } from "../tensor/index.js";

export function checkKnownOptions(where: string, options: object, allowed: readonly string[]): void {
  if (typeof options !== "object" || options === null)
    throw new ArgumentError(where, "options", "must be an object", `{ ${allowed.join(", ")} }`, options);
  for (const key of Object.keys(options))
    if (!allowed.includes(key))
      throw new ArgumentError(
        where,
        `option '${key}'`,
        "is not an option of this module",
        allowed.join(", "),
        key,
      );
}

export function positiveInt(where: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0)
    throw new ArgumentError(where, name, "must be a positive integer", "an integer > 0", value);
  return value;
}

export function nonNegativeInt(where: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
    throw new ArgumentError(where, name, "must be a non-negative integer", "an integer >= 0", value);
  return value;
}

export function bool(where: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean")
    throw new ArgumentError(where, name, "must be a boolean", "true or false", value);
  return value;
}

export function probability(where: string, name: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !(value >= 0 && value <= 1))
    throw new ArgumentError(where, name, "should be a number in range [0, 1]", "0 <= p <= 1", value);
  return value;
}

export function floatDType(where: string, value: unknown): FloatDType {
  if (value === undefined) return "float32";
  if (value !== "float32" && value !== "float64")
    throw new ArgumentError(where, "dtype", "must be a floating point dtype", "float32 or float64", value);
  return value;
}

const warned = new Set<string>();

/** Prints a warning once per process, as Python's warnings module does by default. */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`rnnkit warning: ${message}`);
}
