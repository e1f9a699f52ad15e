/**
 * age's native recipients: X25519 public keys (`age1…`) and their identities
 * (`AGE-SECRET-KEY-1…`), both Bech32 without Bech32's 90-character limit, as age encodes them.
 * The key agreement runs in node:crypto; the key types below are what ssh-ed25519 builds on too.
 */
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { bech32 } from '@scure/base';
import { KcrError } from '../../errors.js';
import { decodeBase64, encodeBase64, headerError, hkdf, type Stanza } from './age-header.js';
import { sealChunk } from './age-stream.js';
import { openWrappedKey, type AgeIdentity, type AgeRecipient } from './age-keys.js';

const X25519_LABEL = 'age-encryption.org/v1/X25519';
// DER prefixes of an X25519 SubjectPublicKeyInfo and PKCS#8 key (RFC 8410): the raw 32 bytes follow.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function x25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function x25519PrivateKey(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

export function x25519Raw(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

/** X25519(scalar, point); OpenSSL refuses an all-zero result (a low-order point), as age requires. */
export function x25519(scalar: KeyObject, point: Uint8Array): Buffer {
  try {
    return diffieHellman({ privateKey: scalar, publicKey: x25519PublicKey(point) });
  } catch (err) {
    throw headerError(`X25519 share is a low-order point (${(err as Error).message})`);
  }
}

/** ChaCha20-Poly1305 with a zero nonce: how every age stanza wraps the 16-byte file key. */
export function wrapFileKey(wrapKey: Buffer, fileKey: Buffer): Buffer {
  return Buffer.concat(sealChunk(wrapKey, 0, false, fileKey));
}

/** An ephemeral key pair: its public share and the shared secret with `theirs`. */
export function ephemeralAgreement(theirs: Uint8Array): { share: Buffer; secret: Buffer } {
  const { privateKey } = generateKeyPairSync('x25519');
  return { share: x25519Raw(privateKey), secret: x25519(privateKey, theirs) };
}

export class X25519Recipient implements AgeRecipient {
  constructor(
    readonly text: string,
    private readonly publicKey: Buffer,
  ) {}

  wrap(fileKey: Buffer): Stanza[] {
    const { share, secret } = ephemeralAgreement(this.publicKey);
    const wrapKey = hkdf(secret, Buffer.concat([share, this.publicKey]), X25519_LABEL);
    return [{ type: 'X25519', args: [encodeBase64(share)], body: wrapFileKey(wrapKey, fileKey) }];
  }
}

export class X25519Identity implements AgeIdentity {
  private readonly publicKey: Buffer;
  constructor(private readonly privateKey: KeyObject) {
    this.publicKey = x25519Raw(privateKey);
  }

  unwrap(stanza: Stanza): Buffer | undefined {
    if (stanza.type !== 'X25519') return undefined;
    if (stanza.args.length !== 1) throw headerError('X25519 stanza with wrong arguments');
    const share = decodeBase64(stanza.args[0]!, 'X25519 share');
    if (share.length !== 32) throw headerError('X25519 share is not 32 bytes');
    const secret = x25519(this.privateKey, share);
    const wrapKey = hkdf(secret, Buffer.concat([share, this.publicKey]), X25519_LABEL);
    return openWrappedKey(wrapKey, stanza.body);
  }
}

function decodeBech32(text: string, prefix: string, what: string, hint: string): Buffer {
  try {
    if (text !== text.toLowerCase() && text !== text.toUpperCase()) throw new Error('mixed case');
    const decoded = bech32.decode(text.toLowerCase() as `${string}1${string}`, false);
    if (decoded.prefix !== prefix) throw new Error(`prefix "${decoded.prefix}"`);
    const bytes = Buffer.from(bech32.fromWords(decoded.words));
    if (bytes.length !== 32) throw new Error(`${bytes.length} bytes, not 32`);
    return bytes;
  } catch (err) {
    throw new KcrError('invalid-input', `not a valid ${what}: ${(err as Error).message}`, { hint });
  }
}

export function parseX25519Recipient(text: string): X25519Recipient {
  const hint = 'an age recipient looks like age1… (62 characters); `age-keygen -y KEYFILE` prints it';
  return new X25519Recipient(text, decodeBech32(text, 'age', `age recipient "${text}"`, hint));
}

export function parseX25519Identity(text: string): X25519Identity {
  const hint = 'an age identity looks like AGE-SECRET-KEY-1…; `age-keygen -o KEYFILE` makes one';
  const raw = decodeBech32(text, 'age-secret-key-', 'age secret key', hint);
  return new X25519Identity(x25519PrivateKey(raw));
}

/** A new age key pair, as `age-keygen` makes (for tests and `kcr` users without `age`). */
export function generateX25519Identity(): { identity: string; recipient: string } {
  const { privateKey } = generateKeyPairSync('x25519');
  const priv = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  return {
    identity: bech32.encode('age-secret-key-', bech32.toWords(priv), false).toUpperCase(),
    recipient: bech32.encode('age', bech32.toWords(x25519Raw(privateKey)), false),
  };
}
