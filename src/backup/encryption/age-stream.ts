/**
 * age's payload: a 16-byte nonce, then STREAM (ChaCha20-Poly1305 over 64 KiB chunks, the nonce an
 * 11-byte big-endian chunk counter and a last-chunk flag). node:crypto's chacha20-poly1305 runs in
 * OpenSSL, several times faster than a JavaScript cipher. The payload is cut into batches of whole
 * chunks (age-batches.ts) and each batch is sealed or opened here, as a whole: a batch needs only
 * its first chunk's counter and whether it holds the last chunk, so batches can be sealed on any
 * thread, in any order.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KcrError } from '../../errors.js';
import { hkdf } from './age-header.js';

export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const NONCE_SIZE = 16;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;

/** The payload key: HKDF-SHA256 of the file key, salted with the payload nonce (age spec). */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdf(fileKey, nonce, 'payload');
}

const AEAD = { authTagLength: TAG_SIZE } as const;

function nonceFor(nonce: Buffer, counter: number, last: boolean): Buffer {
  // 2^53 chunks of 64 KiB is far beyond any archive, so a JavaScript number is an exact counter.
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** One ChaCha20-Poly1305 chunk, as the file-key wrap of X25519 stanzas also uses it. */
export function sealChunk(key: Buffer, counter: number, last: boolean, plaintext: Buffer): Buffer[] {
  const cipher = createCipheriv('chacha20-poly1305', key, nonceFor(Buffer.alloc(12), counter, last), AEAD);
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

export function damaged(detail: string, cause?: unknown): KcrError {
  return new KcrError('integrity', `encrypted data is damaged: ${detail}`, {
    hint: 'the ciphertext was altered or cut short; use another copy of the backup',
    cause,
  });
}

/** Which way a batch goes: plaintext to sealed chunks, or back. */
export type Direction = 'seal' | 'open';

/** One unit of a batch: a plaintext chunk when sealing, a sealed chunk when opening. */
export function unitSize(direction: Direction): number {
  return direction === 'seal' ? CHUNK_SIZE : SEALED_CHUNK_SIZE;
}

/**
 * Seals or opens one batch: `data` is whole units, except that the batch holding the last chunk
 * (`last`) ends with it, whole or not. `counter` is the first chunk's. The result is one buffer
 * with an ArrayBuffer of its own, so a worker hands it over without a copy. (Handing on each
 * chunk's own buffers instead saves that copy, but then a file's write stream takes them one
 * write at a time, two per chunk: measured, 115,000 context switches for a GiB.) Opening throws
 * KcrError('integrity') naming the first chunk that does not authenticate, and returns nothing of
 * the batch then.
 */
export function runBatch(
  direction: Direction,
  key: Buffer,
  counter: number,
  data: Uint8Array,
  last: boolean,
): Buffer {
  return direction === 'seal' ? sealBatch(key, counter, data, last) : openBatch(key, counter, data, last);
}

function sealBatch(key: Buffer, counter: number, plain: Uint8Array, last: boolean): Buffer {
  // The empty plaintext is one empty last chunk; otherwise every chunk but the last is whole.
  const chunks = Math.max(last ? 1 : 0, Math.ceil(plain.length / CHUNK_SIZE));
  const out = Buffer.allocUnsafeSlow(plain.length + chunks * TAG_SIZE);
  const nonce = Buffer.alloc(12);
  let at = 0;
  for (let i = 0; i < chunks; i++) {
    const chunk = plain.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE);
    const iv = nonceFor(nonce, counter + i, last && i === chunks - 1);
    const cipher = createCipheriv('chacha20-poly1305', key, iv, AEAD);
    at += cipher.update(chunk).copy(out, at);
    cipher.final();
    at += cipher.getAuthTag().copy(out, at);
  }
  return out;
}

function openBatch(key: Buffer, counter: number, sealed: Uint8Array, last: boolean): Buffer {
  const chunks = Math.ceil(sealed.length / SEALED_CHUNK_SIZE);
  if (last) {
    const tail = sealed.length - Math.max(0, chunks - 1) * SEALED_CHUNK_SIZE;
    if (chunks === 0 && counter === 0) throw damaged('no payload');
    if (tail < TAG_SIZE) throw damaged('it was cut short');
    if (tail === TAG_SIZE && counter + chunks > 1) throw damaged('an empty last chunk after data');
  }
  const out = Buffer.allocUnsafeSlow(sealed.length - chunks * TAG_SIZE);
  const nonce = Buffer.alloc(12);
  let at = 0;
  for (let i = 0; i < chunks; i++) {
    const chunk = sealed.subarray(i * SEALED_CHUNK_SIZE, (i + 1) * SEALED_CHUNK_SIZE);
    const n = counter + i;
    const iv = nonceFor(nonce, n, last && i === chunks - 1);
    const decipher = createDecipheriv('chacha20-poly1305', key, iv, AEAD);
    decipher.setAuthTag(chunk.subarray(chunk.length - TAG_SIZE));
    at += decipher.update(chunk.subarray(0, chunk.length - TAG_SIZE)).copy(out, at);
    try {
      decipher.final();
    } catch (err) {
      throw damaged(`chunk ${n} does not authenticate`, err);
    }
  }
  return out;
}
