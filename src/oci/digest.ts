/** sha256 digests in the `sha256:<hex>` form the OCI specs use, computed while data streams past. */
import { createHash, type Hash } from 'node:crypto';
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
  options: HashFileOptions = {},
): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  const size = await hashFileInto(hash, path, options);
  return { digest: 'sha256:' + hash.digest('hex'), size };
}

interface HashFileOptions {
  end?: number;
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** Feeds a file (or its first `end` bytes) into `hash`; returns the bytes fed. */
async function hashFileInto(hash: Hash, path: string, options: HashFileOptions = {}): Promise<number> {
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
  return size;
}

/**
 * The sha256 of a file's bytes as an upload sends them, in order, for a digest that is known only
 * when the last byte has gone (the registry takes it with the final PUT). When a broken upload goes
 * on from an earlier offset than was sent, the hash is rebuilt from the file up to that offset.
 */
export class SentBytesHash {
  private hash: Hash = createHash('sha256');
  private covered = 0;

  constructor(readonly path: string) {}

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.covered += chunk.length;
  }

  /** Makes the hash cover exactly the file's first `offset` bytes. */
  async rewindTo(offset: number, signal?: AbortSignal): Promise<void> {
    if (offset === this.covered) return;
    this.hash = createHash('sha256');
    this.covered = 0;
    if (offset > 0) this.covered = await hashFileInto(this.hash, this.path, { end: offset, signal });
  }

  /** `sha256:<hex>` of the first `size` bytes, which must all have been sent. */
  digest(size: number): string {
    if (this.covered !== size) {
      // A broken invariant of the upload loop, not a user's problem.
      throw new Error(`${this.path}: hashed ${this.covered} of ${size} bytes before the final PUT`);
    }
    return 'sha256:' + this.hash.digest('hex');
  }
}

export function cancelled(cause?: unknown): KcrError {
  return new KcrError('cancelled', 'cancelled', { cause });
}
