/**
 * Compressed checkpoint input (Podman exports: zstd by default, or gzip). Detected by magic bytes,
 * decompressed once, streaming, into a private temporary file that the caller deletes.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { KcrError, fileError } from '../errors.js';
import { makeTempDir } from '../util/temp-dir.js';

export type Compression = 'none' | 'gzip' | 'zstd';

/** The compression that the first (up to 4) bytes of a file or member announce. */
export function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export async function sniffCompression(path: string): Promise<Compression> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return compressionOf(head.subarray(0, bytesRead));
  } catch (err) {
    throw fileError(path, err);
  } finally {
    await fh.close();
  }
}

/** fzstd's push-style decompressor as a Node Transform. */
class ZstdTransform extends Transform {
  private readonly decoder: ZstdDecompress;
  constructor() {
    super();
    this.decoder = new ZstdDecompress((chunk) => {
      this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      done();
    } catch (err) {
      done(err as Error);
    }
  }
  override _flush(done: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      done();
    } catch (err) {
      done(err as Error);
    }
  }
}

export function decompressor(compression: Exclude<Compression, 'none'>): Transform {
  return compression === 'gzip' ? createGunzip() : new ZstdTransform();
}

/**
 * Decompresses `path` into `<tempdir>/archive.tar` (mode 0600: archives hold process memory).
 * On failure nothing is left behind.
 */
export async function decompressToTemp(
  path: string,
  compression: Exclude<Compression, 'none'>,
): Promise<{ tarPath: string; remove: () => Promise<void> }> {
  const temp = await makeTempDir('archive');
  const tarPath = join(temp.dir, 'archive.tar');
  try {
    await pipeline(
      createReadStream(path),
      decompressor(compression),
      createWriteStream(tarPath, { mode: 0o600, flags: 'wx' }),
    );
  } catch (err) {
    await temp.remove();
    if (err instanceof KcrError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new KcrError('invalid-input', `${path}: cannot decompress ${compression} data: ${detail}`, {
      hint: 'the file is damaged or truncated; copy it again',
      cause: err,
    });
  }
  return { tarPath, remove: temp.remove };
}
