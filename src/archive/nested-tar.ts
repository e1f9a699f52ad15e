/**
 * A tar stored as a member of the checkpoint archive (rootfs-diff.tar), indexed and read by
 * offset, never extracted. containerd 2.x gzips it despite its name (a real 2.3.4 archive does), so
 * the member is sniffed like the outer archive: a plain tar is read in place inside the outer file,
 * a compressed one is decompressed once, streaming, into a private temp file (mode 0600) that
 * close() removes.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KcrError } from '../errors.js';
import type { CheckpointArchive } from './archive.js';
import { makeTempDir } from '../util/temp-dir.js';
import { compressionOf, decompressor, type Compression } from './decompress.js';
import { indexTar, type TarMember } from './tar-index.js';

/** Where the nested tar's bytes are: positional reads and streams over its uncompressed form. */
interface NestedBytes {
  readonly size: number;
  /** Where the tar's byte 0 lies in the file on disk that holds it. */
  readonly filePosition: number;
  readInto(offset: number, target: Buffer, targetOffset: number, length: number): Promise<number>;
  stream(start: number, end: number): Readable;
  close(): Promise<void>;
}

function inPlace(archive: CheckpointArchive, memberName: string): NestedBytes {
  const member = archive.require(memberName);
  return {
    size: member.size,
    filePosition: member.offset,
    readInto: (offset, target, at, length) => archive.readInto(memberName, offset, target, at, length),
    stream: (start, end) => archive.stream(memberName, start, end),
    close: async () => {},
  };
}

async function decompressed(
  archive: CheckpointArchive,
  memberName: string,
  compression: Exclude<Compression, 'none'>,
): Promise<NestedBytes> {
  const temp = await makeTempDir('nested');
  const file = join(temp.dir, 'nested.tar');
  let fh: FileHandle | undefined;
  try {
    await pipeline(
      archive.stream(memberName),
      decompressor(compression),
      createWriteStream(file, { mode: 0o600, flags: 'wx' }),
    );
    fh = await open(file, 'r');
    const { size } = await fh.stat();
    const handle = fh;
    return {
      size,
      filePosition: 0,
      readInto: async (offset, target, at, length) => {
        const len = Math.max(0, Math.min(length, size - offset, target.length - at));
        let done = 0;
        while (done < len) {
          const { bytesRead } = await handle.read(target, at + done, len - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done;
      },
      stream: (start, end) =>
        end <= start
          ? Readable.from([])
          : createReadStream(file, { start, end: end - 1, highWaterMark: 1 << 20 }),
      close: async () => {
        await handle.close().catch(() => {});
        await temp.remove();
      },
    };
  } catch (err) {
    await fh?.close().catch(() => {});
    await temp.remove();
    if (err instanceof KcrError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new KcrError(
      'invalid-input',
      `${archive.path}: ${memberName} is ${compression}-compressed and cannot be decompressed: ${detail}`,
      { hint: 'the archive is damaged; take a new checkpoint or copy it again', cause: err },
    );
  }
}

export class NestedTar {
  private readonly byName: Map<string, TarMember>;

  private constructor(
    readonly archive: CheckpointArchive,
    readonly memberName: string,
    /** How the member itself is stored (containerd: gzip). */
    readonly compression: Compression,
    readonly members: readonly TarMember[],
    private readonly bytes: NestedBytes,
  ) {
    this.byName = new Map(members.map((m) => [m.name, m]));
  }

  /** Indexes `memberName`; unsafe names are kept and flagged, so listings can show them. Close it after use. */
  static async open(archive: CheckpointArchive, memberName: string): Promise<NestedTar> {
    archive.require(memberName);
    const compression = compressionOf(await archive.readRange(memberName, 0, 4));
    const bytes =
      compression === 'none'
        ? inPlace(archive, memberName)
        : await decompressed(archive, memberName, compression);
    try {
      const members = await indexTar(
        async (position, length) => {
          const buf = Buffer.alloc(Math.max(0, Math.min(length, bytes.size - position)));
          const n = await bytes.readInto(position, buf, 0, buf.length);
          return buf.subarray(0, n);
        },
        bytes.size,
        `${archive.path}:${memberName}`,
        { keepUnsafeNames: true },
      );
      return new NestedTar(archive, memberName, compression, members, bytes);
    } catch (err) {
      await bytes.close();
      throw err;
    }
  }

  /** Size of the uncompressed tar. */
  get size(): number {
    return this.bytes.size;
  }

  /** Where the uncompressed tar's byte 0 lies in the file on disk that holds it (for aligned reads). */
  get filePosition(): number {
    return this.bytes.filePosition;
  }

  member(name: string): TarMember | undefined {
    return this.byName.get(name.replace(/^\/+/, ''));
  }

  require(name: string): TarMember {
    const member = this.member(name);
    if (!member) {
      throw new KcrError('not-found', `${this.memberName}: has no ${name}`, {
        hint: 'run `kcr inspect ARCHIVE --rootfs` to list the changed files',
      });
    }
    return member;
  }

  /** Reads `length` bytes at `offset` of the uncompressed tar; short only at its end. */
  async readRange(offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.alloc(Math.max(0, Math.min(length, this.bytes.size - offset)));
    const n = await this.bytes.readInto(offset, buf, 0, buf.length);
    return buf.subarray(0, n);
  }

  readInto(offset: number, target: Buffer, targetOffset: number, length: number): Promise<number> {
    return this.bytes.readInto(offset, target, targetOffset, length);
  }

  async read(member: TarMember, maxBytes = 64 * 1024 * 1024): Promise<Buffer> {
    if (member.size > maxBytes) {
      throw new KcrError(
        'invalid-input',
        `${this.memberName}: ${member.name} is ${member.size} bytes, too large to read whole`,
      );
    }
    return this.readRange(member.offset, member.size);
  }

  stream(member: TarMember): Readable {
    return this.bytes.stream(member.offset, member.offset + member.size);
  }

  /** Removes the decompressed copy, if one was made. */
  close(): Promise<void> {
    return this.bytes.close();
  }
}
