/** The scan loop itself: what it reads and when it lets the rest of the program run. */
import { describe, expect, it } from 'vitest';
import { LiteralMatcher } from './matchers.js';
import { scanSegments, type ScanSource } from './scan.js';

/** A member of `size` bytes of 0x01 with "NEEDLE" written at each offset in `at`, read synchronously. */
function syntheticSource(size: number, at: number[]): ScanSource {
  const needle = Buffer.from('NEEDLE');
  const fill = (offset: number, target: Buffer, targetOffset: number, length: number) => {
    const n = Math.max(0, Math.min(length, size - offset));
    target.fill(1, targetOffset, targetOffset + n);
    for (const a of at) {
      // The part of the needle at `a` that falls in [offset, offset + n).
      for (let i = 0; i < needle.length; i++) {
        const p = a + i - offset;
        if (p >= 0 && p < n) target[targetOffset + p] = needle[i]!;
      }
    }
    return n;
  };
  return {
    name: 'synthetic',
    readInto: async (o, t, to, l) => fill(o, t, to, l),
    readIntoSync: fill,
  };
}

describe('a synchronous scan', () => {
  it('lets timers and signals run while it reads a large memory, and still finds every match', async () => {
    const size = 160 * 1024 * 1024;
    const at = [5, 64 * 1024 * 1024 - 3, size - 6];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const found: number[] = [];
    try {
      await scanSegments(
        syntheticSource(size, at),
        [{ start: 0, end: size }],
        [new LiteralMatcher(Buffer.from('NEEDLE'))],
        (m) => {
          found.push(m.start);
          return true;
        },
      );
    } finally {
      clearInterval(timer);
    }
    expect(found).toEqual(at);
    // One turn of the event loop per 32 MiB read: a Ctrl-C or a progress bar waits no longer.
    expect(ticks).toBeGreaterThanOrEqual(3);
  });
});

describe('the buffers a scan reads into', () => {
  it('a synchronous scan reads every chunk into one buffer and still finds needles across chunks', async () => {
    const size = 64 * 1024;
    // Needles across the boundaries of 4 KiB chunks, and one inside a chunk.
    const at = [4096 - 3, 3 * 4096 - 1, 5000, 8 * 4096 - 5];
    const source = syntheticSource(size, at);
    const targets = new Set<Buffer>();
    const readIntoSync = source.readIntoSync!;
    const found: number[] = [];
    await scanSegments(
      { ...source, readIntoSync: (o, t, to, l) => (targets.add(t), readIntoSync(o, t, to, l)) },
      [{ start: 0, end: size }],
      [new LiteralMatcher(Buffer.from('NEEDLE'))],
      (m) => (found.push(m.start), true),
      { chunkSize: 4096 },
    );
    expect(found).toEqual([...at].sort((a, b) => a - b));
    // Fresh memory costs a page fault per page: one buffer is all a synchronous scan needs.
    expect(targets.size).toBe(1);
  });

  it('a scan with asynchronous reads keeps two reads in flight, in buffers of its own', async () => {
    const size = 64 * 1024;
    const at = [4096 - 3, 3 * 4096 - 1];
    const { readInto } = syntheticSource(size, at);
    const targets = new Set<Buffer>();
    const found: number[] = [];
    await scanSegments(
      { name: 'async', readInto: (o, t, to, l) => (targets.add(t), readInto(o, t, to, l)) },
      [{ start: 0, end: size }],
      [new LiteralMatcher(Buffer.from('NEEDLE'))],
      (m) => (found.push(m.start), true),
      { chunkSize: 4096 },
    );
    expect(found).toEqual(at);
    expect(targets.size).toBe(3);
  });
});

describe('cancelling a scan', () => {
  const needle = () => [new LiteralMatcher(Buffer.from('NEEDLE'))];

  it('stops a synchronous scan soon after its signal is aborted (Ctrl-C), with a cancelled error', async () => {
    const size = 256 * 1024 * 1024;
    const source = syntheticSource(size, []);
    const readIntoSync = source.readIntoSync!;
    let read = 0;
    const controller = new AbortController();
    setImmediate(() => controller.abort());
    const scan = scanSegments(
      { ...source, readIntoSync: (o, t, to, l) => ((read += l), readIntoSync(o, t, to, l)) },
      [{ start: 0, end: size }],
      needle(),
      () => true,
      { signal: controller.signal },
    );
    await expect(scan).rejects.toMatchObject({ code: 'cancelled', message: 'synthetic: search cancelled' });
    // The signal is seen at the scan's first turn of the event loop, after 32 MiB.
    expect(read).toBeLessThanOrEqual(34 * 1024 * 1024);
  });

  it('does not start a scan whose signal is already aborted', async () => {
    const source = syntheticSource(1024 * 1024, [5]);
    let reads = 0;
    const scan = scanSegments(
      { ...source, readIntoSync: (...args) => (reads++, source.readIntoSync!(...args)) },
      [{ start: 0, end: 1024 * 1024 }],
      needle(),
      () => true,
      { signal: AbortSignal.abort() },
    );
    await expect(scan).rejects.toMatchObject({ code: 'cancelled' });
    expect(reads).toBe(0);
  });
});
