/**
 * Compressed checkpoint input (Podman exports: zstd by default, or gzip). Detected by magic bytes,
 * decompressed once, streaming, into a private temporary file that the caller deletes. The codecs
 * are util/compression's; what is the archive's own here is the guard against decompression bombs:
 * the tar structure is checked while the data inflates, the inflated size is bounded, and the work
 * stops when the caller's signal fires, leaving nothing behind on any of those paths.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KcrError } from '../errors.js';
import {
  SizeLimitExceeded,
  byteLimit,
  decompressor,
  inflateLimitFor,
  type Compression,
} from '../util/compression.js';
import { makeTempDir } from '../util/temp-dir.js';
import { formatBytes } from '../util/units.js';
import { NotTarData, TarStructureGuard } from './tar-guard.js';

export { compressionOf, sniffCompression, type Compression } from '../util/compression.js';

export interface DecompressOptions {
  /** Refuse to inflate past this many bytes; default: the free space of the temp file system minus a reserve. */
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * Decompresses `path` into `<tempdir>/archive.tar` (mode 0600: archives hold process memory).
 * On failure, or when `signal` fires, nothing is left behind.
 */
export async function decompressToTemp(
  path: string,
  compression: Exclude<Compression, 'none'>,
  options: DecompressOptions = {},
): Promise<{ tarPath: string; remove: () => Promise<void> }> {
  return inflateToTemp(() => createReadStream(path), path, compression, 'archive', options);
}

/**
 * The same for compressed bytes from any source (containerd's gzipped rootfs-diff.tar member):
 * `name` says what they are in errors, `purpose` names the temp directory (`kcr-PURPOSE-…`).
 */
export async function inflateToTemp(
  source: () => Readable,
  name: string,
  compression: Exclude<Compression, 'none'>,
  purpose: string,
  options: DecompressOptions = {},
): Promise<{ tarPath: string; remove: () => Promise<void> }> {
  const temp = await makeTempDir(purpose);
  const tarPath = join(temp.dir, `${purpose}.tar`);
  try {
    const limit = options.maxBytes ?? (await inflateLimitFor(temp.dir));
    await pipeline(
      source(),
      await decompressor(compression),
      byteLimit(limit),
      new TarStructureGuard(),
      createWriteStream(tarPath, { mode: 0o600, flags: 'wx' }),
      { signal: options.signal },
    );
  } catch (err) {
    await temp.remove();
    throw decompressError(name, compression, err, options.signal);
  }
  return { tarPath, remove: temp.remove };
}

function decompressError(
  path: string,
  compression: Exclude<Compression, 'none'>,
  err: unknown,
  signal?: AbortSignal,
): KcrError {
  if (signal?.aborted) return new KcrError('cancelled', 'cancelled', { cause: err });
  if (err instanceof KcrError) return err;
  if (err instanceof SizeLimitExceeded) {
    return new KcrError('invalid-input', `${path}: inflates to more than ${formatBytes(err.limit)}`, {
      hint: 'a decompression bomb, or an archive larger than the free space for temporary files: point KCR_TMPDIR at a larger file system, or decompress it yourself',
      cause: err,
    });
  }
  if (err instanceof NotTarData) {
    return new KcrError(
      'invalid-input',
      `${path}: the ${compression} data is not a tar archive (${err.message})`,
      {
        hint: 'kcr reads checkpoint archives: an uncompressed, gzip or zstd tar written by kubelet, CRI-O, containerd or Podman',
        cause: err,
      },
    );
  }
  const detail = (err instanceof Error ? err.message : String(err)).slice(0, 200);
  return new KcrError('invalid-input', `${path}: cannot decompress ${compression} data: ${detail}`, {
    hint: 'the file is damaged or truncated; copy it again',
    cause: err,
  });
}
