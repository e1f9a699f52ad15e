/**
 * A local file into an age file, as `kcr backup ARCHIVE --encrypt-to` runs it: the file is read
 * straight into batch buffers (age-batches.ts), which are reused for the whole file, and two reads
 * go on ahead of the batch being sealed (with one, this thread waited on reads for a third of the
 * time, measured). A read stream would allocate a fresh buffer
 * per read, which the batches would then copy: for a GiB the kernel's work of mapping and
 * unmapping those buffers cost more than the reads (measured).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileError } from '../../errors.js';
import { BATCH_CHUNKS, MAX_IN_FLIGHT, PayloadBatches, type BatchOptions } from './age-batches.js';
import { SEALED_CHUNK_SIZE } from './age-stream.js';
import type { AgeRecipient } from './age-keys.js';
import { startAgeFile } from './age.js';

/** Reads in flight at once: one more than the batch being handed on, so the reads never wait. */
const READ_AHEAD = 2;

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
  /** Reads in flight, in file order; where the next one starts. */
  const reads: Promise<Read>[] = [];
  let readAt = 0;
  let wanted = false;
  let pumping = false;
  let finished = false;

  const stream: Readable = new Readable({
    // Two batches may wait to be read, so that handing one on does not stop the pump.
    highWaterMark: 2 * (options.batchChunks ?? BATCH_CHUNKS) * SEALED_CHUNK_SIZE,
    read() {
      wanted = true;
      if (!pumping && !finished) {
        pumping = true;
        pump().catch((err: unknown) => stream.destroy(err as Error));
      }
    },
    destroy(err, callback) {
      finished = true;
      // Reads still in flight finish before the file closes.
      void Promise.all([...reads.map((r) => r.catch(() => undefined)), batches.close()])
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

  /** Keeps READ_AHEAD reads going, each into a batch buffer of its own. */
  const readAhead = (handle: FileHandle) => {
    while (reads.length < READ_AHEAD) {
      reads.push(readBatch(handle, batches.buffer(), readAt));
      readAt += batches.batchBytes;
    }
  };

  /** Reads and hands on batches while the reader wants more and few enough are out. */
  const pump = async (): Promise<void> => {
    try {
      if (!file) {
        file = await open(path, 'r').catch((err: unknown) => {
          throw fileError(path, err);
        });
        stream.push(head);
        readAhead(file);
      }
      while (wanted && !finished) {
        await batches.below(MAX_IN_FLIGHT);
        const read = await reads.shift()!;
        // The next reads go on while this batch is sealed; none start past the end.
        if (!read.end) readAhead(file);
        if (read.length > 0) {
          onPlaintext?.(read.buffer.subarray(0, read.length));
          batches.hand(read.buffer, read.length);
        } else {
          batches.recycle(read.buffer);
        }
        if (read.end) {
          finished = true;
          // Reads started before the end was known found nothing.
          for (const rest of reads.splice(0)) batches.recycle((await rest).buffer);
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
