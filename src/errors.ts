// Errors shared by every layer: bad input (ArgumentError, named after the argument) and internal
// invariants (internalError, which asks for a report: never use it for user input).

/** Formats a given value for an error message: shapes as [2, 3], strings quoted ('relu'). */
export function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (typeof value === "string") return `'${value}'`;
  return String(value);
}

/** Formats what was expected: a description as written, a value as show() formats it. */
function showExpected(value: unknown): string {
  return typeof value === "string" ? value : show(value);
}

/**
 * Bad input: names where it happened, the argument, the rule, what was expected and what was given.
 * Data for programs (`argument`, `expected`, `actual`), text for people (`message`).
 */
export class ArgumentError extends Error {
  override readonly name = "ArgumentError";
  constructor(
    readonly where: string,
    readonly argument: string,
    rule: string,
    readonly expected: unknown,
    readonly actual: unknown,
  ) {
    super(`${where}: ${argument} ${rule}. Expected ${showExpected(expected)}, got ${show(actual)}`);
  }
}

/** A broken internal invariant (PyTorch's TORCH_INTERNAL_ASSERT): a bug in rnnkit, not in the caller's input. */
export function internalError(message: string): never {
  throw new Error(`rnnkit internal error: ${message}. Please report this with the code that triggered it.`);
}
