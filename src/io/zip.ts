// ZIP archives as .pt and .npz files use them (io layer): a reader driven by the central directory that
// checks every size and offset before reading, and two writers (torch.save's layout and a plain one).
// Deflate itself is fflate's; everything around it is here so that limits apply before allocation.

import { Inflate } from "fflate";
import { ArgumentError } from "../errors.js";
import { FormatError, type Reporter, showCount } from "./errors.js";
import type { Budget } from "./limits.js";
import { cp437 } from "./text.js";

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: 0 | 8;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Offset of the entry's data in the archive. */
  readonly dataOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
/** Deflate cannot expand data more than about 1032:1 (258-byte matches in ~2 bits each). */
const MAX_DEFLATE_RATIO = 1032;
/** Compressed bytes given to the inflater at once: bounds its output per step to ~16 MiB. */
const INFLATE_CHUNK = 16 * 1024;

/** True when `bytes` starts like a ZIP archive (a local file header, or the end record of an empty one). */
export function isZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const sig = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  return sig === SIG_LOCAL || sig === SIG_EOCD;
}

/** A validated archive: its entries in central-directory order, read on demand. */
export class ZipArchive {
  private readonly byName: ReadonlyMap<string, ZipEntry>;
  constructor(
    private readonly bytes: Uint8Array,
    readonly entries: readonly ZipEntry[],
    private readonly rep: Reporter,
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** The entry's contents, CRC-checked: a view of the archive when stored, inflated within `budget` otherwise. */
  read(entry: ZipEntry, budget: Budget): Uint8Array {
    const raw = this.bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
    let data: Uint8Array;
    if (entry.method === 0) data = raw;
    else {
      budget.take(entry.size, `inflating entry '${entry.name}'`);
      data = inflateExactly(raw, entry, this.rep);
    }
    const crc = crc32(data);
    if (crc !== entry.crc32)
      this.rep.fail(
        `entry '${entry.name}': CRC-32 is ${hex32(crc)}, the directory says ${hex32(entry.crc32)}`,
      );
    return data;
  }
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

function inflateExactly(raw: Uint8Array, entry: ZipEntry, rep: Reporter): Uint8Array {
  const out = new Uint8Array(entry.size);
  let filled = 0;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    if (chunk.length > entry.size - filled)
      rep.fail(
        `entry '${entry.name}': inflates to more than the ${showCount(entry.size)} bytes the directory says`,
      );
    out.set(chunk, filled);
    filled += chunk.length;
    if (final) ended = true;
  });
  try {
    for (let at = 0; at < raw.length || at === 0; at += INFLATE_CHUNK) {
      const end = Math.min(at + INFLATE_CHUNK, raw.length);
      inflater.push(raw.subarray(at, end), end === raw.length);
      if (ended || end === raw.length) break;
    }
  } catch (e) {
    if (e instanceof FormatError) throw e;
    rep.fail(`entry '${entry.name}': invalid deflate data (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!ended || filled !== entry.size)
    rep.fail(
      `entry '${entry.name}': inflates to ${showCount(filled)} bytes, the directory says ${showCount(entry.size)}`,
    );
  return out;
}

/** Reads and validates the central directory of `bytes` (sizes, offsets, overlaps, names). */
export function readZip(bytes: Uint8Array, rep: Reporter): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number, what: string): number => {
    const v = u32(at) + u32(at + 4) * 2 ** 32;
    if (!Number.isSafeInteger(v)) rep.fail(`${what} ${showCount(v)} is past any file rnnkit can hold`);
    return v;
  };
  const len = bytes.length;
  if (len < EOCD_SIZE) rep.fail(`file is ${len} bytes, too short for a ZIP archive (at least 22)`);

  // The end-of-central-directory record: the last signature whose comment fits in the file.
  let eocd = -1;
  for (let i = len - EOCD_SIZE; i >= Math.max(0, len - EOCD_SIZE - 0xffff); i--)
    if (u32(i) === SIG_EOCD && i + EOCD_SIZE + u16(i + 20) <= len) {
      eocd = i;
      break;
    }
  if (eocd < 0) rep.fail("no end-of-central-directory record: not a ZIP archive, or truncated");
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0) rep.fail("multi-disk ZIP archives are not supported");
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  let recordStart = eocd;
  const locator = eocd - 20;
  if (locator >= 0 && u32(locator) === SIG_ZIP64_LOCATOR) {
    const at = u64(locator + 8, "zip64 end record offset");
    if (at + 56 > locator || u32(at) !== SIG_ZIP64_EOCD)
      rep.fail(`zip64 end record expected at byte ${showCount(at)} is missing`);
    count = u64(at + 32, "entry count");
    cdSize = u64(at + 40, "central directory size");
    cdOffset = u64(at + 48, "central directory offset");
    recordStart = at;
  }
  if (cdOffset + cdSize > recordStart)
    rep.fail(
      `central directory [${showCount(cdOffset)}, ${showCount(cdOffset + cdSize)}) runs past its end record at byte ${recordStart}`,
    );
  if (count * CENTRAL_SIZE > cdSize)
    rep.fail(`${showCount(count)} entries cannot fit in a ${showCount(cdSize)}-byte central directory`);

  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const entries: ZipEntry[] = [];
  const headers: { start: number; entry: ZipEntry }[] = [];
  const names = new Set<string>();
  const cdEnd = cdOffset + cdSize;
  // Walked by the directory's byte size, not by the end record's count: a count that is too small
  // would otherwise drop entries silently. Both must agree.
  let p = cdOffset;
  for (let k = 0; p < cdEnd; k++) {
    if (k >= count)
      rep.fail(
        `the central directory holds more than the ${showCount(count)} entries its end record counts (a corrupt archive)`,
      );
    if (p + CENTRAL_SIZE > cdEnd || u32(p) !== SIG_CENTRAL)
      rep.fail(`central directory entry ${k} at byte ${p} is missing or truncated`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const crc = u32(p + 16);
    let compressedSize = u32(p + 20);
    let size = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    let localOffset = u32(p + 42);
    const next = p + CENTRAL_SIZE + nameLen + extraLen + commentLen;
    if (next > cdEnd) rep.fail(`central directory entry ${k} runs past the directory's end`);
    const nameBytes = bytes.subarray(p + CENTRAL_SIZE, p + CENTRAL_SIZE + nameLen);
    let name: string;
    try {
      name = flags & 0x800 ? utf8.decode(nameBytes) : cp437(nameBytes);
    } catch {
      return rep.fail(`central directory entry ${k}: name is not valid UTF-8`);
    }
    // Zip64 extra field: the 64-bit values of the fields saturated at 0xffffffff, in this order.
    for (let x = p + CENTRAL_SIZE + nameLen; x + 4 <= p + CENTRAL_SIZE + nameLen + extraLen; ) {
      const id = u16(x);
      const n = u16(x + 2);
      if (x + 4 + n > p + CENTRAL_SIZE + nameLen + extraLen)
        rep.fail(`entry '${name}': extra field runs past its end`);
      if (id === 0x0001) {
        let q = x + 4;
        const take = (what: string): number => {
          if (q + 8 > x + 4 + n) rep.fail(`entry '${name}': zip64 extra field too short for the ${what}`);
          const v = u64(q, `entry '${name}': ${what}`);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take("size");
        if (compressedSize === 0xffffffff) compressedSize = take("compressed size");
        if (localOffset === 0xffffffff) localOffset = take("header offset");
      }
      x += 4 + n;
    }
    if (flags & 1) rep.fail(`entry '${name}' is encrypted`);
    if (method !== 0 && method !== 8)
      rep.fail(`entry '${name}': compression method ${method} is not supported (stored and deflate are)`);
    if (names.has(name)) rep.fail(`entry '${name}' appears twice`);
    names.add(name);
    if (method === 0 && compressedSize !== size)
      rep.fail(
        `entry '${name}' is stored (uncompressed) but its sizes differ: ${compressedSize} and ${size}`,
      );
    if (method === 8 && size > compressedSize * MAX_DEFLATE_RATIO + 64)
      rep.fail(
        `entry '${name}' claims ${showCount(size)} bytes from ${showCount(compressedSize)} deflated bytes, ` +
          `beyond deflate's ${MAX_DEFLATE_RATIO}:1 limit (a zip bomb?)`,
      );
    // The local header gives the data's start; the central directory gives everything else.
    if (localOffset + LOCAL_SIZE > cdOffset || u32(localOffset) !== SIG_LOCAL)
      rep.fail(`entry '${name}': no local header at byte ${showCount(localOffset)}`);
    const localNameLen = u16(localOffset + 26);
    const dataOffset = localOffset + LOCAL_SIZE + localNameLen + u16(localOffset + 28);
    const localName = bytes.subarray(localOffset + LOCAL_SIZE, localOffset + LOCAL_SIZE + localNameLen);
    if (localNameLen !== nameLen || !localName.every((b, i) => b === nameBytes[i]))
      rep.fail(`entry '${name}': the local header names another file`);
    if (dataOffset + compressedSize > cdOffset)
      rep.fail(
        `entry '${name}': data [${showCount(dataOffset)}, ${showCount(dataOffset + compressedSize)}) runs into ` +
          `the central directory at byte ${showCount(cdOffset)}`,
      );
    const entry: ZipEntry = { name, method, crc32: crc, compressedSize, size, dataOffset };
    entries.push(entry);
    headers.push({ start: localOffset, entry });
    p = next;
  }
  if (entries.length !== count)
    rep.fail(
      `the end record counts ${showCount(count)} entries but the central directory holds ${entries.length} (a corrupt archive)`,
    );
  // Entries may not share bytes (overlapping entries are a classic zip bomb).
  headers.sort((a, b) => a.start - b.start);
  for (let k = 1; k < headers.length; k++) {
    const prev = headers[k - 1]!;
    const cur = headers[k]!;
    if (prev.entry.dataOffset + prev.entry.compressedSize > cur.start)
      rep.fail(`entries '${prev.entry.name}' and '${cur.entry.name}' overlap`);
  }
  return new ZipArchive(bytes, entries, rep);
}

// --- CRC-32 (IEEE 802.3, as ZIP uses), slicing by 4 ------------------------------------------------

const CRC_TABLES = (() => {
  const t = new Uint32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++)
    for (let s = 1; s < 4; s++)
      t[s * 256 + n] = (t[(s - 1) * 256 + n]! >>> 8) ^ t[t[(s - 1) * 256 + n]! & 0xff]!;
  return t;
})();

export function crc32(data: Uint8Array): number {
  const t = CRC_TABLES;
  let c = 0xffffffff;
  let i = 0;
  for (const end = data.length & ~3; i < end; i += 4) {
    c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    c = t[768 + (c & 0xff)]! ^ t[512 + ((c >>> 8) & 0xff)]! ^ t[256 + ((c >>> 16) & 0xff)]! ^ t[c >>> 24]!;
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// --- Writers ---------------------------------------------------------------------------------------

class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(v: number): void {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
  u64(v: number): void {
    this.view.setUint32(this.at, v % 2 ** 32, true);
    this.view.setUint32(this.at + 4, Math.floor(v / 2 ** 32), true);
    this.at += 8;
  }
  put(data: Uint8Array): void {
    this.bytes.set(data, this.at);
    this.at += data.length;
  }
}

const MAX_32 = 0xffffffff;

function checkSizes(where: string, total: number, count: number): void {
  if (total >= MAX_32 || count >= 0xffff)
    throw new ArgumentError(
      where,
      "dict",
      "must fit a ZIP archive without zip64",
      "< 4 GiB, < 65535 entries",
      `${total} bytes`,
    );
}

/**
 * A ZIP archive laid out as PyTorch's PyTorchStreamWriter (caffe2/serialize/inline_container.cc) writes
 * it: entries stored, each data start aligned to 64 bytes by an "FB" extra field of 'Z's, sizes in data
 * descriptors, zero times and versions, and a zip64 end record before the classic one.
 */
export function writeTorchZip(
  where: string,
  records: readonly { name: string; data: Uint8Array }[],
): Uint8Array {
  const enc = new TextEncoder();
  const names = records.map((r) => enc.encode(r.name));
  const layout: { offset: number; pad: number }[] = [];
  let at = 0;
  records.forEach((r, k) => {
    const start = at + LOCAL_SIZE + names[k]!.length + 4;
    const pad = (64 - (start % 64)) % 64;
    layout.push({ offset: at, pad });
    at = start + pad + r.data.length + (r.data.length > 0 ? 16 : 0);
  });
  const cdOffset = at;
  const cdSize = names.reduce((s, n) => s + CENTRAL_SIZE + n.length, 0);
  const total = cdOffset + cdSize + 56 + 20 + EOCD_SIZE;
  checkSizes(where, total, records.length);
  const w = new ByteWriter(total);
  const crcs = records.map((r) => crc32(r.data));
  // miniz writes sizes after the data (bit 3) for every record but an empty one.
  const flags = (data: Uint8Array) => (data.length > 0 ? 0x0808 : 0x0800);
  records.forEach((r, k) => {
    const { pad } = layout[k]!;
    w.u32(SIG_LOCAL);
    w.u16(0); // version needed
    w.u16(flags(r.data)); // UTF-8 names; a data descriptor follows unless empty
    w.u16(0); // stored
    w.u32(0); // time, date
    w.u32(0); // CRC-32, sizes: in the data descriptor
    w.u32(0);
    w.u32(0);
    w.u16(names[k]!.length);
    w.u16(4 + pad);
    w.put(names[k]!);
    w.put(enc.encode("FB"));
    w.u16(pad);
    w.put(new Uint8Array(pad).fill(0x5a)); // 'Z'
    w.put(r.data);
    if (r.data.length === 0) return;
    w.u32(SIG_DESCRIPTOR);
    w.u32(crcs[k]!);
    w.u32(r.data.length);
    w.u32(r.data.length);
  });
  records.forEach((r, k) => {
    w.u32(SIG_CENTRAL);
    w.u16(0); // version made by
    w.u16(0); // version needed
    w.u16(flags(r.data));
    w.u16(0);
    w.u32(0);
    w.u32(crcs[k]!);
    w.u32(r.data.length);
    w.u32(r.data.length);
    w.u16(names[k]!.length);
    w.u16(0); // extra
    w.u16(0); // comment
    w.u16(0); // disk
    w.u16(0); // internal attributes
    w.u32(0); // external attributes
    w.u32(layout[k]!.offset);
    w.put(names[k]!);
  });
  const zip64At = w.at;
  w.u32(SIG_ZIP64_EOCD);
  w.u64(44);
  w.u16(0x031e); // made by: Unix, version 3.0
  w.u16(45); // needed: zip64
  w.u32(0);
  w.u32(0);
  w.u64(records.length);
  w.u64(records.length);
  w.u64(cdSize);
  w.u64(cdOffset);
  w.u32(SIG_ZIP64_LOCATOR);
  w.u32(0);
  w.u64(zip64At);
  w.u32(1);
  writeEocd(w, records.length, cdSize, cdOffset);
  return w.bytes;
}

function writeEocd(w: ByteWriter, count: number, cdSize: number, cdOffset: number): void {
  w.u32(SIG_EOCD);
  w.u16(0);
  w.u16(0);
  w.u16(count);
  w.u16(count);
  w.u32(cdSize);
  w.u32(cdOffset);
  w.u16(0);
}

/** A plain ZIP archive (as Python's zipfile writes, without times): entries stored or deflated as given. */
export function writeZip(
  where: string,
  files: readonly { name: string; data: Uint8Array; deflated?: Uint8Array }[],
): Uint8Array {
  const enc = new TextEncoder();
  const names = files.map((f) => enc.encode(f.name));
  const bodies = files.map((f) => f.deflated ?? f.data);
  const offsets: number[] = [];
  let at = 0;
  files.forEach((_, k) => {
    offsets.push(at);
    at += LOCAL_SIZE + names[k]!.length + bodies[k]!.length;
  });
  const cdOffset = at;
  const cdSize = names.reduce((s, n) => s + CENTRAL_SIZE + n.length, 0);
  const total = cdOffset + cdSize + EOCD_SIZE;
  checkSizes(where, total, files.length);
  const w = new ByteWriter(total);
  const crcs = files.map((f) => crc32(f.data));
  const utf8Flag = (k: number) => (names[k]!.some((b) => b >= 0x80) ? 0x800 : 0);
  const header = (k: number) => {
    w.u16(20); // version needed: 2.0
    w.u16(utf8Flag(k));
    w.u16(files[k]!.deflated ? 8 : 0);
    w.u16(0); // time 00:00:00
    w.u16(0x21); // date 1980-01-01
    w.u32(crcs[k]!);
    w.u32(bodies[k]!.length);
    w.u32(files[k]!.data.length);
    w.u16(names[k]!.length);
  };
  files.forEach((_, k) => {
    w.u32(SIG_LOCAL);
    header(k);
    w.u16(0);
    w.put(names[k]!);
    w.put(bodies[k]!);
  });
  files.forEach((_, k) => {
    w.u32(SIG_CENTRAL);
    w.u16(0x0314); // made by: Unix, version 2.0
    header(k);
    w.u16(0); // extra
    w.u16(0); // comment
    w.u16(0); // disk
    w.u16(0); // internal attributes
    w.u32(0o600 << 16); // external attributes: -rw-------
    w.u32(offsets[k]!);
    w.put(names[k]!);
  });
  writeEocd(w, files.length, cdSize, cdOffset);
  return w.bytes;
}
