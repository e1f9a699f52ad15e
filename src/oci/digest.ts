/** sha256 digests in the `sha256:<hex>` form the OCI specs use, computed while data streams past. */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

/** A pass-through stream that hashes and counts what flows through it. */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }
  /** Valid once the stream has finished. */
  digest(): string {
    return 'sha256:' + this.hash.digest('hex');
  }
}

/** Digest and size of a file (or its first `end` bytes) in one streaming pass. */
export async function digestFile(
  path: string,
  options: { end?: number; onBytes?: (bytes: number) => void; signal?: AbortSignal } = {},
): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const source = createReadStream(path, {
    highWaterMark: 1 << 20,
    ...(options.end !== undefined ? { start: 0, end: options.end - 1 } : {}),
  });
  try {
    await pipeline(
      source,
      async function (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          size += chunk.length;
          options.onBytes?.(size);
        }
      },
      { signal: options.signal },
    );
  } catch (err) {
    if (options.signal?.aborted) throw cancelled(err);
    throw fileError(path, err);
  }
  return { digest: 'sha256:' + hash.digest('hex'), size };
}

export function cancelled(cause?: unknown): KcrError {
  return new KcrError('cancelled', 'cancelled', { cause });
}
