/**
 * CRIU image framing: magic words, then entries of `u32 size + protobuf payload [+ extra bytes]`.
 * Integers are little-endian (x86_64, aarch64, ppc64le dumps; big-endian s390x is unsupported).
 */
import { KcrError } from '../errors.js';
import { IMG_COMMON, IMG_SERVICE, isRawImage, magicName, type MagicName } from './magic.js';
import { coreEntry, inventoryEntry, pstreeEntry, taskKobjIdsEntry } from './messages/core.js';
import {
  eventfdFileEntry,
  eventpollFileEntry,
  eventpollTfdEntry,
  fdinfoEntry,
  fifoEntry,
  fileEntry,
  fsEntry,
  ghostChunkEntry,
  ghostFileEntry,
  memfdInodeEntry,
  pipeDataEntry,
  pipeEntry,
  regFileEntry,
  remapFilePathEntry,
  ttyDataEntry,
  ttyFileEntry,
  ttyInfoEntry,
} from './messages/files.js';
import { mmEntry, pagemapEntry, pagemapHead } from './messages/mm.js';
import {
  cgroupEntry,
  ipcVarEntry,
  mntEntry,
  netnsEntry,
  seccompEntry,
  timensEntry,
  pidnsEntry,
  utsnsEntry,
} from './messages/namespaces.js';
import {
  inetSkEntry,
  netlinkSkEntry,
  packetSockEntry,
  skPacketEntry,
  tcpStreamEntry,
  unixSkEntry,
} from './messages/sockets.js';
import { statsEntry } from './messages/stats.js';
import { decodeMessage, type Decoded, type FieldMap, type MessageSpec } from './schema.js';

/** Bytes that follow an entry's payload (queued socket data, pipe buffers, ghost file contents). */
export type EntryExtra =
  { kind: 'bytes'; data: Uint8Array } | { kind: 'tcp'; inq: Uint8Array; outq: Uint8Array };

export interface ImageEntry {
  spec: MessageSpec;
  value: Record<string, unknown>;
  extra?: EntryExtra;
}

export interface DecodedImage {
  magic: MagicName;
  entries: ImageEntry[];
}

type ExtraLength = (value: Record<string, unknown>) => number;

interface EntryLayout {
  spec: MessageSpec;
  /** The first entry uses a different message (pagemap_head). */
  head?: MessageSpec;
  extra?: ExtraLength | 'tcp';
}

const numberField =
  (name: string): ExtraLength =>
  (value) =>
    Number(value[name] ?? 0);

/** The image types kcr decodes. Others are listed by `kcr criu decode` as not decodable. */
const LAYOUTS: Partial<Record<MagicName, EntryLayout>> = {
  INVENTORY: { spec: inventoryEntry },
  PSTREE: { spec: pstreeEntry },
  CORE: { spec: coreEntry },
  IDS: { spec: taskKobjIdsEntry },
  MM: { spec: mmEntry },
  PAGEMAP: { spec: pagemapEntry, head: pagemapHead },
  FDINFO: { spec: fdinfoEntry },
  FILES: { spec: fileEntry },
  REG_FILES: { spec: regFileEntry },
  INETSK: { spec: inetSkEntry },
  UNIXSK: { spec: unixSkEntry },
  PACKETSK: { spec: packetSockEntry },
  NETLINK_SK: { spec: netlinkSkEntry },
  PIPES: { spec: pipeEntry },
  FIFO: { spec: fifoEntry },
  PIPES_DATA: { spec: pipeDataEntry, extra: numberField('bytes') },
  FIFO_DATA: { spec: pipeDataEntry, extra: numberField('bytes') },
  EVENTFD_FILE: { spec: eventfdFileEntry },
  EVENTPOLL_FILE: { spec: eventpollFileEntry },
  EVENTPOLL_TFD: { spec: eventpollTfdEntry },
  TTY_FILES: { spec: ttyFileEntry },
  TTY_INFO: { spec: ttyInfoEntry },
  TTY_DATA: { spec: ttyDataEntry },
  MEMFD_INODE: { spec: memfdInodeEntry },
  FS: { spec: fsEntry },
  REMAP_FPATH: { spec: remapFilePathEntry },
  SK_QUEUES: { spec: skPacketEntry, extra: numberField('length') },
  TCP_STREAM: { spec: tcpStreamEntry, extra: 'tcp' },
  MNTS: { spec: mntEntry },
  CGROUP: { spec: cgroupEntry },
  SECCOMP: { spec: seccompEntry },
  IPC_VAR: { spec: ipcVarEntry },
  NETNS: { spec: netnsEntry },
  PIDNS: { spec: pidnsEntry },
  TIMENS: { spec: timensEntry },
  UTSNS: { spec: utsnsEntry },
  STATS: { spec: statsEntry },
  // GHOST_FILE has its own framing, handled in decodeGhostFile.
};

