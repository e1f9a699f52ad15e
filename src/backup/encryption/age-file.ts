/**
 * A local file into an age file, as `kcr backup ARCHIVE --encrypt-to` runs it: the file is read in
 * large blocks into two buffers reused for the whole file, the read of the next block overlapping
 * the sealing of the last. A read stream allocates a fresh buffer per read instead, and for a GiB
 * the kernel's work of mapping and unmapping those cost more than the reads (measured). The sealer
 * copies what it keeps of a block, so the buffers can be reused as soon as it returns.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileError } from '../../errors.js';
import type { AgeRecipient } from './age-keys.js';
import { startAgeFile } from './age.js';

const BLOCK = 1 << 20;

export function createAgeFileEncryptStream(
  path: string,
  recipients: readonly AgeRecipient[],
  onPlaintext?: (block: Buffer) => void,
): Readable {
  const { head, sealer } = startAgeFile(recipients);
  let file: FileHandle | undefined;
  let next: Promise<{ bytesRead: number }> | undefined;
  let [current, spare] = [Buffer.allocUnsafe(BLOCK), Buffer.allocUnsafe(BLOCK)];
  let position = 0;
  let headSent = false;

  /** The next sealed piece of the file; the last chunk when the file is read (then `next` is unset). */
  const produce = async (): Promise<Buffer> => {
    if (!file) {
      file = await open(path, 'r').catch((err: unknown) => {
        throw fileError(path, err);
      });
      next = file.read(current, 0, BLOCK, 0);
    }
    for (;;) {
      const { bytesRead } = await next!;
      if (bytesRead === 0) {
        next = undefined;
        return sealer.end();
      }
      position += bytesRead;
      next = file.read(spare, 0, BLOCK, position);
      const block = current.subarray(0, bytesRead);
      onPlaintext?.(block);
      const sealed = sealer.write(block);
      [current, spare] = [spare, current];
      if (sealed.length > 0) return sealed;
    }
  };

  let done = false;
  return new Readable({
    read() {
      if (done) return;
      produce().then(
        (piece) => {
          if (!headSent) {
            headSent = true;
            this.push(head);
          }
          this.push(piece);
          if (!next) {
            done = true;
            this.push(null);
          }
        },
        (err: unknown) => this.destroy(err as Error),
      );
    },
    destroy(err, callback) {
      // A read still in flight finishes before the file closes.
      void Promise.resolve(next?.catch(() => undefined))
        .then(() => file?.close())
        .then(
          () => callback(err),
          () => callback(err),
        );
    },
  });
}
