/**
 * Encrypted checkpoint images in the ocicrypt format (containers/ocicrypt), which skopeo, buildah,
 * Podman, CRI-O and containerd's imgcrypt read: the layer's media type gains `+encrypted`, the layer
 * is AES-256-CTR with an HMAC-SHA256 over the ciphertext ("AES_256_CTR_HMAC_SHA256"), and the layer
 * key travels in the layer descriptor's annotations: `org.opencontainers.image.enc.keys.jwe` holds
 * base64 JWEs (JSON serialization; RSA-OAEP for RSA keys, ECDH-ES+A256KW for EC keys, A256GCM
 * content, as ocicrypt's jwe key wrapper makes them) of the private options (key, nonce, plaintext
 * digest), and `org.opencontainers.image.enc.pubopts` the public ones (cipher, HMAC).
 *
 * The layer cipher is node:crypto's; JWE is `jose` (well kept, no dependencies). The manifest, the
 * config and the checkpoint annotations stay readable: only the archive is secret.
 */
import {
  createCipheriv,
  createHash,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  timingSafeEqual,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { GeneralEncrypt, generalDecrypt, type GeneralJWE } from 'jose';
import { z } from 'zod';
import { KcrError } from '../errors.js';
import type { Annotations, OciDescriptor } from './media-types.js';

export const OCICRYPT_ANNOTATIONS = {
  jwe: 'org.opencontainers.image.enc.keys.jwe',
  pubopts: 'org.opencontainers.image.enc.pubopts',
} as const;
export const ENCRYPTED_SUFFIX = '+encrypted';
export const LAYER_CIPHER = 'AES_256_CTR_HMAC_SHA256';

export function isEncryptedMediaType(mediaType: string): boolean {
  return mediaType.endsWith(ENCRYPTED_SUFFIX);
}

/** The media type of the layer inside the encryption (`…tar+gzip+encrypted` → `…tar+gzip`). */
export function decryptedMediaType(mediaType: string): string {
  return isEncryptedMediaType(mediaType) ? mediaType.slice(0, -ENCRYPTED_SUFFIX.length) : mediaType;
}

/** What opens a layer: the AES key and CTR nonce, the HMAC to expect, and the plaintext's digest. */
export interface LayerKey {
  key: Buffer;
  nonce: Buffer;
  hmac: Buffer;
  /** The digest of the bytes that were encrypted (ocicrypt's private `digest` option). */
  digest: string;
}

const base64Bytes = z.string().transform((s, ctx) => {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.toString('base64') !== s) ctx.addIssue({ code: 'custom', message: 'not base64' });
  return bytes;
});

// Go's encoding/json writes []byte as padded base64 and a nil slice as null.
const privateOptionsSchema = z.object({
  symkey: base64Bytes,
  digest: z.string(),
  cipheroptions: z.object({ nonce: base64Bytes }),
});
const publicOptionsSchema = z.object({
  cipher: z.string(),
  hmac: base64Bytes.nullish(),
  cipheroptions: z.record(z.string(), base64Bytes).nullish(),
});
const jweSchema = z.object({
  protected: z.string().optional(),
  unprotected: z.record(z.string(), z.unknown()).optional(),
  iv: z.string(),
  ciphertext: z.string(),
  tag: z.string(),
  aad: z.string().optional(),
  recipients: z
    .array(
      z.object({
        header: z.record(z.string(), z.unknown()).optional(),
        encrypted_key: z.string().optional(),
      }),
    )
    .optional(),
  header: z.record(z.string(), z.unknown()).optional(),
  encrypted_key: z.string().optional(),
});

function keyError(what: string, detail: string, hint: string): KcrError {
  return new KcrError('invalid-input', `${what}: ${detail}`, { hint });
}

const RECIPIENT_HINT =
  'give an RSA or EC public key in PEM form (openssl pkey -in KEY.pem -pubout), as skopeo --encryption-key jwe:FILE takes';
const IDENTITY_HINT =
  'give the unencrypted RSA or EC private key (PEM) whose public key the image was encrypted to, as skopeo --decryption-key takes';

/** A PEM or JWK key as node:crypto reads it, or one `invalid-input` error naming the file. */
/**
 * A JWK key file from the user's disk, checked before Node's importer sees it: every member a JWK
 * defines is a string, `kty` is required, and unknown members pass through (RFC 7517 allows them).
 */
const JwkFile = z.looseObject({
  kty: z.string(),
  ...Object.fromEntries(
    ['crv', 'x', 'y', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'alg', 'kid', 'use'].map((name) => [
      name,
      z.string().optional(),
    ]),
  ),
});

