import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KcrError } from '../../errors.js';
import { CHUNK_SIZE, StreamOpener, StreamSealer, sealChunk } from './age-stream.js';

const KEY = randomBytes(32);
const SEALED = CHUNK_SIZE + 16;

/** STREAM as the age spec words it, one chunk at a time: the reference the streamed sealer must match. */
function reference(plain: Buffer): Buffer {
  const parts: Buffer[] = [];
  const chunks = Math.max(1, Math.ceil(plain.length / CHUNK_SIZE));
  for (let i = 0; i < chunks; i++) {
    parts.push(...sealChunk(KEY, i, i === chunks - 1, plain.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)));
  }
  return Buffer.concat(parts);
}

function pieces(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

function seal(plain: Buffer, piece: number): Buffer {
  const sealer = new StreamSealer(KEY);
  return Buffer.concat([...pieces(plain, piece).map((p) => sealer.write(p)), sealer.end()]);
}

function open(sealed: Buffer, piece: number): Buffer {
  const opener = new StreamOpener(KEY);
  return Buffer.concat([...pieces(sealed, piece).map((p) => opener.write(p)), opener.end()]);
}

const SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 5 * CHUNK_SIZE + 3];
/** Inputs smaller than, equal to, a little over and many times a chunk, sealed or not. */
const PIECES = [4093, CHUNK_SIZE, SEALED, CHUNK_SIZE + 1, 1 << 20];

describe('STREAM in pieces', () => {
  const cases = SIZES.flatMap((size) => PIECES.map((piece) => [size, piece] as const));

  it.each(cases)(
    'seals %i bytes fed in pieces of %i exactly as chunk-by-chunk sealing, and opens them again',
    (size, piece) => {
      const plain = randomBytes(size);
      const sealed = seal(plain, piece);
      expect(sealed.equals(reference(plain))).toBe(true);
      for (const back of PIECES) expect(open(sealed, back).equals(plain)).toBe(true);
    },
  );

  it('keeps no reference to its inputs: a caller may refill one buffer for every write', () => {
    const plain = randomBytes(7 * CHUNK_SIZE + 999);
    const reused = Buffer.alloc(100_000);
    const sealer = new StreamSealer(KEY);
    const out: Buffer[] = [];
    for (let i = 0; i < plain.length; i += reused.length) {
      const n = plain.copy(reused, 0, i, i + reused.length);
      out.push(sealer.write(reused.subarray(0, n)));
      reused.fill(0xee);
    }
    out.push(sealer.end());
    expect(Buffer.concat(out).equals(reference(plain))).toBe(true);
  });

  it('hands out one piece per input: whole chunks known not to be the last, the last held back', () => {
    const sealer = new StreamSealer(KEY);
    // Exactly one chunk: it may be the last, so nothing is sealed yet.
    expect(sealer.write(randomBytes(CHUNK_SIZE))).toHaveLength(0);
    // One byte more settles it: the first chunk goes out, sealed as not-last.
    expect(sealer.write(randomBytes(1))).toHaveLength(SEALED);
    // That byte and three chunks more: three chunks out, one byte held for the last chunk.
    expect(sealer.write(randomBytes(3 * CHUNK_SIZE))).toHaveLength(3 * SEALED);
    expect(sealer.end()).toHaveLength(1 + 16);
  });

  it('gives out no plaintext of a block in which any chunk fails to authenticate', () => {
    const sealed = seal(randomBytes(4 * CHUNK_SIZE), 1 << 20);
    sealed[2 * SEALED + 5]! ^= 1;
    expect(() => new StreamOpener(KEY).write(sealed)).toThrow(KcrError);
    expect(() => new StreamOpener(KEY).write(sealed)).toThrow(/chunk 2 does not authenticate/);
  });

  it('refuses a stream whose last chunk was dropped, since the new last one is not flagged last', () => {
    const sealed = seal(randomBytes(2 * CHUNK_SIZE + 10), 1 << 20);
    const opener = new StreamOpener(KEY);
    expect(opener.write(sealed.subarray(0, 2 * SEALED))).toHaveLength(CHUNK_SIZE);
    expect(() => opener.end()).toThrow(/chunk 1 does not authenticate/);
  });
});
