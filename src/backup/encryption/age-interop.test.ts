/** kcr and the reference `age` CLI (Debian's age package) open each other's files, both ways. */
import { randomBytes } from 'node:crypto';
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

const dir = mkdtempSync(join(tmpdir(), 'kcr-age-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keyPath = (name: string) => fixture('keys', name);
const key = (name: string) => readFileSync(keyPath(name), 'utf8');
// A checkpoint archive's worth of variety: a real archive plus random bytes past a chunk boundary.
const plain = Buffer.concat([
  readFileSync(fixture('podman', 'busybox-counter.tar')),
  randomBytes(CHUNK_SIZE + 7),
]);
const plainPath = join(dir, 'plain');
writeFileSync(plainPath, plain);

const KINDS = [
  { name: 'X25519', recipientFile: 'age-recipient.txt', identityFile: 'age-identity.txt' },
  { name: 'ssh-ed25519', recipientFile: 'ssh-ed25519.pub', identityFile: 'ssh-ed25519' },
  { name: 'ssh-rsa', recipientFile: 'ssh-rsa.pub', identityFile: 'ssh-rsa' },
];

describe('age interop with the age CLI', () => {
  it.each(KINDS)('kcr encrypts to $name and `age -d -i` decrypts it', async (kind) => {
    const sealed = await buffer(ageEncryption.encrypt(Readable.from([plain]), [key(kind.recipientFile)]));
    const sealedPath = join(dir, `kcr-${kind.name}.age`);
    writeFileSync(sealedPath, sealed);
    const out = join(dir, `kcr-${kind.name}.out`);
    await tool('age', ['-d', '-i', keyPath(kind.identityFile), '-o', out, sealedPath]);
    expect(readFileSync(out).equals(plain)).toBe(true);
  });

  it.each(KINDS)('`age -R` encrypts to $name and kcr decrypts it', async (kind) => {
    const sealedPath = join(dir, `age-${kind.name}.age`);
    await tool('age', ['-R', keyPath(kind.recipientFile), '-o', sealedPath, plainPath]);
    const opened = await buffer(
      ageEncryption.decrypt(Readable.from([readFileSync(sealedPath)]), [key(kind.identityFile)]),
    );
    expect(opened.equals(plain)).toBe(true);
  });

  it('kcr decrypts what `age -a` wrote in ASCII armor', async () => {
    const sealedPath = join(dir, 'age-armored.age');
    await tool('age', ['-a', '-R', keyPath('ssh-ed25519.pub'), '-o', sealedPath, plainPath]);
    const armored = readFileSync(sealedPath);
    expect(armored.toString('latin1', 0, 34)).toBe('-----BEGIN AGE ENCRYPTED FILE-----');
    // Fed in odd pieces, so lines and the armor's end are split across writes.
    const pieces = Array.from({ length: Math.ceil(armored.length / 1000) }, (_, i) =>
      armored.subarray(i * 1000, i * 1000 + 1000),
    );
    const opened = await buffer(ageEncryption.decrypt(Readable.from(pieces), [key('ssh-ed25519')]));
    expect(opened.equals(plain)).toBe(true);
    const cut = armored.subarray(0, armored.length - 40);
    const err = await buffer(ageEncryption.decrypt(Readable.from([cut]), [key('ssh-ed25519')])).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KcrError);
  });

  it('kcr decrypts what `age -r` encrypted to several recipients, with any one of the keys', async () => {
    const sealedPath = join(dir, 'age-many.age');
    await tool('age', [
      '-r',
      key('age-recipient.txt').trim(),
      '-R',
      keyPath('ssh-ed25519.pub'),
      '-R',
      keyPath('ssh-rsa-pem.pub'),
      '-o',
      sealedPath,
      plainPath,
    ]);
    for (const identity of ['age-identity.txt', 'ssh-ed25519', 'ssh-rsa-pem']) {
      const opened = await buffer(
        ageEncryption.decrypt(Readable.from([readFileSync(sealedPath)]), [key(identity)]),
      );
      expect(opened.equals(plain)).toBe(true);
    }
  });

  it('both refuse the wrong key: age fails, kcr gives one auth error', async () => {
    const sealedPath = join(dir, 'age-wrong.age');
    await tool('age', ['-R', keyPath('ssh-ed25519.pub'), '-o', sealedPath, plainPath]);
    const kcrSealed = join(dir, 'kcr-wrong.age');
    writeFileSync(
      kcrSealed,
      await buffer(ageEncryption.encrypt(Readable.from([plain]), [key('ssh-ed25519.pub')])),
    );
    await expect(tool('age', ['-d', '-i', keyPath('age-other.txt'), kcrSealed])).rejects.toThrow(
      /no identity matched/,
    );
    const err = await buffer(
      ageEncryption.decrypt(Readable.from([readFileSync(sealedPath)]), [
        key('age-other.txt'),
        key('ssh-rsa'),
      ]),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KcrError);
    expect((err as KcrError).code).toBe('auth');
  });
});
