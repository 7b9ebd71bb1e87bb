// Output folders (CLI): `rnnkit run --out DIR` and `rnnkit train --out DIR` write a folder of files
// as one unit. The folder is written under a temporary name beside DIR, flushed to disk, and renamed
// into place; an existing DIR is replaced only when it holds nothing but what rnnkit writes there
// (checked before any work, and again just before the rename). Anything else is refused, so a
// mistyped --out never costs a user a file. Temporaries are removed on every exit path: errors,
// SIGINT/SIGTERM/SIGHUP (io/node.ts's registry), and, after a kill -9, by the next write beside them.

import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  type Stats,
  writeSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { internalError } from "../src/errors.js";
import { temporaries, temporaryPaths } from "../src/io/node.js";
import { UsageError } from "./usage.js";

/** What may live in an output folder: the rule that proves an existing folder is rnnkit's own. */
export interface FolderKind {
  /** For messages: "a run output folder", "a poetry checkpoint". */
  readonly what: string;
  /** The option naming the folder, for messages ("--out"). */
  readonly option: string;
  /** Every file name rnnkit writes there. */
  readonly names: readonly string[];
  /** Further proof that a non-empty folder is one of ours (a checkpoint's config.json); a reason if not. */
  readonly check?: (dir: string) => string | null;
}

function statOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw e;
  }
}

/**
 * Checks, before any work, that `dir` may be written as `kind`: absent (its nearest existing
 * ancestor a folder), an empty folder, or a folder holding only `kind.names`. Throws a UsageError
 * naming the folder and what is wrong otherwise.
 */
export function checkOutputFolder(dir: string, kind: FolderKind): void {
  const st = statOrNull(dir);
  const refuse = (why: string) => new UsageError(`${kind.option} ${dir}: ${why}`);
  if (st === null) {
    let up = dirname(resolve(dir));
    for (;;) {
      const s = statOrNull(up);
      if (s !== null) {
        if (!s.isDirectory()) throw refuse(`${up} is not a folder`);
        return;
      }
      const next = dirname(up);
      if (next === up) return;
      up = next;
    }
  }
  if (st.isSymbolicLink()) throw refuse(`is a symbolic link; give the folder itself`);
  if (!st.isDirectory()) throw refuse(`is a file, not a folder; rnnkit writes ${kind.what} there`);
  if (resolve(dir) === resolve(process.cwd()) || resolve(process.cwd()).startsWith(`${resolve(dir)}/`))
    throw refuse(`is the current folder or holds it; give a folder of its own, such as ${join(dir, "out")}`);
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  const foreign = entries.filter((e) => !kind.names.includes(e));
  if (foreign.length > 0)
    throw refuse(
      `holds files rnnkit did not write (${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", ..." : ""}), ` +
        `so it is not ${kind.what}; give a new or empty folder`,
    );
  const why = kind.check?.(dir) ?? null;
  if (why !== null) throw refuse(`is not ${kind.what}: ${why}; give a new or empty folder`);
}

/** Creates the missing folders above `dir`, one level at a time (Node's recursive mkdir can spin on /proc). */
function makeParents(dir: string, kind: FolderKind): void {
  const missing: string[] = [];
  let up = dirname(dir);
  while (statOrNull(up) === null) {
    missing.push(up);
    const next = dirname(up);
    if (next === up) break;
    up = next;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      throw new Error(`${kind.option} ${dir}: cannot create the folder ${m}: ${(e as Error).message}`);
    }
  }
}

function writeFlushed(path: string, bytes: Uint8Array | string): void {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const fd = openSync(path, "wx");
  try {
    for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncFolder(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes a folder of `kind` file by file: never more than the names rnnkit writes there. A folder
 * that something else wrote into meanwhile is left where it is, and said.
 */
function removeOwnFolder(dir: string, kind: FolderKind): string | null {
  for (const name of kind.names) rmSync(join(dir, name), { force: true });
  try {
    rmdirSync(dir);
    return null;
  } catch {
    return `kept ${dir}: files appeared in the previous ${kind.what} while rnnkit replaced it`;
  }
}

/**
 * Writes `files` as the folder `dir`, all or nothing: into a temporary folder beside it, each file
 * flushed, then renamed into place. An existing `dir` must pass `checkOutputFolder` (checked again
 * here); it is replaced only once the new folder is complete. Returns a note for the user, or null.
 */
export function writeOutputFolder(
  dir: string,
  files: readonly (readonly [name: string, bytes: Uint8Array | string])[],
  kind: FolderKind,
): string | null {
  for (const [name] of files)
    if (!kind.names.includes(name)) internalError(`${name} is not a ${kind.what} file`);
  checkOutputFolder(dir, kind);
  const target = resolve(dir);
  makeParents(target, kind);
  const parent = dirname(target);
  const { temp: tmp, old } = temporaryPaths(target);
  temporaries.add(tmp);
  try {
    try {
      mkdirSync(tmp);
    } catch (e) {
      throw new Error(`${kind.option} ${dir}: cannot write in ${parent}: ${(e as Error).message}`);
    }
    for (const [name, bytes] of files) writeFlushed(join(tmp, name), bytes);
    syncFolder(tmp);
    let note: string | null = null;
    if (statOrNull(target) !== null) {
      renameSync(target, old);
      renameSync(tmp, target);
      note = removeOwnFolder(old, kind);
    } else renameSync(tmp, target);
    syncFolder(parent);
    return note;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    temporaries.delete(tmp);
  }
}
