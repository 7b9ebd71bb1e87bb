// JSON objects with their keys in file order (io layer). JSON.parse does the parsing (fast, iterative,
// no depth limit to overflow); a scan of the top level then recovers what JSON.parse loses: the order of
// integer-like keys ("10" before "2" in the file), and duplicate keys (JSON.parse keeps the last).

/** A parsed JSON object: its top-level members in file order, values as JSON.parse returns them. */
export interface OrderedJsonObject {
  readonly entries: readonly (readonly [string, unknown])[];
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Parses `text`, which must be a JSON object; `fail` receives what is wrong and must throw. */
export function parseJsonObject(text: string, fail: (detail: string) => never): OrderedJsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return fail(`JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("not a JSON object");
  const object = value as Record<string, unknown>;
  const entries: [string, unknown][] = [];
  const seen = new Set<string>();
  // The text is valid JSON: track depth and strings; a string at depth 1 after '{' or ',' is a key.
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (seen.has(key)) fail(`JSON: duplicate key ${JSON.stringify(key.slice(0, 200))}`);
        if (LONE_SURROGATE.test(key))
          fail(`JSON: key ${JSON.stringify(key.slice(0, 200))} holds a lone surrogate`);
        seen.add(key);
        entries.push([key, object[key]]);
        expectKey = false;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && depth === 1) expectKey = true;
  }
  return { entries };
}

/** A short description of an untrusted JSON value for messages, without recursing into it. */
export function preview(v: unknown): string {
  if (Array.isArray(v)) {
    if (v.length <= 8 && v.every((x) => x === null || ["number", "string", "boolean"].includes(typeof x)))
      return JSON.stringify(v).slice(0, 200);
    return `a list of ${v.length} items`;
  }
  if (v === null || typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "string") return JSON.stringify(v.slice(0, 100));
  if (v === undefined) return "missing";
  return "an object";
}
