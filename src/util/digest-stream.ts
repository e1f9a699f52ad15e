/** A sha256 computed while data streams past, in the `sha256:<hex>` form the OCI specs use. */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

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
  /** Hex sha256 of everything that passed; valid once the stream has finished, and only once. */
  hex(): string {
    return this.hash.digest('hex');
  }
  /** `sha256:<hex>`, the OCI form; the same once-only rule as hex(). */
  digest(): string {
    return 'sha256:' + this.hex();
  }
}
