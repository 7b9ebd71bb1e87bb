// Numbers as text, for the pages: PyTorch's tensor printout (4 decimals, aligned) and exact values.

/** A tensor's values as PyTorch prints them by default: `tensor([[ 0.1234, -0.5678]])`. */
export function torchPrint(data: ArrayLike<number>, shape: readonly number[]): string {
  const texts = Array.from(data, (v) => (Object.is(v, -0) ? "0.0000" : v.toFixed(4)));
  const width = Math.max(...texts.map((t) => t.length), 1);
  const pad = texts.map((t) => t.padStart(width));
  let i = 0;
  const walk = (dim: number, indent: number): string => {
    if (dim === shape.length) return pad[i++]!;
    const parts: string[] = [];
    for (let k = 0; k < shape[dim]!; k++) parts.push(walk(dim + 1, indent + 1));
    if (dim === shape.length - 1) return `[${parts.join(", ")}]`;
    const sep = `,${"\n".repeat(shape.length - 1 - dim)}${" ".repeat(indent + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  return `tensor(${walk(0, 7)})`;
}

/** The shortest decimal that reads back as the same float32 (or float64) value. */
export function exact(v: number, dtype: "float32" | "float64"): string {
  if (dtype === "float64" || !Number.isFinite(v)) return String(v);
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return v.toPrecision(9);
}
