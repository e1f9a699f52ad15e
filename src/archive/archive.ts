/**
 * A checkpoint archive opened for reading by offset: a tar (plain, or decompressed once into a
 * private temp file) or an already extracted checkpoint directory. Members are never extracted.
 */
import { createReadStream, readSync } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { KcrError, fileError } from '../errors.js';
import { decompressToTemp, sniffCompression, type Compression } from './decompress.js';
import { indexTar, readAhead, type MemberType, type TarMember } from './tar-index.js';

export type ArchiveMember = TarMember;

/** Positional reads over one member; the CRIU memory reader and searches use this. */
export interface RandomAccess {
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
  stream(start?: number, end?: number, highWaterMark?: number): Readable;
}

/** Members larger than this are streamed, never read whole (metadata and CRIU images are small). */
const MAX_WHOLE_READ = 512 * 1024 * 1024;

/**
 * Reads up to this size are synchronous. An asynchronous read is a thread-pool round trip, 0.1 to
 * 1 ms on a small VM, and a command reads dozens of tar headers and small CRIU images before its
 * first result; from the page cache a synchronous read of a few KiB takes microseconds, and even
 * from disk one this size holds the event loop for little longer than the round trip would.
 */
const SYNC_READ_BYTES = 256 * 1024;

interface Backend {
  /** The file that holds member data, and where a member's data starts in it. */
  locate(member: ArchiveMember): { file: string; base: number };
  handle(member: ArchiveMember): Promise<FileHandle>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Refuse compressed input instead of decompressing it (used where a temp copy is unwanted). */
  allowCompressed?: boolean;
  /** Compressed input may inflate to at most this many bytes (default: the temp file system's free space minus a reserve). */
  maxInflatedBytes?: number;
  /** Stops decompressing (and removes the temp file) when it fires. */
  signal?: AbortSignal;
}

export class CheckpointArchive {
  private readonly byName: Map<string, ArchiveMember>;

  private constructor(
    /** The path the user gave. */
    readonly path: string,
    readonly kind: 'tar' | 'directory',
    readonly compression: Compression,
    /** Size on disk of what the user gave (the compressed size for compressed input). */
    readonly byteSize: number,
    private readonly list: readonly ArchiveMember[],
    private readonly backend: Backend,
  ) {
    this.byName = new Map(list.map((m) => [m.name, m]));
  }

  /**
   * Names that occur more than once in the tar. As with `tar x`, the last one wins (it is the one
   * every read sees); runtimes never write duplicates, so views warn about them.
   */
  duplicateMembers(): { name: string; count: number }[] {
    if (this.byName.size === this.list.length) return [];
    const counts = new Map<string, number>();
    for (const m of this.list) counts.set(m.name, (counts.get(m.name) ?? 0) + 1);
    return [...counts].filter(([, n]) => n > 1).map(([name, count]) => ({ name, count }));
  }

  /** What a reader of this archive should be told: duplicate members, and which copy is read. */
  warnings(): string[] {
    return this.duplicateMembers().map(
      ({ name, count }) => `${this.path}: member ${name} occurs ${count} times; the last one is read`,
    );
  }

