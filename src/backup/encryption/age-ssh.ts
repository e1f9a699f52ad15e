/**
 * age's ssh recipients and identities (age spec, "ssh-ed25519" and "ssh-rsa"): a user's existing
 * `~/.ssh/id_ed25519.pub` or `id_rsa.pub` encrypts a backup and the private key opens it, exactly as
 * `age -R ~/.ssh/id_ed25519.pub` and `age -d -i ~/.ssh/id_ed25519` do. node:crypto reads PEM keys but
 * not OpenSSH's own key format, so the wire format and openssh-key-v1 are parsed here.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  constants,
  type KeyObject,
} from 'node:crypto';
import { KcrError } from '../../errors.js';
import { decodeBase64, encodeBase64, headerError, hkdf, type Stanza } from './age-header.js';
import { openWrappedKey, type AgeIdentity, type AgeRecipient } from './age-keys.js';
import { ephemeralAgreement, wrapFileKey, x25519, x25519PrivateKey } from './age-x25519.js';

const ED25519_LABEL = 'age-encryption.org/v1/ssh-ed25519';
const RSA_LABEL = 'age-encryption.org/v1/ssh-rsa';

/** Reads SSH wire encoding (RFC 4251): uint32 lengths, strings and mpints. */
class WireReader {
  private pos = 0;
  constructor(
    private readonly data: Buffer,
    private readonly what: string,
  ) {}
  uint32(): number {
    if (this.pos + 4 > this.data.length) throw sshKeyError(this.what, 'truncated');
    const value = this.data.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }
  bytes(): Buffer {
    const length = this.uint32();
    if (this.pos + length > this.data.length) throw sshKeyError(this.what, 'truncated');
    const out = this.data.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  string(): string {
    return this.bytes().toString('latin1');
  }
  /** An mpint as unsigned big-endian bytes (the sign byte OpenSSH adds dropped). */
  mpint(): Buffer {
    const raw = this.bytes();
    let start = 0;
    while (start < raw.length - 1 && raw[start] === 0) start++;
    return raw.subarray(start);
  }
}

function wireString(data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An mpint: big-endian with a zero byte in front when the top bit is set (positive numbers). */
function wireMpint(unsigned: Buffer): Buffer {
  return wireString(unsigned[0]! & 0x80 ? Buffer.concat([Buffer.alloc(1), unsigned]) : unsigned);
}

function sshKeyError(what: string, detail: string): KcrError {
  return new KcrError('invalid-input', `${what}: not a usable ssh key: ${detail}`, {
    hint: 'give an ssh-ed25519 or ssh-rsa public key line (as in ~/.ssh/id_ed25519.pub) or an unencrypted OpenSSH private key',
  });
}

/** age's stanza tag for an ssh key: the first 4 bytes of the sha256 of its wire encoding. */
function sshTag(wireKey: Buffer): string {
  return encodeBase64(createHash('sha256').update(wireKey).digest().subarray(0, 4));
}

const P = 2n ** 255n - 19n;

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  base %= mod;
  for (; exp > 0n; exp >>= 1n, base = (base * base) % mod) if (exp & 1n) result = (result * base) % mod;
  return result;
}

function littleEndianToBigInt(bytes: Uint8Array): bigint {
  return BigInt('0x' + (Buffer.from(bytes).reverse().toString('hex') || '0'));
}

/** Ed25519 public key → its X25519 (Montgomery) form: u = (1 + y) / (1 − y) mod p (RFC 7748 §4.1). */
function ed25519ToX25519(publicKey: Buffer): Buffer {
  const bytes = Buffer.from(publicKey);
  bytes[31]! &= 0x7f;
  const y = littleEndianToBigInt(bytes);
  if (y >= P || y === 1n) throw sshKeyError('ssh-ed25519 key', 'not a valid Ed25519 point');
  const u = ((1n + y) * modPow((1n - y + P) % P, P - 2n, P)) % P;
  return Buffer.from(u.toString(16).padStart(64, '0'), 'hex').reverse();
}

/** The X25519 scalar of an Ed25519 seed: the first half of its SHA-512 (X25519 clamps it). */
function ed25519SeedToX25519(seed: Buffer): KeyObject {
  return x25519PrivateKey(createHash('sha512').update(seed).digest().subarray(0, 32));
}

/** The shared part of wrapping and unwrapping: the secret tweaked by the ssh key, then HKDF. */
function ed25519WrapKey(sharedSecret: Buffer, wireKey: Buffer, share: Buffer, montgomery: Buffer): Buffer {
  const tweak = hkdf(Buffer.alloc(0), wireKey, ED25519_LABEL);
  const tweaked = x25519(x25519PrivateKey(tweak), sharedSecret);
  return hkdf(tweaked, Buffer.concat([share, montgomery]), ED25519_LABEL);
}

class SshEd25519Recipient implements AgeRecipient {
  private readonly montgomery: Buffer;
  constructor(
    readonly text: string,
    private readonly wireKey: Buffer,
    publicKey: Buffer,
  ) {
    this.montgomery = ed25519ToX25519(publicKey);
  }
  wrap(fileKey: Buffer): Stanza[] {
    const { share, secret } = ephemeralAgreement(this.montgomery);
    const wrapKey = ed25519WrapKey(secret, this.wireKey, share, this.montgomery);
    return [
      {
        type: 'ssh-ed25519',
        args: [sshTag(this.wireKey), encodeBase64(share)],
        body: wrapFileKey(wrapKey, fileKey),
      },
    ];
  }
}

class SshRsaRecipient implements AgeRecipient {
  constructor(
    readonly text: string,
    private readonly wireKey: Buffer,
    private readonly key: KeyObject,
  ) {}
  wrap(fileKey: Buffer): Stanza[] {
    const body = publicEncrypt(
      {
        key: this.key,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
        oaepLabel: Buffer.from(RSA_LABEL),
      },
      fileKey,
    );
    return [{ type: 'ssh-rsa', args: [sshTag(this.wireKey)], body }];
  }
}

class SshEd25519Identity implements AgeIdentity {
  private readonly scalar: KeyObject;
  private readonly montgomery: Buffer;
  private readonly tag: string;
  constructor(
    private readonly wireKey: Buffer,
    publicKey: Buffer,
    seed: Buffer,
  ) {
    this.scalar = ed25519SeedToX25519(seed);
    this.montgomery = ed25519ToX25519(publicKey);
    this.tag = sshTag(wireKey);
  }
  unwrap(stanza: Stanza): Buffer | undefined {
    if (stanza.type !== 'ssh-ed25519') return undefined;
    if (stanza.args.length !== 2) throw headerError('ssh-ed25519 stanza with wrong arguments');
    if (stanza.args[0] !== this.tag) return undefined;
    const share = decodeBase64(stanza.args[1]!, 'ssh-ed25519 share');
    if (share.length !== 32) throw headerError('ssh-ed25519 share is not 32 bytes');
    const wrapKey = ed25519WrapKey(x25519(this.scalar, share), this.wireKey, share, this.montgomery);
    return openWrappedKey(wrapKey, stanza.body);
  }
}

class SshRsaIdentity implements AgeIdentity {
  private readonly tag: string;
  constructor(
    wireKey: Buffer,
    private readonly key: KeyObject,
  ) {
    this.tag = sshTag(wireKey);
  }
  unwrap(stanza: Stanza): Buffer | undefined {
    if (stanza.type !== 'ssh-rsa') return undefined;
    if (stanza.args.length !== 1) throw headerError('ssh-rsa stanza with wrong arguments');
    if (stanza.args[0] !== this.tag) return undefined;
    try {
      return privateDecrypt(
        {
          key: this.key,
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: 'sha256',
          oaepLabel: Buffer.from(RSA_LABEL),
        },
        stanza.body,
      );
    } catch {
      return undefined;
    }
  }
}

const b64url = (bytes: Buffer): string => bytes.toString('base64url');
const fromB64url = (text: string): Buffer => Buffer.from(text, 'base64url');
const toBigInt = (bytes: Buffer): bigint => BigInt('0x' + (bytes.toString('hex') || '0'));
const fromBigInt = (value: bigint): Buffer => {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
};

function rsaWireKey(n: Buffer, e: Buffer): Buffer {
  return Buffer.concat([wireString('ssh-rsa'), wireMpint(e), wireMpint(n)]);
}

function checkRsaSize(n: Buffer, what: string): void {
  // age refuses RSA keys under 2048 bits; so does kcr, for the same reason.
  if (n.length * 8 < 2048)
    throw sshKeyError(what, `RSA key of ${n.length * 8} bits; age needs at least 2048`);
}

/** `ssh-ed25519 AAAA… comment` or `ssh-rsa AAAA… comment`, as in an authorized_keys line. */
export function parseSshRecipient(text: string): AgeRecipient {
  const [type, blob] = text.trim().split(/\s+/);
  const wire = Buffer.from(blob ?? '', 'base64');
  if (!blob || wire.toString('base64') !== blob)
    throw sshKeyError(text.slice(0, 40), 'the key is not base64');
  const reader = new WireReader(wire, type!);
  if (reader.string() !== type) throw sshKeyError(type!, 'the key blob names another key type');
  if (type === 'ssh-ed25519') {
    const publicKey = reader.bytes();
    if (publicKey.length !== 32) throw sshKeyError(type, 'an Ed25519 key is 32 bytes');
    return new SshEd25519Recipient(text.trim(), wire, publicKey);
  }
  if (type === 'ssh-rsa') {
    const e = reader.mpint();
    const n = reader.mpint();
    checkRsaSize(n, type);
    const key = createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
    return new SshRsaRecipient(text.trim(), wire, key);
  }
  throw sshKeyError(type!, 'age supports only ssh-ed25519 and ssh-rsa keys');
}

/** An identity from a private key node:crypto holds (PEM files, and openssh-key-v1 turned into one). */
function identityFromKeyObject(key: KeyObject, what: string): AgeIdentity {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.d && jwk.x) {
    const publicKey = fromB64url(jwk.x);
    return new SshEd25519Identity(
      Buffer.concat([wireString('ssh-ed25519'), wireString(publicKey)]),
      publicKey,
      fromB64url(jwk.d),
    );
  }
  if (jwk.kty === 'RSA' && jwk.n && jwk.e) {
    const n = fromB64url(jwk.n);
    checkRsaSize(n, what);
    return new SshRsaIdentity(rsaWireKey(n, fromB64url(jwk.e)), key);
  }
  throw sshKeyError(what, `a ${key.asymmetricKeyType ?? 'unknown'} key; age supports only Ed25519 and RSA`);
}

