import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DigestStream } from './digest-stream.js';

describe('DigestStream', () => {
  it('passes the bytes through unchanged while hashing and counting them', async () => {
    const parts = [Buffer.from('checkpoint '), Buffer.alloc(100_000, 7), Buffer.from('archive')];
    const seen: number[] = [];
    const stream = new DigestStream((n) => seen.push(n));
    const out: Buffer[] = [];
    await pipeline(
      Readable.from(parts),
      stream,
      new Writable({
        write(chunk: Buffer, _enc, done) {
          out.push(chunk);
          done();
        },
      }),
    );
    const all = Buffer.concat(parts);
    expect(Buffer.concat(out).equals(all)).toBe(true);
    expect(stream.bytes).toBe(all.length);
    expect(seen.at(-1)).toBe(all.length);
    expect(stream.digest()).toBe('sha256:' + createHash('sha256').update(all).digest('hex'));
  });
});
