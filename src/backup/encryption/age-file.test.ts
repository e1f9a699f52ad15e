import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { KcrError } from '../../errors.js';
import { fixture } from '../../testing/fixtures.js';
import { tool } from '../../testing/tools.js';
import { BATCH_CHUNKS, PARALLEL_MIN_BYTES } from './age-batches.js';
import { CHUNK_SIZE, SEALED_CHUNK_SIZE } from './age-stream.js';
import { ageEncryption } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kcr-age-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RECIPIENT = readFileSync(fixture('keys', 'age-recipient.txt'), 'utf8').trim();
const IDENTITY = readFileSync(fixture('keys', 'age-identity.txt'), 'utf8');
const MiB = 1 << 20;

function fileOf(bytes: Buffer): string {
  const path = join(dir, `plain-${bytes.length}`);
  writeFileSync(path, bytes);
  return path;
}

describe('age encryption of a local file (kcr backup ARCHIVE --encrypt-to)', () => {
  // Around a chunk, a batch (read straight from the file) and the end of the reads started ahead.
  const BATCH = BATCH_CHUNKS * CHUNK_SIZE;
  it.each([
    0,
    1,
    CHUNK_SIZE,
    CHUNK_SIZE + 1,
    BATCH - 1,
    BATCH,
    BATCH + 1,
    2 * BATCH,
    3 * BATCH + CHUNK_SIZE + 5,
  ])(
    'encrypts a file of %i bytes read in reused batches: it opens again, and the digest saw every byte',
    async (size) => {
      const plain = randomBytes(size);
      const seen = createHash('sha256');
      let bytes = 0;
      const sealed = await buffer(
        ageEncryption.encryptFile!(fileOf(plain), [RECIPIENT], {
          onPlaintext: (block) => {
            seen.update(block);
            bytes += block.length;
          },
        }),
      );
      const chunks = Math.max(1, Math.ceil(size / CHUNK_SIZE));
      const headerEnd = sealed.indexOf('\n---') + 1;
      expect(sealed.length).toBe(sealed.indexOf(0x0a, headerEnd) + 1 + 16 + size + 16 * chunks);
      expect(bytes).toBe(size);
      expect(seen.digest('hex')).toBe(createHash('sha256').update(plain).digest('hex'));
      const back = await buffer(ageEncryption.decrypt(Readable.from([sealed]), [IDENTITY]));
      expect(back.equals(plain)).toBe(true);
    },
  );

  it('writes what the age CLI decrypts, across block and chunk boundaries', async () => {
    const plain = randomBytes(2 * MiB + CHUNK_SIZE + 123);
    const sealedPath = join(dir, 'kcr.age');
    writeFileSync(sealedPath, await buffer(ageEncryption.encryptFile!(fileOf(plain), [RECIPIENT])));
    const out = join(dir, 'age.out');
    await tool('age', ['-d', '-i', fixture('keys', 'age-identity.txt'), '-o', out, sealedPath]);
    expect(readFileSync(out).equals(plain)).toBe(true);
  });

  it('fails with one error naming a file it cannot read, or a recipient it cannot use', async () => {
    const missing = await buffer(ageEncryption.encryptFile!(join(dir, 'gone.tar'), [RECIPIENT])).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(KcrError);
    expect((missing as KcrError).message).toContain('gone.tar');
    const bad = await buffer(ageEncryption.encryptFile!(fileOf(randomBytes(10)), ['age1nope'])).catch(
      (e: unknown) => e,
    );
    expect(bad).toBeInstanceOf(KcrError);
  });

  it('takes the threaded path for a large file: the age CLI opens it, and kcr opens what the age CLI wrote', async () => {
    // Past the threshold by several batches, and one byte into a last chunk of its own.
    const plain = randomBytes(PARALLEL_MIN_BYTES + 5 * MiB + 1);
    const path = fileOf(plain);
    const sealedPath = join(dir, 'kcr-large.age');
    writeFileSync(sealedPath, await buffer(ageEncryption.encryptFile!(path, [RECIPIENT])));
    const out = join(dir, 'age-large.out');
    await tool('age', ['-d', '-i', fixture('keys', 'age-identity.txt'), '-o', out, sealedPath]);
    expect(readFileSync(out).equals(plain)).toBe(true);

    const ageSealed = join(dir, 'age-large.age');
    await tool('age', ['-R', fixture('keys', 'age-recipient.txt'), '-o', ageSealed, path]);
    const sealed = readFileSync(ageSealed);
    const pieces = Array.from({ length: Math.ceil(sealed.length / MiB) }, (_, i) =>
      sealed.subarray(i * MiB, (i + 1) * MiB),
    );
    const opened = await buffer(ageEncryption.decrypt(Readable.from(pieces), [IDENTITY]));
    expect(opened.equals(plain)).toBe(true);

    // A chunk in the middle changed: one integrity error naming it, from whichever thread opened it.
    const payload = sealed.indexOf(0x0a, sealed.indexOf('\n---') + 1) + 1 + 16;
    const middle = Math.floor(plain.length / CHUNK_SIZE / 2);
    sealed[payload + middle * SEALED_CHUNK_SIZE + 7]! ^= 1;
    const err = await buffer(ageEncryption.decrypt(Readable.from([sealed]), [IDENTITY])).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KcrError);
    expect((err as KcrError).code).toBe('integrity');
    expect((err as KcrError).message).toContain(`chunk ${middle} does not authenticate`);
  });
});