function parseJwk(text: string): JsonWebKey {
  const parsed = JwkFile.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `"${issue.path.join('.')}"` : 'the key';
    throw new Error(`not a JSON Web Key: ${where} ${issue?.message ?? 'is invalid'}`);
  }
  return parsed.data;
}

function readKey(
  text: string,
  what: string,
  create: typeof createPublicKey | typeof createPrivateKey,
  problem: (err: Error) => string,
  hint: string,
): KeyObject {
  let key: KeyObject;
  try {
    const trimmed = text.trim();
    key = trimmed.startsWith('{') ? create({ key: parseJwk(trimmed), format: 'jwk' }) : create(trimmed);
  } catch (err) {
    throw keyError(what, problem(err as Error), hint);
  }
  const type = key.asymmetricKeyType;
  if (type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw keyError(what, 'RSA key shorter than 2048 bits', hint);
  }
  if (type !== 'rsa' && type !== 'ec') {
    throw keyError(
      what,
      `a ${type ?? 'unknown'} key; ocicrypt's JWE wraps keys for RSA and EC keys only`,
      hint,
    );
  }
  return key;
}

/** A recipient for an encrypted image: an RSA (≥ 2048 bits) or EC public key, PEM or JWK. */
export function parseOcicryptRecipient(text: string, what = 'recipient'): KeyObject {
  // node:crypto would derive the public half of a private key silently; a private key passed as a
  // recipient is a mistake worth stopping (it may be on its way to the wrong place).
  if (/PRIVATE KEY-----/.test(text) || /"d"\s*:/.test(text)) {
    throw keyError(what, 'is a private key; encrypt to the public key', RECIPIENT_HINT);
  }
  return readKey(text, what, createPublicKey, (err) => `not a public key: ${err.message}`, RECIPIENT_HINT);
}

/** An identity that opens an encrypted image: an unencrypted RSA or EC private key (PEM or JWK). */
export function parseOcicryptIdentity(text: string, what = 'identity'): KeyObject {
  const problem = (err: Error) =>
    `not a usable private key: ${/ENCRYPTED/.test(text) ? 'the private key is protected by a passphrase' : err.message}`;
  return readKey(text, what, createPrivateKey, problem, IDENTITY_HINT);
}

/**
 * How a backup record names an image recipient without holding the key: `sha256:` of the public
 * key's SubjectPublicKeyInfo (DER), what `openssl pkey -pubin -outform DER | sha256sum` prints.
 */
export function publicKeyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return (
    'sha256:' +
    createHash('sha256')
      .update(pub.export({ format: 'der', type: 'spki' }))
      .digest('hex')
  );
}

/** AES-256-CTR over the layer with an HMAC-SHA256 (keyed with the AES key) over the ciphertext. */
export class LayerEncryptStream extends Transform {
  readonly key = randomBytes(32);
  readonly nonce = randomBytes(16);
  private readonly cipher = createCipheriv('aes-256-ctr', this.key, this.nonce);
  private readonly mac = createHmac('sha256', this.key);
  private hmacValue: Buffer | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const out = this.cipher.update(chunk);
    this.mac.update(out);
    done(null, out);
  }
  override _flush(done: TransformCallback): void {
    const out = this.cipher.final();
    this.mac.update(out);
    this.hmacValue = this.mac.digest();
    done(null, out.length > 0 ? out : undefined);
  }
  /** Valid once the stream has finished. */
  hmac(): Buffer {
    if (!this.hmacValue) throw new Error('LayerEncryptStream: hmac() before the stream finished');
    return this.hmacValue;
  }
}

/**
 * The layer descriptor's annotations for a layer sealed by `stream`: the private options wrapped
 * for every recipient in one JWE, and the public options. `digest` is the plaintext layer's digest.
 */
export async function layerEncryptionAnnotations(
  stream: LayerEncryptStream,
  digest: string,
  recipients: readonly KeyObject[],
): Promise<Annotations> {
  const privateOptions = {
    symkey: stream.key.toString('base64'),
    digest,
    cipheroptions: { nonce: stream.nonce.toString('base64') },
  };
  const hmac = stream.hmac().toString('base64');
  // ocicrypt ≤ 1.1 reads the HMAC from `hmac`, later versions from `cipheroptions.hmac`: write both.
  const publicOptions = { cipher: LAYER_CIPHER, hmac, cipheroptions: { hmac } };
  const jwe = new GeneralEncrypt(Buffer.from(JSON.stringify(privateOptions))).setProtectedHeader({
    enc: 'A256GCM',
  });
  for (const key of recipients) {
    jwe
      .addRecipient(key)
      .setUnprotectedHeader({ alg: key.asymmetricKeyType === 'rsa' ? 'RSA-OAEP' : 'ECDH-ES+A256KW' });
  }
  const sealed = await jwe.encrypt();
  return {
    [OCICRYPT_ANNOTATIONS.jwe]: Buffer.from(JSON.stringify(sealed)).toString('base64'),
    [OCICRYPT_ANNOTATIONS.pubopts]: Buffer.from(JSON.stringify(publicOptions)).toString('base64'),
  };
}

