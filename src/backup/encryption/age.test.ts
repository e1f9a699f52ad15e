import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { KcrError } from '../../errors.js';
import { fixture } from '../../testing/fixtures.js';
import { CHUNK_SIZE } from './age-stream.js';
import { ageEncryption, generateX25519Identity, parseAgeIdentities, parseAgeRecipient } from './index.js';

const key = (name: string) => readFileSync(fixture('keys', name), 'utf8');
const AGE_ID = key('age-identity.txt');
const AGE_RCPT = key('age-recipient.txt').trim();

/** Plaintext fed in pieces of `piece` bytes, so chunk boundaries fall inside and between writes. */
function source(data: Buffer, piece = 10_000): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += piece) yield data.subarray(i, i + piece);
    })(),
  );
}

const encrypt = (data: Buffer, recipients: string[], piece?: number) =>
  buffer(ageEncryption.encrypt(source(data, piece), recipients));
const decrypt = (data: Buffer, identities: string[], piece?: number) =>
  buffer(ageEncryption.decrypt(source(data, piece), identities));

async function failure(promise: Promise<unknown>): Promise<KcrError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KcrError);
  return err as KcrError;
}

describe('age encryption', () => {
  it.each([0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE + 12_345])(
    'round-trips %i bytes, and the ciphertext is the plaintext plus header and 16 bytes per chunk',
    async (size) => {
      const plain = randomBytes(size);
      const sealed = await encrypt(plain, [AGE_RCPT]);
      const chunks = Math.max(1, Math.ceil(size / CHUNK_SIZE));
      const headerEnd = sealed.indexOf('\n---') + 1;
      const headerLength = sealed.indexOf(0x0a, headerEnd) + 1;
      expect(sealed.length).toBe(headerLength + 16 + size + 16 * chunks);
      if (size >= 64) expect(sealed.includes(plain.subarray(0, 64))).toBe(false);
      expect((await decrypt(sealed, [AGE_ID], 777)).equals(plain)).toBe(true);
    },
  );

  it('encrypts to several recipients at once, each able to open it alone', async () => {
    const plain = randomBytes(100_000);
    const sealed = await encrypt(plain, [AGE_RCPT, key('ssh-ed25519.pub'), key('ssh-rsa.pub')]);
    expect(sealed.toString('latin1', 0, 400)).toMatch(/-> X25519 [\s\S]*-> ssh-ed25519 [\s\S]*-> ssh-rsa /);
    for (const identity of [AGE_ID, key('ssh-ed25519'), key('ssh-rsa')]) {
      expect((await decrypt(sealed, [identity])).equals(plain)).toBe(true);
    }
  });

  it('opens with ssh keys in OpenSSH and PEM form', async () => {
    const plain = Buffer.from('pages of a checkpointed process');
    const sealed = await encrypt(plain, [key('ssh-rsa-pem.pub')]);
    expect((await decrypt(sealed, [key('ssh-rsa-pem')])).equals(plain)).toBe(true);
  });

  it('makes key pairs the age format accepts', async () => {
    const { identity, recipient } = generateX25519Identity();
    expect(identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    const sealed = await encrypt(Buffer.from('x'), [recipient]);
    expect((await decrypt(sealed, [identity])).toString()).toBe('x');
  });

  it('refuses the wrong key with one auth error that says what the data is encrypted to', async () => {
    const sealed = await encrypt(randomBytes(1000), [AGE_RCPT, key('ssh-ed25519.pub')]);
    const err = await failure(decrypt(sealed, [key('age-other.txt'), key('ssh-rsa')]));
    expect(err.code).toBe('auth');
    expect(err.message).toBe(
      'none of the given identities can decrypt this data (it is encrypted to 1 X25519, 1 ssh-ed25519 recipient(s))',
    );
    expect(err.hint).toMatch(/--encrypt-to/);
  });

  it('detects a changed header, a changed payload byte, a cut-off end and a lost chunk', async () => {
    const plain = randomBytes(3 * CHUNK_SIZE);
    const sealed = await encrypt(plain, [AGE_RCPT]);
    const payloadStart = sealed.indexOf(0x0a, sealed.indexOf('\n---') + 1) + 1;

    const header = Buffer.from(sealed);
    header.write('-> Y', sealed.indexOf('-> X25519'), 'latin1'); // another stanza type: the MAC no longer matches
    const macLine = payloadStart - 48; // `--- ` + 43 base64 characters + newline
    const insert = (text: string) =>
      Buffer.concat([sealed.subarray(0, macLine), Buffer.from(text), sealed.subarray(macLine)]);
    const extraStanza = insert('-> grease\n\n'); // well-formed, but not covered by the MAC
    const flipped = Buffer.from(sealed);
    flipped[payloadStart + 16 + CHUNK_SIZE + 100]! ^= 1;
    const cut = sealed.subarray(0, sealed.length - 1);
    const lost = Buffer.concat([
      sealed.subarray(0, payloadStart + 16 + CHUNK_SIZE + 16),
      sealed.subarray(payloadStart + 16 + 2 * (CHUNK_SIZE + 16)),
    ]);
    const atBoundary = sealed.subarray(0, payloadStart + 16 + 2 * (CHUNK_SIZE + 16));

    for (const [damaged, code] of [
      [header, 'auth'], // the only X25519 stanza is now of an unknown type
      [extraStanza, 'integrity'],
      [insert('->\n\n'), 'invalid-input'],
      [flipped, 'integrity'],
      [cut, 'integrity'],
      [lost, 'integrity'],
      [atBoundary, 'integrity'],
    ] as const) {
      expect((await failure(decrypt(damaged, [AGE_ID]))).code).toBe(code);
    }
  });

  it('refuses a header whose MAC was forged for the same stanzas', async () => {
    const sealed = await encrypt(randomBytes(10), [AGE_RCPT]);
    const macAt = sealed.indexOf('\n--- ') + 5;
    const forged = Buffer.from(sealed);
    forged.write(forged[macAt] === 0x41 ? 'B' : 'A', macAt, 'latin1');
    const err = await failure(decrypt(forged, [AGE_ID]));
    expect(err.code).toBe('integrity');
    expect(err.message).toMatch(/header MAC/);
  });

  it('says clearly what is not age data, and what is encrypted with a passphrase', async () => {
    const tar = readFileSync(fixture('podman', 'busybox-counter.tar')).subarray(0, 20_000);
    const notAge = await failure(decrypt(tar, [AGE_ID]));
    expect(notAge.message).toBe('not a valid age file: it does not start with "age-encryption.org/v1"');
    const empty = await failure(decrypt(Buffer.alloc(0), [AGE_ID]));
    expect(empty.message).toMatch(/ends inside the header/);
    const scrypt = Buffer.from(
      'age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 18\n' +
        'A'.repeat(43) +
        '\n--- ' +
        'A'.repeat(43) +
        '\n',
    );
    expect((await failure(decrypt(scrypt, [AGE_ID]))).message).toMatch(/passphrase/);
  });

  it('refuses recipients and identities it cannot use, naming them', async () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => parseAgeRecipient('age1qqqq'), /not a valid age recipient "age1qqqq"/],
      [() => parseAgeRecipient('ssh-dss AAAAB3NzaC1kc3M='), /only ssh-ed25519 and ssh-rsa/],
      [() => parseAgeRecipient('github:someone'), /not an age recipient/],
      [() => parseAgeIdentities('AGE-SECRET-KEY-1XYZ', 'id.txt'), /not a valid age secret key/],
      [() => parseAgeIdentities('# only a comment\n', 'id.txt'), /id.txt: no identities/],
      [() => parseAgeIdentities('hello\n', 'id.txt'), /id.txt, line 1: not an age secret key/],
      [() => parseAgeIdentities(key('ssh-ed25519-protected'), 'id_ed25519'), /protected by a passphrase/],
    ];
    for (const [call, message] of cases) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KcrError);
      expect((err as KcrError).message).toMatch(message);
      expect((err as KcrError).hint).toBeTruthy();
    }
    // Through the stream hook, the same error arrives as the stream's failure.
    const err = await failure(encrypt(Buffer.from('x'), ['age1qqqq']));
    expect(err.code).toBe('invalid-input');
  });

  it('streams: a 64 MiB input passes through encrypt and decrypt with under 8 MiB in flight', async () => {
    const total = 64 * 1024 * 1024;
    const block = randomBytes(1024 * 1024);
    let produced = 0;
    const plaintext = new Readable({
      read() {
        this.push(produced < total ? block : null);
        produced += block.length;
      },
    });
    const hash = createHash('sha256');
    const decrypted = ageEncryption.decrypt(ageEncryption.encrypt(plaintext, [AGE_RCPT]), [AGE_ID]);
    let consumed = 0;
    let inFlight = 0;
    for await (const chunk of decrypted) {
      hash.update(chunk as Buffer);
      consumed += (chunk as Buffer).length;
      inFlight = Math.max(inFlight, produced - consumed);
    }
    const expected = createHash('sha256');
    for (let i = 0; i < total; i += block.length) expected.update(block);
    expect(consumed).toBe(total);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
    // Whole-file buffering would hold all 64 MiB; streaming holds a few chunks and stream buffers.
    expect(inFlight).toBeLessThan(8 * 1024 * 1024);
  });
});
