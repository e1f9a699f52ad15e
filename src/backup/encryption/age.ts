/**
 * Backups in the age format (https://age-encryption.org/v1), so that `age -d -i KEY` opens a kcr
 * backup and kcr opens what `age -r`/`age -R` wrote, with X25519 (`age1…`) and ssh-ed25519/ssh-rsa
 * recipients.
 *
 * Written on node:crypto rather than with npm's `age-encryption` (0.3.1, checked 2026-12): that
 * package has no ssh recipients or identities, which the issue requires, and runs ChaCha20-Poly1305
 * in JavaScript (@noble/ciphers), several times slower than OpenSSL's, against a target of 1.5× the
 * Go CLI. Every primitive here is node:crypto's (X25519, HKDF-SHA256, HMAC-SHA256,
 * ChaCha20-Poly1305, RSA-OAEP); this module only frames them as the age spec says.
 */
import { randomBytes } from 'node:crypto';
import {
  PassThrough,
  Transform,
  addAbortSignal,
  pipeline,
  type Readable,
  type TransformCallback,
} from 'node:stream';
import { KcrError } from '../../errors.js';
import { formatHeader, parseHeader, verifyHeaderMac, type ParsedHeader, type Stanza } from './age-header.js';
import { ArmorDecoder, looksArmored } from './age-armor.js';
import { FILE_KEY_SIZE, type AgeIdentity, type AgeRecipient } from './age-keys.js';
import { parseSshIdentity, parseSshRecipient } from './age-ssh.js';
import { NONCE_SIZE, StreamOpener, StreamSealer, payloadKey } from './age-stream.js';
import { parseX25519Identity, parseX25519Recipient } from './age-x25519.js';
import { createAgeFileEncryptStream } from './age-file.js';
import type { EncryptOptions, StreamEncryption } from './types.js';

export type { AgeIdentity, AgeRecipient } from './age-keys.js';

/** One `--encrypt-to` value: `age1…`, or an `ssh-ed25519 …`/`ssh-rsa …` public key line. */
export function parseAgeRecipient(text: string): AgeRecipient {
  const trimmed = text.trim();
  if (trimmed.startsWith('ssh-')) return parseSshRecipient(trimmed);
  if (trimmed.toLowerCase().startsWith('age1')) return parseX25519Recipient(trimmed);
  throw new KcrError('invalid-input', `not an age recipient: "${trimmed.slice(0, 60)}"`, {
    hint: 'give an age public key (age1…, from `age-keygen -y KEYFILE`) or an ssh-ed25519/ssh-rsa public key line',
  });
}

export function parseAgeRecipients(texts: readonly string[]): AgeRecipient[] {
  if (texts.length === 0) {
    throw new KcrError('usage', 'encryption needs at least one recipient', {
      hint: 'name one with --encrypt-to age1… or --encrypt-to "$(cat ~/.ssh/id_ed25519.pub)"',
    });
  }
  return texts.map(parseAgeRecipient);
}

/**
 * The identities in one identity file's text: an OpenSSH or PEM private key, or age secret keys
 * one per line (`#` comments and blank lines allowed), as `age -i` reads them. `what` names the
 * file in errors.
 */
export function parseAgeIdentities(text: string, what = 'identity'): AgeIdentity[] {
  if (text.includes('-----BEGIN')) return [parseSshIdentity(text, what)];
  const identities: AgeIdentity[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!line.toUpperCase().startsWith('AGE-SECRET-KEY-1')) {
      throw new KcrError(
        'invalid-input',
        `${what}, line ${index + 1}: not an age secret key or ssh private key`,
        {
          hint: 'an identity file holds AGE-SECRET-KEY-1… lines (age-keygen) or one ssh private key (ssh-keygen)',
        },
      );
    }
    identities.push(parseX25519Identity(line));
  }
  if (identities.length === 0) {
    throw new KcrError('invalid-input', `${what}: no identities in it`, {
      hint: 'an identity file holds AGE-SECRET-KEY-1… lines (age-keygen) or one ssh private key (ssh-keygen)',
    });
  }
  return identities;
}

/** Pushes what is not empty: an empty push would read as nothing, and cost a write downstream. */
function pushSome(stream: Transform, data: Buffer): void {
  if (data.length > 0) stream.push(data);
}

/** A fresh file key wrapped to `recipients`: the header and payload nonce, and the payload's sealer. */
export function startAgeFile(recipients: readonly AgeRecipient[]): { head: Buffer; sealer: StreamSealer } {
  const fileKey = randomBytes(FILE_KEY_SIZE);
  const stanzas = recipients.flatMap((r) => r.wrap(fileKey));
  const nonce = randomBytes(NONCE_SIZE);
  return {
    head: Buffer.concat([formatHeader(stanzas, fileKey), nonce]),
    sealer: new StreamSealer(payloadKey(fileKey, nonce)),
  };
}

/** A Transform from plaintext to an age file for `recipients`. */
export function createAgeEncryptStream(recipients: readonly AgeRecipient[]): Transform {
  const start = startAgeFile(recipients);
  const sealer = start.sealer;
  let head: Buffer | undefined = start.head;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (head) this.push(head);
      head = undefined;
      pushSome(this, sealer.write(chunk));
      done();
    },
    flush(done: TransformCallback) {
      if (head) this.push(head);
      this.push(sealer.end());
      done();
    },
  });
}

