/**
 * A local file into an age file, as `kcr backup ARCHIVE --encrypt-to` runs it: the file is read
 * straight into batch buffers (age-batches.ts), which are reused for the whole file, and the read
 * of the next batch overlaps the sealing of the last. A read stream would allocate a fresh buffer
 * per read, which the batches would then copy: for a GiB the kernel's work of mapping and
 * unmapping those buffers cost more than the reads (measured).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileError } from '../../errors.js';
import { MAX_IN_FLIGHT, PayloadBatches, type BatchOptions } from './age-batches.js';
import type { AgeRecipient } from './age-keys.js';
import { startAgeFile } from './age.js';

interface Read {
  buffer: Buffer;
  length: number;
  /** The file ended in this read (the buffer may still hold bytes: the last ones). */
  end: boolean;
}

/** Fills `buffer` from `position` on, short only where the file ends. */
async function readBatch(file: FileHandle, buffer: Buffer, position: number): Promise<Read> {
  let length = 0;
  while (length < buffer.length) {
    const { bytesRead } = await file.read(buffer, length, buffer.length - length, position + length);
    if (bytesRead === 0) return { buffer, length, end: true };
    length += bytesRead;
  }
  return { buffer, length, end: false };
}

export function createAgeFileEncryptStream(
  path: string,
  recipients: readonly AgeRecipient[],
  onPlaintext?: (block: Buffer) => void,
  options: BatchOptions = {},
): Readable {
  const { head, key } = startAgeFile(recipients);
  let file: FileHandle | undefined;
  let reading: Promise<Read> | undefined;
  let wanted = false;
  let pumping = false;
  let finished = false;

  const stream: Readable = new Readable({
    read() {
      wanted = true;
      if (!pumping && !finished) {
        pumping = true;
        pump().catch((err: unknown) => stream.destroy(err as Error));
      }
    },
    destroy(err, callback) {
      finished = true;
      // A read still in flight finishes before the file closes.
      void Promise.all([reading?.catch(() => undefined), batches.close()])
        .then(() => file?.close())
        .then(
          () => callback(err),
          () => callback(err),
        );
    },
  });
  const batches = new PayloadBatches(
    'seal',
    key,
    (data) => {
      if (!stream.push(data)) wanted = false;
    },
    (err) => stream.destroy(err),
    options,
  );
  let position = 0;

  /** Reads and hands on batches while the reader wants more and few enough are out. */
  const pump = async (): Promise<void> => {
    try {
      if (!file) {
        file = await open(path, 'r').catch((err: unknown) => {
          throw fileError(path, err);
        });
        stream.push(head);
        reading = readBatch(file, batches.buffer(), 0);
      }
      while (wanted && !finished) {
        await batches.below(MAX_IN_FLIGHT);
        const read = await reading!;
        position += read.length;
        // The next read goes on while this batch is sealed.
        reading = read.end ? undefined : readBatch(file, batches.buffer(), position);
        if (read.length > 0) {
          onPlaintext?.(read.buffer.subarray(0, read.length));
          batches.hand(read.buffer, read.length);
        } else {
          batches.recycle(read.buffer);
        }
        if (read.end) {
          finished = true;
          batches.end();
          await batches.drained();
          stream.push(null);
        }
      }
    } finally {
      // In the same step as the loop's last test: a read() from here on starts the pump again.
      pumping = false;
    }
  };
  return stream;
}
