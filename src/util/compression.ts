/**
 * The one compression module: gzip and zstd, both directions, for archive reading (Podman exports)
 * and for image layers. The codecs are libraries (zlib; zstd-napi, the native libzstd binding, with
 * the pure-JS fzstd as the decompressor when the optional native module did not build). What is
 * written here is kcr's policy around them: sniffing by magic bytes, and a bound on how much
 * inflated data a stream may produce, because a 10 MB gzip can inflate to 10 GiB.
 */
import { statfs } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { Decompress as FzstdDecompress } from 'fzstd';
import { KcrError, fileError } from '../errors.js';

export type Compression = 'none' | 'gzip' | 'zstd';

/**
 * node:zlib when first needed: loading it costs every start 3-4 ms, and most archives kcr reads
 * (CRI-O's, the kubelet's) are not compressed.
 */
const zlib = () => process.getBuiltinModule('node:zlib');

/**
 * zstd frames may ask for a window of up to 2 GiB (`zstd --long=31`); libzstd refuses more than
 * 128 MiB unless told. The window is memory the frame's own data fills, so allowing 2^31 costs only
 * what the archive really uses.
 */
const ZSTD_WINDOW_LOG_MAX = 31;

/** The compression of data starting with `head` (at least 4 bytes for zstd). */
export function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** The compression of the file at `path`, by its magic bytes. */
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

interface ZstdNapi {
  CompressStream: new (params?: { compressionLevel?: number }) => Transform;
  DecompressStream: new (params?: { windowLogMax?: number }) => Transform;
}

let zstdNapi: Promise<ZstdNapi | undefined> | undefined;

function isZstdNapi(value: unknown): value is ZstdNapi {
  return (
    typeof value === 'object' && value !== null && 'CompressStream' in value && 'DecompressStream' in value
  );
}

/** The native zstd binding, or undefined when the optional module is not installed or did not build. */
function loadZstdNapi(): Promise<ZstdNapi | undefined> {
  zstdNapi ??= import('zstd-napi').then(
    (mod: unknown) => {
      // A CommonJS module: its exports are the namespace itself or its default, by loader.
      if (isZstdNapi(mod)) return mod;
      const fallback = typeof mod === 'object' && mod !== null && 'default' in mod ? mod.default : undefined;
      return isZstdNapi(fallback) ? fallback : undefined;
    },
    () => undefined,
  );
  return zstdNapi;
}

/** A compressing stream: gzip at level 6 and zstd at level 3, each codec's own default balance. */
export async function compressor(compression: Exclude<Compression, 'none'>): Promise<Transform> {
  if (compression === 'gzip') return zlib().createGzip({ level: 6, chunkSize: 1 << 20 });
  const zstd = await loadZstdNapi();
  if (!zstd) {
    throw new KcrError(
      'invalid-input',
      'zstd compression is not available: the zstd-napi module did not load',
      {
        hint: 'use --compression gzip or none, or reinstall kcr where a C++ compiler is available',
      },
    );
  }
  return new zstd.CompressStream({ compressionLevel: 3 });
}

/** fzstd's push-style decompressor as a Node Transform (used only without the native module). */
class FzstdTransform extends Transform {
  private readonly decoder: FzstdDecompress;
  constructor() {
    super();
    this.decoder = new FzstdDecompress((chunk) => {
      this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      done();
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
    }
  }
  override _flush(done: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      done();
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** A decompressing stream. Its errors are the codec's; callers word them for their input. */
export async function decompressor(compression: Exclude<Compression, 'none'>): Promise<Transform> {
  if (compression === 'gzip') return zlib().createGunzip({ chunkSize: 256 << 10 });
  const zstd = await loadZstdNapi();
  return zstd ? new zstd.DecompressStream({ windowLogMax: ZSTD_WINDOW_LOG_MAX }) : new FzstdTransform();
}

/** Raised by byteLimit: the stream produced more than it may. */
export class SizeLimitExceeded extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
    this.name = 'SizeLimitExceeded';
  }
}

/** A pass-through that fails with SizeLimitExceeded as soon as more than `maxBytes` went through. */
export function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(new SizeLimitExceeded(maxBytes));
      else done(null, chunk);
    },
  });
}

/** What stays free on a file system when kcr fills it with inflated data: 5% of it, at least 256 MiB. */
function reserve(totalBytes: number): number {
  return Math.max(256 * 1024 * 1024, Math.floor(totalBytes * 0.05));
}

/**
 * The default bound on inflated data written under `dir`: the free space there minus a reserve, so
 * that a decompression bomb fails with an error instead of filling the disk. Where the file system
 * cannot tell, no bound (Infinity).
 */
export async function inflateLimitFor(dir: string): Promise<number> {
  try {
    const fs = await statfs(dir);
    const free = Number(fs.bavail) * Number(fs.bsize);
    return Math.max(0, free - reserve(Number(fs.blocks) * Number(fs.bsize)));
  } catch {
    return Infinity;
  }
}
