/*
 * The few zip files launchproof writes (an audit export's package) and reads back (the offline
 * `audit verify`): stored, not compressed (method 0), no ZIP64, no encryption, names in UTF-8.
 * An audit package is small text whose worth is being checkable by anybody with any unzip tool;
 * a compressing library would be a dependency for a few kilobytes saved. The reader takes only
 * what this writer makes (and what any writer makes in the same plain form), refusing the rest.
 * PKWARE APPNOTE 6.3.x: local file headers, the central directory, its end record.
 */

export interface ZipFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/** Thrown for bytes that are not a plain stored zip. */
export class ZipError extends Error {
  override readonly name = 'ZipError';
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as zip and gzip use it). */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
/** Bit 11 of the flags: the name is UTF-8. */
const UTF8_NAMES = 0x0800;
const utf8 = new TextEncoder();

/** MS-DOS date and time of `at` (UTC), as zip headers carry them. */
function dosDateTime(at: Date): { time: number; date: number } {
  const year = Math.max(1980, at.getUTCFullYear());
  return {
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
  };
}

/** A zip archive holding `files`, stored, each dated `at`. */
export function writeZip(files: readonly ZipFile[], at: Date): Uint8Array {
  const { time, date } = dosDateTime(at);
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = utf8.encode(f.name);
    const crc = crc32(f.data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, LOCAL, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, UTF8_NAMES, true);
    local.setUint16(8, 0, true);
    local.setUint16(10, time, true);
    local.setUint16(12, date, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, f.data.length, true);
    local.setUint32(22, f.data.length, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 0, true);
    const entry = new DataView(new ArrayBuffer(46));
    entry.setUint32(0, CENTRAL, true);
    entry.setUint16(4, 20, true);
    entry.setUint16(6, 20, true);
    entry.setUint16(8, UTF8_NAMES, true);
    entry.setUint16(10, 0, true);
    entry.setUint16(12, time, true);
    entry.setUint16(14, date, true);
    entry.setUint32(16, crc, true);
    entry.setUint32(20, f.data.length, true);
    entry.setUint32(24, f.data.length, true);
    entry.setUint16(28, name.length, true);
    entry.setUint32(42, offset, true);
    parts.push(new Uint8Array(local.buffer), name, f.data);
    central.push(new Uint8Array(entry.buffer), name);
    offset += 30 + name.length + f.data.length;
  }
  const centralSize = central.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, END, true);
  end.setUint16(8, files.length, true);
  end.setUint16(10, files.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  const all = [...parts, ...central, new Uint8Array(end.buffer)];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of all) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The files of a stored zip, in central-directory order; a ZipError for anything else or any CRC that does not match. */
export function readZip(bytes: Uint8Array): ZipFile[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record has no comment here; a comment would only move it back (at most 65,535 bytes).
  let endAt = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--)
    if (view.getUint32(i, true) === END) {
      endAt = i;
      break;
    }
  if (endAt < 0) throw new ZipError('no end of central directory record: not a zip file');
  const count = view.getUint16(endAt + 10, true);
  let at = view.getUint32(endAt + 16, true);
  const files: ZipFile[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > endAt || view.getUint32(at, true) !== CENTRAL) throw new ZipError('a central directory entry is missing');
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const size = view.getUint32(at + 20, true);
    const stored = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extra = view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const localAt = view.getUint32(at + 42, true);
    if (method !== 0 || size !== stored) throw new ZipError('only stored (uncompressed) entries are read');
    let name: string;
    try {
      name = strictUtf8.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    } catch {
      throw new ZipError('an entry name is not UTF-8');
    }
    if (localAt + 30 > bytes.length || view.getUint32(localAt, true) !== LOCAL) throw new ZipError(`no local header for ${name}`);
    const dataAt = localAt + 30 + view.getUint16(localAt + 26, true) + view.getUint16(localAt + 28, true);
    if (dataAt + size > bytes.length) throw new ZipError(`${name} runs past the end of the file`);
    const data = bytes.slice(dataAt, dataAt + size);
    if (crc32(data) !== crc) throw new ZipError(`${name} does not match its CRC-32`);
    files.push({ name, data });
    at += 46 + nameLength + extra;
  }
  return files;
}