export function canDecode(magic: MagicName): boolean {
  return magic === 'GHOST_FILE' || LAYOUTS[magic] !== undefined;
}

function damaged(name: string, detail: string): KcrError {
  return new KcrError('invalid-input', `${name}: ${detail}`, {
    hint: 'the CRIU image is damaged or truncated; take a new checkpoint, or compare with `crit decode`',
  });
}

class Cursor {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    readonly name: string,
    start: number,
  ) {
    this.pos = start;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  u32(what: string): number {
    if (this.remaining < 4)
      throw damaged(this.name, `truncated: ${what} needs 4 bytes, ${this.remaining} left`);
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4);
    this.pos += 4;
    return view.getUint32(0, true);
  }
  take(length: number, what: string): Uint8Array {
    if (length > this.remaining) {
      throw damaged(this.name, `${what}: length ${length} is larger than the ${this.remaining} bytes left`);
    }
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
}

function decodePayload(cursor: Cursor, spec: MessageSpec, index: number): Record<string, unknown> {
  const size = cursor.u32(`entry ${index} size`);
  const payload = cursor.take(size, `entry ${index}`);
  try {
    return decodeMessage(spec, payload) as Record<string, unknown>;
  } catch (err) {
    // decodeMessage throws only KcrErrors for malformed protobuf: named here with file and entry.
    if (err instanceof KcrError) throw damaged(cursor.name, `entry ${index}: ${err.message}`);
    throw err;
  }
}

function decodeGhostFile(cursor: Cursor): ImageEntry[] {
  const head = decodePayload(cursor, ghostFileEntry, 0);
  if (!head.chunks) {
    // Without chunks the rest of the file is the raw content, with no length prefix.
    const data = cursor.take(cursor.remaining, 'ghost file contents');
    return [{ spec: ghostFileEntry, value: head, extra: { kind: 'bytes', data } }];
  }
  const entries: ImageEntry[] = [{ spec: ghostFileEntry, value: head }];
  while (cursor.remaining > 0) {
    const chunk = decodePayload(cursor, ghostChunkEntry, entries.length);
    const data = cursor.take(Number(chunk.len ?? 0), `entry ${entries.length} chunk data`);
    entries.push({ spec: ghostChunkEntry, value: chunk, extra: { kind: 'bytes', data } });
  }
  return entries;
}

/** Reads the magic words and returns the image type and where the entries start. */
export function readMagic(buf: Uint8Array, name: string): { magic: MagicName; start: number } {
  const cursor = new Cursor(buf, name, 0);
  if (buf.length < 4) throw damaged(name, 'truncated: shorter than the 4-byte magic');
  let value = cursor.u32('magic');
  if (value === IMG_COMMON || value === IMG_SERVICE) value = cursor.u32('image magic');
  const magic = magicName(value);
  if (!magic) {
    throw new KcrError('invalid-input', `${name}: unknown magic 0x${value.toString(16).padStart(8, '0')}`, {
      hint: isRawImage(name)
        ? 'this is a raw image (memory pages or a tarball); it has no entries to decode'
        : 'this is not a CRIU image, or it was written by a CRIU newer than kcr knows',
    });
  }
  return { magic, start: cursor.pos };
}