/** openssh-key-v1 (PROTOCOL.key in OpenSSH): the format `ssh-keygen` writes by default. */
function parseOpenSshPrivateKey(blob: Buffer, what: string): KeyObject {
  const magic = 'openssh-key-v1\0';
  if (blob.toString('latin1', 0, magic.length) !== magic)
    throw sshKeyError(what, 'not an openssh-key-v1 key');
  const reader = new WireReader(blob.subarray(magic.length), what);
  const cipher = reader.string();
  reader.string(); // kdf name
  reader.bytes(); // kdf options
  if (cipher !== 'none') {
    throw new KcrError('invalid-input', `${what}: the private key is protected by a passphrase`, {
      hint: 'kcr cannot ask for passphrases; use an age identity (age-keygen) or an unencrypted copy of the ssh key kept as safe as the original',
    });
  }
  if (reader.uint32() !== 1) throw sshKeyError(what, 'the file holds more than one key');
  reader.bytes(); // public key; the private section repeats it
  const priv = new WireReader(reader.bytes(), what);
  if (priv.uint32() !== priv.uint32()) throw sshKeyError(what, 'the check bytes differ (a damaged key)');
  const type = priv.string();
  if (type === 'ssh-ed25519') {
    const publicKey = priv.bytes();
    const secret = priv.bytes(); // seed ‖ public key
    if (publicKey.length !== 32 || secret.length !== 64) throw sshKeyError(what, 'malformed Ed25519 key');
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey), d: b64url(secret.subarray(0, 32)) };
    return createPrivateKey({ key: jwk, format: 'jwk' });
  }
  if (type === 'ssh-rsa') {
    const [n, e, d, iqmp, p, q] = [
      priv.mpint(),
      priv.mpint(),
      priv.mpint(),
      priv.mpint(),
      priv.mpint(),
      priv.mpint(),
    ];
    const [D, Pn, Q] = [toBigInt(d!), toBigInt(p!), toBigInt(q!)];
    const jwk = {
      kty: 'RSA',
      ...Object.fromEntries(Object.entries({ n, e, d, p, q, qi: iqmp }).map(([k, v]) => [k, b64url(v!)])),
      dp: b64url(fromBigInt(D % (Pn - 1n))),
      dq: b64url(fromBigInt(D % (Q - 1n))),
    };
    return createPrivateKey({ key: jwk, format: 'jwk' });
  }
  throw sshKeyError(what, `a ${type} key; age supports only ssh-ed25519 and ssh-rsa`);
}

/** An ssh private key file's text: OpenSSH's own format, or PEM (PKCS#1 / PKCS#8) as older ssh-keygen wrote. */
export function parseSshIdentity(pem: string, what: string): AgeIdentity {
  const openssh = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(pem);
  if (openssh) {
    const blob = Buffer.from(openssh[1]!.replace(/\s+/g, ''), 'base64');
    return identityFromKeyObject(parseOpenSshPrivateKey(blob, what), what);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    const encrypted = /ENCRYPTED/.test(pem);
    throw sshKeyError(
      what,
      encrypted ? 'the private key is protected by a passphrase' : (err as Error).message,
    );
  }
  return identityFromKeyObject(key, what);
}
