/**
 * A local file into an age file, as `kcr backup ARCHIVE --encrypt-to` runs it: the file is read in
 * large blocks into reused buffers (util/file-blocks.ts), the read of the next block overlapping
 * the sealing of the last. The sealer copies what it keeps of a block, so each buffer can be
 * reused as soon as it returns.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileError } from '../../errors.js';
import { fileBlocks } from '../../util/file-blocks.js';
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
  let blocks: AsyncGenerator<Buffer> | undefined;
  let read = false;
  let headSent = false;

  /** The next sealed piece of the file; the last chunk once the file is read (then `read` is set). */
  const produce = async (): Promise<Buffer> => {
    if (!file) {
      file = await open(path, 'r').catch((err: unknown) => {
        throw fileError(path, err);
      });
      blocks = fileBlocks(file, BLOCK);
    }
    for (;;) {
      const block = await blocks!.next();
      if (block.done) {
        read = true;
        return sealer.end();
      }
      onPlaintext?.(block.value);
      const sealed = sealer.write(block.value);
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
          if (read) {
            done = true;
            this.push(null);
          }
        },
        (err: unknown) => this.destroy(err as Error),
      );
    },
    destroy(err, callback) {
      // A read still in flight finishes (the generator waits for it) before the file closes.
      void Promise.resolve(blocks?.return(undefined).catch(() => undefined))
        .then(() => file?.close())
        .then(
          () => callback(err),
          () => callback(err),
        );
    },
  });
}