function describeStanzas(stanzas: readonly Stanza[]): string {
  const counts = new Map<string, number>();
  for (const s of stanzas) counts.set(s.type, (counts.get(s.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${n} ${type}`).join(', ');
}

function unwrapFileKey(header: ParsedHeader, identities: readonly AgeIdentity[]): Buffer {
  if (header.stanzas.some((s) => s.type === 'scrypt')) {
    throw new KcrError('auth', 'the data is encrypted with a passphrase (age -p), not to a key', {
      hint: 'decrypt it with `age -d`; kcr backups are encrypted to keys (--encrypt-to)',
    });
  }
  for (const identity of identities) {
    for (const stanza of header.stanzas) {
      const fileKey = identity.unwrap(stanza);
      if (fileKey) {
        verifyHeaderMac(header, fileKey);
        return fileKey;
      }
    }
  }
  throw new KcrError(
    'auth',
    `none of the given identities can decrypt this data (it is encrypted to ${describeStanzas(header.stanzas)} recipient(s))`,
    {
      hint: 'give the identity file whose public key was an --encrypt-to recipient; the backup record lists them',
    },
  );
}

/** A Transform from an age file (binary or armored) to its plaintext, for the first of `identities` that opens it. */
export function createAgeDecryptStream(identities: readonly AgeIdentity[]): Transform {
  let armor: ArmorDecoder | undefined;
  let sniffed = false;
  let headerBytes: Buffer | undefined = Buffer.alloc(0);
  let fileKey: Buffer | undefined;
  let nonceBytes = Buffer.alloc(0);
  let opener: StreamOpener | undefined;

  const payload = (data: Buffer): Buffer => {
    if (!opener) {
      nonceBytes = Buffer.concat([nonceBytes, data]);
      if (nonceBytes.length < NONCE_SIZE) return Buffer.alloc(0);
      opener = new StreamOpener(payloadKey(fileKey!, nonceBytes.subarray(0, NONCE_SIZE)));
      data = nonceBytes.subarray(NONCE_SIZE);
    }
    return opener.write(data);
  };

  /** The binary age file, piece by piece: header first, then the payload. */
  const feed = (chunk: Buffer): Buffer => {
    if (headerBytes) {
      const data: Buffer = Buffer.concat([headerBytes, chunk]);
      const header = parseHeader(data);
      if (!header) {
        headerBytes = data;
        return Buffer.alloc(0);
      }
      headerBytes = undefined;
      fileKey = unwrapFileKey(header, identities);
      chunk = data.subarray(header.payloadOffset);
    }
    return payload(chunk);
  };

  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try {
        if (!sniffed && chunk.length > 0) {
          sniffed = true;
          if (looksArmored(chunk)) armor = new ArmorDecoder();
        }
        pushSome(this, feed(armor ? armor.write(chunk) : chunk));
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        const fromArmor = armor ? feed(armor.end()) : Buffer.alloc(0);
        if (headerBytes) {
          throw new KcrError('invalid-input', 'not a valid age file: it ends inside the header', {
            hint: 'the data is empty, cut short, or not an age file',
          });
        }
        if (!opener)
          throw new KcrError('integrity', 'encrypted data is damaged: it ends before the payload', {
            hint: 'the ciphertext was cut short; use another copy of the backup',
          });
        pushSome(this, fromArmor);
        pushSome(this, opener.end());
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/** `source` through `transform`, failing the returned stream with the first error of either. */
function through(source: Readable, build: () => Transform, options: EncryptOptions): Readable {
  let transform: Transform;
  try {
    transform = build();
  } catch (err) {
    const failed = new PassThrough();
    source.destroy();
    process.nextTick(() => failed.destroy(err as Error));
    return failed;
  }
  if (options.signal) addAbortSignal(options.signal, transform);
  return pipeline(source, transform, () => {
    // pipeline destroys both streams with the error; the reader of `transform` sees it.
  });
}

/** age for file:// and s3:// stores, behind the backup module's stream hook. */
export const ageEncryption: StreamEncryption = {
  format: 'age',
  encrypt(plaintext, recipients, options = {}) {
    return through(plaintext, () => createAgeEncryptStream(parseAgeRecipients(recipients)), options);
  },
  encryptFile(path, recipients, options = {}) {
    let parsed: AgeRecipient[];
    try {
      parsed = parseAgeRecipients(recipients);
    } catch (err) {
      const failed = new PassThrough();
      process.nextTick(() => failed.destroy(err as Error));
      return failed;
    }
    const stream = createAgeFileEncryptStream(path, parsed, options.onPlaintext);
    if (options.signal) addAbortSignal(options.signal, stream);
    return stream;
  },
  decrypt(ciphertext, identities, options = {}) {
    return through(
      ciphertext,
      () =>
        createAgeDecryptStream(
          identities.flatMap((text, i) => parseAgeIdentities(text, `identity ${i + 1}`)),
        ),
      options,
    );
  },
};
