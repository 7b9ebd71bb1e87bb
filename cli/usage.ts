// Errors the CLI reports as bad usage (exit 2) rather than failure (exit 1).

export class UsageError extends Error {
  override readonly name = "UsageError";
}