  /** Opens a checkpoint tar (plain, gzip or zstd, sniffed by magic bytes) or a checkpoint directory. */
  static async open(path: string, options: OpenOptions = {}): Promise<CheckpointArchive> {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw fileError(path, err);
    }
    if (info.isDirectory()) return openDirectory(path);
    const compression = await sniffCompression(path);
    if (compression === 'none') return openTar(path, path, compression, info.size, async () => {});
    if (options.allowCompressed === false) {
      throw new KcrError('invalid-input', `${path}: is ${compression}-compressed`, {
        hint: `decompress it first (e.g. \`${compression === 'zstd' ? 'zstd -d' : 'gunzip'}\`)`,
      });
    }
    const temp = await decompressToTemp(path, compression, {
      maxBytes: options.maxInflatedBytes,
      signal: options.signal,
    });
    try {
      return await openTar(path, temp.tarPath, compression, info.size, temp.remove);
    } catch (err) {
      await temp.remove();
      throw err;
    }
  }

  /** @internal used by the open helpers below. */
  static create(
    path: string,
    kind: 'tar' | 'directory',
    compression: Compression,
    byteSize: number,
    list: ArchiveMember[],
    backend: Backend,
  ): CheckpointArchive {
    return new CheckpointArchive(path, kind, compression, byteSize, list, backend);
  }

  members(): readonly ArchiveMember[] {
    return this.list;
  }

  member(name: string): ArchiveMember | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.get(name)?.type === 'file';
  }

  /** The member, which must exist as a regular file; otherwise a not-found error naming it. */
  require(name: string, hint?: string): ArchiveMember {
    const member = this.byName.get(name);
    if (!member || member.type !== 'file') {
      throw new KcrError('not-found', `${this.path}: has no ${name}`, {
        hint: hint ?? 'this is not a complete container checkpoint archive',
      });
    }
    return member;
  }

  /** Total bytes of the members whose names match `test`. */
  sizeOf(test: (name: string) => boolean): number {
    let total = 0;
    for (const m of this.list) if (m.type === 'file' && test(m.name)) total += m.size;
    return total;
  }

  async read(name: string): Promise<Buffer> {
    const member = this.require(name);
    if (member.size > MAX_WHOLE_READ) {
      throw new KcrError(
        'invalid-input',
        `${this.path}: ${name} is ${member.size} bytes, too large to read whole`,
      );
    }
    return this.readRange(name, 0, member.size);
  }

  /** Reads `length` bytes at `offset` within the member; short only if the member ends first. */
  async readRange(name: string, offset: number, length: number): Promise<Buffer> {
    const member = this.require(name);
    const start = Math.min(offset, member.size);
    const buf = Buffer.alloc(Math.max(0, Math.min(length, member.size - start)));
    await this.readInto(name, start, buf, 0, buf.length);
    return buf;
  }

  /**
   * Reads up to `length` bytes at `offset` within the member into `target` at `targetOffset`;
   * returns the bytes read (short only at the member's end). The memory search reuses its buffers
   * through this instead of allocating one per chunk.
   */
  async readInto(
    name: string,
    offset: number,
    target: Buffer,
    targetOffset: number,
    length: number,
  ): Promise<number> {
    const member = this.require(name);
    const len = Math.max(0, Math.min(length, member.size - offset, target.length - targetOffset));
    if (len === 0) return 0;
    const fh = await this.backend.handle(member);
    const { base } = this.backend.locate(member);
    const done = await readFullyAt(fh, target, targetOffset, len, base + offset);
    if (done < len) {
      throw new KcrError('invalid-input', `${this.path}: ${name} is truncated at byte ${offset + done}`, {
        hint: 'the archive was cut short; copy it again',
      });
    }
    return done;
  }

  /** The file on disk that holds a member's bytes, and where they start in it (for another thread to read). */
  location(name: string): { file: string; offset: number } {
    const { file, base } = this.backend.locate(this.require(name));
    return { file, offset: base };
  }

  /**
   * Synchronous positional reads of one member, as `readInto` does them. A scan that copies each
   * chunk and then reads it (the memory search) is quicker this way: the copy lands in the cache
   * of the core that scans it, and Node's asynchronous reads (io_uring or the thread pool) cost
   * about as much CPU again as the copy itself. Callers keep each call short (a few MiB).
   */
  async syncReader(
    name: string,
  ): Promise<(offset: number, target: Buffer, targetOffset: number, length: number) => number> {
    const member = this.require(name);
    const { fd } = await this.backend.handle(member);
    const { base } = this.backend.locate(member);
    return (offset, target, targetOffset, length) =>
      readFullySync(
        fd,
        target,
        targetOffset,
        Math.max(0, Math.min(length, member.size - offset, target.length - targetOffset)),
        base + offset,
      );
  }

  /** Streams the member's data (or `[start, end)` of it) straight from the file. */
  stream(name: string, start = 0, end?: number, highWaterMark = 1 << 20): Readable {
    const member = this.require(name);
    const { file, base } = this.backend.locate(member);
    const stop = Math.min(end ?? member.size, member.size);
    if (stop <= start) return createReadStream(file, { start: base, end: base - 1, highWaterMark: 1 });
    return createReadStream(file, { start: base + start, end: base + stop - 1, highWaterMark });
  }

  randomAccess(name: string): RandomAccess {
    const member = this.require(name);
    return {
      name,
      size: member.size,
      read: (offset, length) => this.readRange(name, offset, length),
      stream: (start, end, hwm) => this.stream(name, start, end, hwm),
    };
  }

  /** Path and offset of a member's bytes on disk: the whole tar is the layer for image building. */
  dataFile(): string | undefined {
    const first = this.list[0];
    return this.kind === 'tar' && first ? this.backend.locate(first).file : undefined;
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

/**
 * Reads `length` bytes at `position` of `fd` into `target` at `targetOffset`, synchronously, until
 * done or the file ends; returns the bytes read (the caller reports a short read, naming it).
 */
export function readFullySync(
  fd: number,
  target: Buffer,
  targetOffset: number,
  length: number,
  position: number,
): number {
  let done = 0;
  while (done < length) {
    const got = readSync(fd, target, targetOffset + done, length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return done;
}

/**
 * readFullySync for a file handle: synchronous up to SYNC_READ_BYTES, through the thread pool
 * beyond. Returns the bytes read, short only where the file ends.
 */
async function readFullyAt(
  fh: FileHandle,
  target: Buffer,
  targetOffset: number,
  length: number,
  position: number,
): Promise<number> {
  if (length <= SYNC_READ_BYTES) return readFullySync(fh.fd, target, targetOffset, length, position);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(target, targetOffset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** The tar index's reads (headers, read ahead by 64 KiB: synchronous). */
async function readFully(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const done = await readFullyAt(fh, buf, 0, length, position);
  return done === length ? buf : buf.subarray(0, done);
}

async function openTar(
  path: string,
  tarPath: string,
  compression: Compression,
  byteSize: number,
  cleanup: () => Promise<void>,
): Promise<CheckpointArchive> {
  let fh: FileHandle;
  try {
    fh = await open(tarPath, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const { size } = await fh.stat();
    const members = await indexTar(
      readAhead((position, length) => readFully(fh, position, length), size),
      size,
      path,
    );
    return CheckpointArchive.create(path, 'tar', compression, byteSize, members, {
      locate: (m) => ({ file: tarPath, base: m.offset }),
      handle: async () => fh,
      close: async () => {
        await fh.close().catch(() => {});
        await cleanup();
      },
    });
  } catch (err) {
    await fh.close();
    throw err;
  }
}

async function walk(root: string, dir: string, out: ArchiveMember[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = join(dir, entry.name);
    const name = relative(root, full).split(sep).join('/');
    const st = await stat(full);
    const type: MemberType = entry.isDirectory()
      ? 'dir'
      : entry.isFile()
        ? 'file'
        : entry.isSymbolicLink()
          ? 'symlink'
          : 'other';
    out.push({
      name,
      type,
      offset: 0,
      size: type === 'file' ? st.size : 0,
      mode: st.mode & 0o7777,
      mtime: st.mtime,
    });
    if (entry.isDirectory()) await walk(root, full, out);
  }
}

async function openDirectory(path: string): Promise<CheckpointArchive> {
  const members: ArchiveMember[] = [];
  try {
    await walk(path, path, members);
  } catch (err) {
    throw fileError(path, err);
  }
  const handles = new Map<string, FileHandle>();
  const byteSize = members.reduce((sum, m) => sum + m.size, 0);
  return CheckpointArchive.create(path, 'directory', 'none', byteSize, members, {
    locate: (m) => ({ file: join(path, m.name), base: 0 }),
    handle: async (m) => {
      let fh = handles.get(m.name);
      if (!fh) {
        fh = await open(join(path, m.name), 'r');
        handles.set(m.name, fh);
      }
      return fh;
    },
    close: async () => {
      await Promise.all([...handles.values()].map((fh) => fh.close().catch(() => {})));
      handles.clear();
    },
  });
}
