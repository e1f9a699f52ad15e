/**
 * One pass over a tar file's headers: name → data offset, size, mode. Member data is never
 * read here; callers read it later by offset. Handles ustar, PAX (`x`, `g`) and GNU long names (`L`, `K`).
 */
import { KcrError } from '../errors.js';

export type MemberType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'char' | 'block' | 'other';

export interface TarMember {
  /** Normalised name: no leading `./`, no trailing `/` for directories. */
  name: string;
  type: MemberType;
  /** Offset of the member's data from the start of the tar. */
  offset: number;
  size: number;
  mode: number;
  mtime: Date;
  linkname?: string;
  /** Set (only when indexing with keepUnsafeNames) for names that would land outside a target directory. */
  unsafe?: true;
}

const BLOCK = 512;

function notTar(path: string, detail: string): KcrError {
  return new KcrError('invalid-input', `${path}: not a tar archive (${detail})`, {
    hint: 'kcr reads checkpoint archives: an uncompressed, gzip or zstd tar written by kubelet, CRI-O, containerd or Podman',
  });
}

function truncated(path: string, detail: string): KcrError {
  return new KcrError('invalid-input', `${path}: truncated tar: ${detail}`, {
    hint: 'the archive was cut short, likely by an interrupted copy; copy it again from the node',
  });
}

function cString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

/**
 * A numeric header field: octal, or GNU base-256 when the high bit of the first byte is set (sizes
 * ≥ 8 GiB). Everything in a header is untrusted: a negative base-256 value, digits that are not
 * octal, or a value past 2^53 give NaN, which each caller refuses or replaces.
 */
function numeric(buf: Buffer, start: number, length: number): number {
  const first = buf[start]!;
  if (first & 0x80) {
    // Two's complement: 0xff… is negative, and no size, mode or time in a checkpoint is.
    if (first & 0x40) return NaN;
    let value = first & 0x3f;
    for (let i = 1; i < length; i++) value = value * 256 + buf[start + i]!;
    return Number.isSafeInteger(value) ? value : NaN;
  }
  const text = cString(buf, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return NaN;
  return parseInt(text, 8);
}

/** A PAX decimal: only digits (a PAX `size=-1536` once sent the indexer backwards forever). */
function paxInteger(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value)) return NaN;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : NaN;
}

/** Latest time a JS Date can hold, in seconds (±8.64e15 ms). */
const MAX_DATE_SECONDS = 8.64e12;

/** A member's mtime from PAX (`1700000000.123`) or the header; garbage becomes the epoch, never an invalid Date. */
function mtimeOf(pax: string | undefined, header: number): Date {
  const seconds = pax !== undefined && /^-?\d{1,13}(\.\d+)?$/.test(pax) ? Number(pax) : header;
  return Number.isFinite(seconds) && Math.abs(seconds) <= MAX_DATE_SECONDS
    ? new Date(seconds * 1000)
    : new Date(0);
}

/** PAX records and GNU long names are a few hundred bytes; more is not a name but an attack on memory. */
const MAX_META_BYTES = 1024 * 1024;

