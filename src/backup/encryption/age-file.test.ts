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
import { CHUNK_SIZE } from './age-stream.js';
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
  it.each([0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, MiB - 1, MiB, MiB + 1, 3 * MiB + CHUNK_SIZE + 5])(
    'encrypts a file of %i bytes read in reused blocks: it opens again, and the digest saw every byte',
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
});
