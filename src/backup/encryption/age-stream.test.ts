import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KcrError } from '../../errors.js';
import { MAX_IN_FLIGHT, PayloadBatches, type BatchOptions } from './age-batches.js';
import { CHUNK_SIZE, SEALED_CHUNK_SIZE, sealChunk, type Direction } from './age-stream.js';

const KEY = randomBytes(32);
const SEALED = SEALED_CHUNK_SIZE;

/** STREAM as the age spec words it, one chunk at a time: the reference the batches must match. */
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

/** Feeds `input` to `batches` in pieces of `piece` bytes, as a stream would, and ends it. */
async function feed(batches: PayloadBatches, input: Buffer, piece: number): Promise<void> {
  for (const p of pieces(input, piece)) {
    batches.write(p);
    await batches.below(MAX_IN_FLIGHT);
  }
  batches.end();
  await batches.drained();
}

/** `input` through one payload's batches, fed in pieces of `piece` bytes; how many went to the worker. */
async function run(
  direction: Direction,
  input: Buffer,
  piece: number,
  options: BatchOptions = {},
): Promise<{ output: Buffer; byWorker: number }> {
  const out: Buffer[] = [];
  const batches = new PayloadBatches(
    direction,
    KEY,
    (data) => out.push(data),
    () => undefined,
    options,
  );
  try {
    await feed(batches, input, piece);
    return { output: Buffer.concat(out), byWorker: batches.byWorker };
  } finally {
    await batches.close();
  }
}

const seal = async (plain: Buffer, piece: number, options?: BatchOptions) =>
  (await run('seal', plain, piece, options)).output;
const open = async (sealed: Buffer, piece: number, options?: BatchOptions) =>
  (await run('open', sealed, piece, options)).output;

/** Batches of two chunks, and a worker from the first one: every size takes the threaded path. */
const THREADED: BatchOptions = { batchChunks: 2, parallelMinBytes: 0 };
const BATCH = 2 * CHUNK_SIZE;

/** Batches that seal on this thread, two chunks each, and what they handed out. */
function sealer(): { batches: PayloadBatches; out: Buffer[] } {
  const out: Buffer[] = [];
  const batches = new PayloadBatches(
    'seal',
    KEY,
    (d) => out.push(d),
    () => undefined,
    { batchChunks: 2 },
  );
  return { batches, out };
}

describe('STREAM in batches, on this thread', () => {
  const SIZES = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 5 * CHUNK_SIZE + 3];
  /** Inputs smaller than, equal to, a little over and many times a chunk, sealed or not. */
  const PIECES = [4093, CHUNK_SIZE, SEALED, CHUNK_SIZE + 1, 1 << 20];
  const cases = SIZES.flatMap((size) => PIECES.map((piece) => [size, piece] as const));

  it.each(cases)(
    'seals %i bytes fed in pieces of %i exactly as chunk-by-chunk sealing, and opens them again',
    async (size, piece) => {
      const plain = randomBytes(size);
      const sealed = await seal(plain, piece, { batchChunks: 2 });
      expect(sealed.equals(reference(plain))).toBe(true);
      for (const back of PIECES)
        expect((await open(sealed, back, { batchChunks: 2 })).equals(plain)).toBe(true);
    },
  );

  it('keeps no reference to its inputs: a caller may refill one buffer for every write', async () => {
    const plain = randomBytes(7 * CHUNK_SIZE + 999);
    const reused = Buffer.alloc(100_000);
    const { batches, out } = sealer();
    for (let i = 0; i < plain.length; i += reused.length) {
      const n = plain.copy(reused, 0, i, i + reused.length);
      batches.write(reused.subarray(0, n));
      reused.fill(0xee);
    }
    batches.end();
    await batches.drained();
    expect(Buffer.concat(out).equals(reference(plain))).toBe(true);
  });

  it('holds a whole batch back until more data follows: it may hold the last chunk', async () => {
    const { batches, out } = sealer();
    // Exactly one batch: it may be the last, so nothing is sealed yet.
    batches.write(randomBytes(BATCH));
    await batches.drained();
    expect(out).toHaveLength(0);
    // One byte more settles it: the batch goes out, its chunks sealed as not-last.
    batches.write(randomBytes(1));
    await batches.drained();
    expect(out.map((b) => b.length)).toEqual([2 * SEALED]);
    batches.end();
    await batches.drained();
    expect(out.map((b) => b.length)).toEqual([2 * SEALED, 1 + 16]);
  });

  it('refuses a stream whose last chunk was dropped, since the new last one is not flagged last', async () => {
    const sealed = await seal(randomBytes(2 * CHUNK_SIZE + 10), 1 << 20);
    await expect(open(sealed.subarray(0, 2 * SEALED), 1 << 20)).rejects.toThrow(
      /chunk 1 does not authenticate/,
    );
  });
});

describe('STREAM in batches, on this thread and a worker', () => {
  it.each([0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, BATCH, 6 * BATCH + 1])(
    'seals %i bytes exactly as chunk-by-chunk sealing, in order across batches, and opens them again',
    async (size) => {
      const plain = randomBytes(size);
      const sealed = await run('seal', plain, 100_000, THREADED);
      expect(sealed.output.equals(reference(plain))).toBe(true);
      const opened = await run('open', sealed.output, 100_000, THREADED);
      expect(opened.output.equals(plain)).toBe(true);
      // With several batches the worker took some of them; a lone batch may go either way.
      if (size > 2 * BATCH) expect(sealed.byWorker * opened.byWorker).toBeGreaterThan(0);
    },
  );

  it('fails with one integrity error naming a tampered chunk in the middle, after the batches before it', async () => {
    const plain = randomBytes(12 * BATCH + 5);
    const sealed = await seal(plain, 1 << 20, THREADED);
    sealed[13 * SEALED + 100]! ^= 1;
    const out: Buffer[] = [];
    const failures: Error[] = [];
    const batches = new PayloadBatches(
      'open',
      KEY,
      (d) => out.push(d),
      (e) => failures.push(e),
      THREADED,
    );
    const err = await feed(batches, sealed, 100_000).catch((e: unknown) => e);
    await batches.close();
    expect(err).toBeInstanceOf(KcrError);
    expect((err as KcrError).code).toBe('integrity');
    expect((err as KcrError).message).toMatch(/chunk 13 does not authenticate/);
    expect(failures).toEqual([err]);
    // Only whole batches before the damaged one came out, and they are the plaintext's start.
    const opened = Buffer.concat(out);
    expect(opened.length).toBeLessThanOrEqual(12 * CHUNK_SIZE);
    expect(opened.length % BATCH).toBe(0);
    expect(opened.equals(plain.subarray(0, opened.length))).toBe(true);
  });

  it('refuses a stream cut at a batch boundary or inside a chunk', async () => {
    const sealed = await seal(randomBytes(8 * BATCH + 77), 1 << 20, THREADED);
    await expect(open(sealed.subarray(0, 16 * SEALED), 1 << 20, THREADED)).rejects.toThrow(
      /chunk 15 does not authenticate/,
    );
    await expect(open(sealed.subarray(0, sealed.length - 40), 1 << 20, THREADED)).rejects.toThrow(
      /chunk 16 does not authenticate/,
    );
    await expect(open(sealed.subarray(0, 7 * SEALED + 9), 1 << 20, THREADED)).rejects.toThrow(/cut short/);
  });
});
