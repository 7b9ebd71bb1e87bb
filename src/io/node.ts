// The io layer's only contact with the file system (Node only; the rest of io/ works on Uint8Array in
// browsers too): read a file's bytes, and write a file atomically so that a failure leaves no partial
// file. Temporaries are named `.NAME.PID.HEX.tmp` beside their target: removed on error, on
// SIGINT/SIGTERM/SIGHUP while one exists, and, after a kill -9, by the next write beside them.

import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Node's read errors with the file named (it says only "EISDIR: illegal operation on a directory, read"). */
function described(path: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EISDIR") return new Error(`${path} is a folder, not a file`);
  if (code === "EACCES") return new Error(`${path}: permission denied`);
  return e;
}

/** A file's contents as a Uint8Array. */
export async function readBytes(path: string): Promise<Uint8Array> {
  let b: Buffer;
  try {
    b = await readFile(path);
  } catch (e) {
    throw described(path, e);
  }
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function readBytesSync(path: string): Uint8Array {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch (e) {
    throw described(path, e);
  }
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * The temporary files and folders this process is writing now. While there is one, a signal
 * removes them all and then takes its default action (unless the program has its own listener
 * for that signal, which then decides, and may call `removeAll`).
 */
export const temporaries = {
  paths: new Set<string>(),
  add(path: string): void {
    if (this.paths.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
    this.paths.add(path);
  },
  delete(path: string): void {
    this.paths.delete(path);
    if (this.paths.size === 0) for (const s of SIGNALS) process.off(s, onSignal);
  },
  removeAll(): void {
    for (const p of this.paths) rmSync(p, { recursive: true, force: true });
    this.paths.clear();
    for (const s of SIGNALS) process.off(s, onSignal);
  },
};

function onSignal(signal: NodeJS.Signals): void {
  const alone = process.listenerCount(signal) === 1;
  temporaries.removeAll();
  if (alone) process.kill(process.pid, signal);
}

const TEMP = /^\.(.+)\.(\d+)\.[0-9a-f]{12}(\.old)?\.tmp$/;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temporaries of `name` in `dir` that a process no longer running left behind (a kill -9
 * mid-write): only names of this module's pattern, only for a process id that is gone.
 */
export function removeStaleTemporaries(dir: string, name: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = TEMP.exec(e);
    if (m && m[1] === name && !alive(Number(m[2]))) rmSync(join(dir, e), { recursive: true, force: true });
  }
}

/**
 * A new temporary name beside `path` (`.NAME.PID.HEX.tmp`, or `.NAME.PID.HEX.old.tmp` for `old`),
 * in the same directory so that the final rename stays on one file system; the stale temporaries of
 * `path` that a dead process left are removed first. Registers nothing.
 */
export function temporaryPaths(path: string): { readonly temp: string; readonly old: string } {
  removeStaleTemporaries(dirname(path), basename(path));
  const stem = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}`);
  return { temp: `${stem}.tmp`, old: `${stem}.old.tmp` };
}

function tempPathFor(path: string): string {
  const { temp } = temporaryPaths(path);
  temporaries.add(temp);
  return temp;
}

/**
 * Writes `bytes` to `path` atomically: to a temporary file in the same directory, flushed to disk, then
 * renamed over `path`. On any failure the temporary file is removed and `path` is left as it was.
 */
export async function writeBytesAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  } finally {
    temporaries.delete(temp);
  }
}

export function writeBytesAtomicSync(path: string, bytes: Uint8Array): void {
  const temp = tempPathFor(path);
  try {
    const fd = openSync(temp, "wx");
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  } finally {
    temporaries.delete(temp);
  }
}