function notOcicrypt(where: string, detail: string): KcrError {
  return new KcrError('invalid-input', `${where}: not a valid ocicrypt layer: ${detail}`, {
    hint: 'the image was encrypted with a scheme kcr does not read (only jwe), or its annotations are damaged',
  });
}

function parseJson<T>(schema: z.ZodType<T>, base64: string, where: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    throw notOcicrypt(where, `${what} is not base64 JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw notOcicrypt(
      where,
      `${what}: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`,
    );
  return parsed.data;
}

/** A JWE in either JSON form (go-jose writes the flattened one for a single recipient) as jose's general form. */
function generalForm(jwe: z.infer<typeof jweSchema>): GeneralJWE {
  const { header, encrypted_key, recipients, ...rest } = jwe;
  return {
    ...rest,
    recipients: recipients ?? [
      { ...(header ? { header } : {}), ...(encrypted_key ? { encrypted_key } : {}) },
    ],
  } as GeneralJWE;
}

/**
 * Unwraps the layer key with the first identity that opens one of the layer's JWEs. `where` names
 * the image in errors. A layer kcr cannot open is one `auth` error.
 */
export async function unwrapLayerKey(
  layer: OciDescriptor,
  identities: readonly KeyObject[],
  where: string,
): Promise<LayerKey> {
  const annotations = layer.annotations ?? {};
  const jwes = annotations[OCICRYPT_ANNOTATIONS.jwe];
  if (!jwes) {
    const schemes = Object.keys(annotations).filter((k) =>
      k.startsWith('org.opencontainers.image.enc.keys.'),
    );
    throw notOcicrypt(
      where,
      schemes.length
        ? `its keys are wrapped with ${schemes.map((s) => s.split('.').pop()).join(', ')}, not jwe`
        : 'no wrapped keys',
    );
  }
  if (identities.length === 0) {
    throw new KcrError('auth', `${where}: the image is encrypted`, {
      hint: 'give the private key it was encrypted to with --identity KEY.pem',
    });
  }
  const publicOptions = parseJson(
    publicOptionsSchema,
    annotations[OCICRYPT_ANNOTATIONS.pubopts] ?? '',
    where,
    'pubopts',
  );
  if (publicOptions.cipher !== LAYER_CIPHER)
    throw notOcicrypt(where, `cipher ${publicOptions.cipher} is not ${LAYER_CIPHER}`);
  const hmac = publicOptions.cipheroptions?.hmac ?? publicOptions.hmac;
  if (!hmac) throw notOcicrypt(where, 'pubopts has no hmac');
  for (const part of jwes.split(',')) {
    const jwe = generalForm(parseJson(jweSchema, part, where, 'the jwe annotation'));
    for (const identity of identities) {
      let plaintext: Uint8Array;
      try {
        ({ plaintext } = await generalDecrypt(jwe, identity));
      } catch {
        continue; // not this identity's recipient
      }
      const options = parseJson(
        privateOptionsSchema,
        Buffer.from(plaintext).toString('base64'),
        where,
        'the wrapped options',
      );
      if (options.symkey.length !== 32 || options.cipheroptions.nonce.length !== 16)
        throw notOcicrypt(where, 'key or nonce of the wrong size');
      return { key: options.symkey, nonce: options.cipheroptions.nonce, hmac, digest: options.digest };
    }
  }
  throw new KcrError('auth', `${where}: none of the given keys can decrypt the image`, {
    hint: 'give the private key whose public key was an encryption recipient (--identity KEY.pem)',
  });
}

/** Decrypts a layer, checking the HMAC over the ciphertext at the end; a mismatch fails the stream. */
export function createLayerDecryptStream(key: LayerKey, where: string): Transform {
  const decipher = createDecipheriv('aes-256-ctr', key.key, key.nonce);
  const mac = createHmac('sha256', key.key);
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      mac.update(chunk);
      done(null, decipher.update(chunk));
    },
    flush(done: TransformCallback) {
      const actual = mac.digest();
      if (actual.length !== key.hmac.length || !timingSafeEqual(actual, key.hmac)) {
        return done(
          new KcrError('integrity', `${where}: the encrypted layer does not match its HMAC`, {
            hint: 'the layer was altered or damaged in the registry; nothing was written',
          }),
        );
      }
      done(null, decipher.final());
    },
  });
}