/** Decodes a whole CRIU image file. `name` is used in error messages (e.g. `checkpoint/core-1.img`). */
export function decodeImage(buf: Uint8Array, name: string): DecodedImage {
  const { magic, start } = readMagic(buf, name);
  const cursor = new Cursor(buf, name, start);
  if (magic === 'GHOST_FILE') return { magic, entries: decodeGhostFile(cursor) };
  const layout = LAYOUTS[magic];
  if (!layout) {
    throw new KcrError('invalid-input', `${name}: kcr does not decode ${magic} images`, {
      hint: 'use `crit decode -i FILE` for this image type',
    });
  }
  const entries: ImageEntry[] = [];
  // EOF exactly at an entry boundary ends the image; a header-only image has zero entries.
  while (cursor.remaining > 0) {
    const spec = entries.length === 0 && layout.head ? layout.head : layout.spec;
    const value = decodePayload(cursor, spec, entries.length);
    const entry: ImageEntry = { spec, value };
    if (layout.extra === 'tcp') {
      const inq = cursor.take(Number(value.inq_len ?? 0), `entry ${entries.length} receive queue`);
      const outq = cursor.take(Number(value.outq_len ?? 0), `entry ${entries.length} send queue`);
      entry.extra = { kind: 'tcp', inq, outq };
    } else if (layout.extra) {
      entry.extra = { kind: 'bytes', data: cursor.take(layout.extra(value), `entry ${entries.length} data`) };
    }
    entries.push(entry);
  }
  return { magic, entries };
}

/** The entries of an image as one message type, checked: a mismatch means a wrongly named file. */
export function entriesAs<F extends FieldMap>(
  image: DecodedImage,
  spec: MessageSpec<F>,
  name: string,
): Decoded<F>[] {
  return image.entries.map((entry, i) => {
    if (entry.spec !== spec) {
      throw damaged(
        name,
        `entry ${i} is a ${entry.spec.name}, expected ${spec.name} (image type ${image.magic})`,
      );
    }
    return entry.value as Decoded<F>;
  });
}

/**
 * The entries of an image of `spec`'s type with only the fields `projection` names decoded: the
 * others are skipped as unknown fields are, so a caller that needs a task's name does not pay for
 * its registers, signal handlers and limits. `projection` is a message with `spec`'s name and a
 * subset of its fields (same numbers and types). An image of another type fails as decodeEntries.
 */
export function decodeProjected<F extends FieldMap, P extends FieldMap>(
  buf: Uint8Array,
  name: string,
  spec: MessageSpec<F>,
  projection: MessageSpec<P>,
): Decoded<P>[] {
  if (projection.name !== spec.name) throw new Error(`${projection.name} is no projection of ${spec.name}`);
  const { magic, start } = readMagic(buf, name);
  const layout = magic === 'GHOST_FILE' ? undefined : LAYOUTS[magic];
  if (!layout || layout.spec !== spec) {
    // Not an image of spec's type: decodeEntries names the mismatch (an empty one has no entries).
    decodeEntries(buf, name, spec);
    return [];
  }
  if (layout.head || layout.extra) throw new Error(`${magic} images are not projected`);
  const cursor = new Cursor(buf, name, start);
  const entries: Decoded<P>[] = [];
  while (cursor.remaining > 0) entries.push(decodePayload(cursor, projection, entries.length) as Decoded<P>);
  return entries;
}

/** Decodes an image that must hold exactly the given message type, e.g. `pstree.img` → pstree_entry[]. */
export function decodeEntries<F extends FieldMap>(
  buf: Uint8Array,
  name: string,
  spec: MessageSpec<F>,
): Decoded<F>[] {
  return entriesAs(decodeImage(buf, name), spec, name);
}
