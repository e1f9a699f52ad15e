/** sha256 digests in the `sha256:<hex>` form the OCI specs use, computed while data streams past. */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { KcrError, fileError } from '../errors.js';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value);
}

export function sha256Digest(data: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** The hex part of a digest: blob file names in an OCI layout. */
export function digestHex(digest: string): string {
  if (!isDigest(digest)) throw new KcrError('invalid-input', `${digest}: not a sha256 digest`);
  return digest.slice('sha256:'.length);
}

export { DigestStream } from '../util/digest-stream.js';

/**
 * Digest and size of a file (or its first `end` bytes) in one pass. Two buffers take turns, one
 * being filled by the next read while the other is hashed: the disk and the hash work at once, and
 * hashing a GiB allocates nothing, so memory stays flat.
 */
export async function digestFile(
  path: string,
  options: { end?: number; onBytes?: (bytes: number) => void; signal?: AbortSignal } = {},
): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  const buffers = [Buffer.allocUnsafe(4 << 20), Buffer.allocUnsafe(4 << 20)] as const;
  const limit = options.end ?? Infinity;
  let size = 0;
  let fh: FileHandle | undefined;
  try {
    const file = (fh = await open(path, 'r'));
    let offset = 0;
    const readInto = async (buf: Buffer) => {
      const want = Math.max(0, Math.min(buf.length, limit - offset));
      const at = offset;
      offset += want;
      const { bytesRead } = want === 0 ? { bytesRead: 0 } : await file.read(buf, 0, want, at);
      return { buf, bytesRead, want };
    };
    let pending = readInto(buffers[0]);
    for (let turn = 1; ; turn++) {
      const { buf, bytesRead, want } = await pending;
      if (bytesRead === 0) break;
      if (options.signal?.aborted) throw cancelled(options.signal.reason);
      // A regular file reads short only at its end; then there is nothing more to read ahead.
      pending = bytesRead < want ? readInto(Buffer.alloc(0)) : readInto(buffers[turn % 2]!);
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
      options.onBytes?.(size);
    }
  } catch (err) {
    if (err instanceof KcrError) throw err;
    throw fileError(path, err);
  } finally {
    await fh?.close();
  }
  return { digest: 'sha256:' + hash.digest('hex'), size };
}

export function cancelled(cause?: unknown): KcrError {
  return new KcrError('cancelled', 'cancelled', { cause });
}
