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