function checksumOk(header: Buffer): boolean {
  const stored = numeric(header, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : header[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  // Some old writers summed signed chars; accept either, as GNU tar does.
  return stored === unsigned || stored === signed;
}

export function isZeroBlock(header: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (header[i] !== 0) return false;
  return true;
}

/** PAX records are `"<len> <key>=<value>\n"`, with len counting the whole record. */
export function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(data.toString('ascii', pos, space), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > data.length) break;
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

export interface HeaderInfo {
  /** The type flag character. */
  flag: string;
  /** The size field; NaN when it is not a valid number. */
  size: number;
}

/** The checked essentials of one 512-byte header block, or undefined when its checksum is wrong. */
export function headerInfo(header: Buffer): HeaderInfo | undefined {
  if (!checksumOk(header)) return undefined;
  return { flag: String.fromCharCode(header[156]!), size: numeric(header, 124, 12) };
}

/** True for the flags whose data describes the next member (PAX, GNU long name and link). */
export function isMetaFlag(flag: string): boolean {
  return flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K';
}

/** The size of the member a header describes: PAX `size` (extended, then global) wins over the field. */
export function memberSize(
  info: HeaderInfo,
  pax: Map<string, string>,
  globalPax: Map<string, string>,
): number {
  if (isMetaFlag(info.flag)) return info.size;
  return paxInteger(pax.get('size') ?? globalPax.get('size')) ?? info.size;
}

export const TAR_BLOCK = BLOCK;
export const MAX_TAR_META_BYTES = MAX_META_BYTES;

export function normaliseName(raw: string): string {
  let name = raw;
  while (name.startsWith('./')) name = name.slice(2);
  if (name.endsWith('/')) name = name.slice(0, -1);
  return name;
}

/** True when a member name could land outside the directory it is extracted into. */
export function escapesRoot(name: string): boolean {
  if (name.startsWith('/')) return true;
  return name.split('/').includes('..');
}

function memberType(flag: string): MemberType {
  switch (flag) {
    case '0':
    case '\0':
    case '7': // contiguous file, read as a regular file
      return 'file';
    case '5':
      return 'dir';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    case '3':
      return 'char';
    case '4':
      return 'block';
    case '6':
      return 'fifo';
    default:
      return 'other';
  }
}

/** Reads up to `length` bytes at `position`; shorter only at the end of the data. */
export type PositionalRead = (position: number, length: number) => Promise<Buffer>;

/** Bytes the tar index reads ahead of a header (see readAhead). */
export const INDEX_WINDOW = 64 * 1024;

/**
 * `read`, served from a window read ahead of the last request. The index asks for each 512-byte
 * header in turn, and most of a checkpoint's members are small CRIU images, so one read covers
 * many headers, instead of one read (a thread-pool round trip) per member.
 */
export function readAhead(read: PositionalRead, dataSize: number, window = INDEX_WINDOW): PositionalRead {
  let start = 0;
  let bytes: Buffer = Buffer.alloc(0);
  return async (position, length) => {
    if (position < start || position + length > start + bytes.length) {
      bytes = await read(position, Math.max(length, Math.min(window, dataSize - position)));
      start = position;
    }
    const from = position - start;
    return bytes.subarray(from, Math.min(from + length, bytes.length));
  };
}

/**
 * Indexes the tar read through `readAt` (of `fileSize` bytes). `path` names the file in errors.
 * Members with names that escape the archive root are refused: runtimes never write them.
 */
export async function indexTar(
  readAt: PositionalRead,
  fileSize: number,
  path: string,
  options: { keepUnsafeNames?: boolean } = {},
): Promise<TarMember[]> {
  const members: TarMember[] = [];
  let pos = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();
  let globalPax = new Map<string, string>();

  while (pos < fileSize) {
    const header = await readAt(pos, BLOCK);
    if (header.length < BLOCK) {
      throw truncated(path, `a ${header.length}-byte fragment of a header at offset ${pos}`);
    }
    if (isZeroBlock(header)) break; // end-of-archive marker
    const info = headerInfo(header);
    if (!info) {
      if (pos === 0) throw notTar(path, 'the first block is not a tar header');
      throw truncated(path, `corrupt header at offset ${pos} (checksum mismatch)`);
    }
    const { flag } = info;
    if (!Number.isFinite(info.size)) throw notTar(path, `invalid size field at offset ${pos}`);
    const size = memberSize(info, pax, globalPax);
    if (!Number.isFinite(size)) throw notTar(path, `invalid PAX size at offset ${pos}`);
    const dataOffset = pos + BLOCK;
    // size ≥ 0, so each step moves at least one block on: the loop always ends.
    const next = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
    if (dataOffset + size > fileSize) {
      const rawName = cString(header, 0, 100);
      throw truncated(
        path,
        `member ${longName ?? rawName} needs ${size} bytes at offset ${dataOffset}, but the file ends at ${fileSize}`,
      );
    }

    if (isMetaFlag(flag)) {
      if (size > MAX_META_BYTES)
        throw notTar(path, `a ${size}-byte extended header at offset ${pos} (at most ${MAX_META_BYTES})`);
      const data = await readAt(dataOffset, size);
      if (flag === 'x') pax = parsePax(data);
      else if (flag === 'g') globalPax = new Map([...globalPax, ...parsePax(data)]);
      else if (flag === 'L') longName = cString(data, 0, data.length);
      else longLink = cString(data, 0, data.length);
      pos = next;
      continue;
    }

    const magic = header.toString('ascii', 257, 263);
    const prefix = magic === 'ustar\0' ? cString(header, 345, 155) : '';
    const headerName = prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100);
    const rawName = pax.get('path') ?? longName ?? headerName;
    const name = normaliseName(rawName);
    const unsafe = escapesRoot(name);
    if (unsafe && !options.keepUnsafeNames) {
      throw new KcrError('invalid-input', `${path}: member "${rawName}" points outside the archive`, {
        hint: 'container runtimes never write such names; this archive is not a checkpoint, or it was tampered with',
      });
    }
    const linkname = pax.get('linkpath') ?? longLink ?? cString(header, 157, 100);
    const member: TarMember = {
      name,
      type: memberType(flag),
      offset: dataOffset,
      size,
      mode: (numeric(header, 100, 8) || 0) & 0o7777,
      mtime: mtimeOf(pax.get('mtime') ?? globalPax.get('mtime'), numeric(header, 136, 12)),
    };
    if (linkname) member.linkname = linkname;
    if (unsafe) member.unsafe = true;
    if (name !== '') members.push(member);

    longName = undefined;
    longLink = undefined;
    pax = new Map();
    pos = next;
  }
  if (members.length === 0 && pos === 0) throw notTar(path, 'the file is empty');
  return members;
}
