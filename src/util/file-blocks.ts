/**
 * A file read in large blocks into two buffers reused for the whole file, the read of the next
 * block in flight while the caller works on the last. A read stream allocates a fresh buffer per
 * read instead, and for a GiB the kernel's work mapping and unmapping those cost more than the
 * reads (measured for the file store and age encryption, the two users).
 */
import type { FileHandle } from 'node:fs/promises';

/**
 * The blocks of `file` from its start, each a view valid only until the next is asked for. When
 * the caller stops early, the read in flight is waited for, so the file can be closed after.
 */
export async function* fileBlocks(file: FileHandle, blockSize: number): AsyncGenerator<Buffer> {
  let [current, spare] = [Buffer.allocUnsafe(blockSize), Buffer.allocUnsafe(blockSize)];
  let position = 0;
  let next = file.read(current, 0, blockSize, 0);
  try {
    for (;;) {
      const { bytesRead } = await next;
      if (bytesRead === 0) return;
      position += bytesRead;
      next = file.read(spare, 0, blockSize, position);
      yield current.subarray(0, bytesRead);
      [current, spare] = [spare, current];
    }
  } finally {
    await next.catch(() => undefined);
  }
}
