/**
 * age's payload: a 16-byte nonce, then STREAM (ChaCha20-Poly1305 over 64 KiB chunks, the nonce an
 * 11-byte big-endian chunk counter and a last-chunk flag). node:crypto's chacha20-poly1305 runs in
 * OpenSSL, several times faster than a JavaScript cipher. Memory stays at a few chunks whatever
 * the input's size: each side holds back at most one chunk, because a full chunk can only be known
 * not to be the last once more data follows it.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KcrError } from '../../errors.js';
import { hkdf } from './age-header.js';

export const CHUNK_SIZE = 64 * 1024;
const TAG_SIZE = 16;
export const NONCE_SIZE = 16;
const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;

/** The payload key: HKDF-SHA256 of the file key, salted with the payload nonce (age spec). */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  return hkdf(fileKey, nonce, 'payload');
}

function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  // 2^53 chunks of 64 KiB is far beyond any archive, so a JavaScript number is an exact counter.
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

export function sealChunk(key: Buffer, counter: number, last: boolean, plaintext: Buffer): Buffer[] {
  const cipher = createCipheriv('chacha20-poly1305', key, chunkNonce(counter, last), {
    authTagLength: TAG_SIZE,
  });
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

export function openChunk(key: Buffer, counter: number, last: boolean, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('chacha20-poly1305', key, chunkNonce(counter, last), {
    authTagLength: TAG_SIZE,
  });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const body = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  try {
    decipher.final();
  } catch (err) {
    throw damaged(`chunk ${counter} does not authenticate`, err);
  }
  return body;
}

export function damaged(detail: string, cause?: unknown): KcrError {
  return new KcrError('integrity', `encrypted data is damaged: ${detail}`, {
    hint: 'the ciphertext was altered or cut short; use another copy of the backup',
    cause,
  });
}

/** Bytes collected until there are enough for a chunk, without copying on every write. */
export class ChunkBuffer {
  private parts: Buffer[] = [];
  length = 0;

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.parts.push(data);
    this.length += data.length;
  }

  /** Takes the first `n` bytes (n ≤ length). */
  take(n: number): Buffer {
    if (this.parts.length > 1 && this.parts[0]!.length < n) this.parts = [Buffer.concat(this.parts)];
    const first = this.parts[0] ?? Buffer.alloc(0);
    const out = first.subarray(0, n);
    if (first.length === n) this.parts.shift();
    else this.parts[0] = first.subarray(n);
    this.length -= n;
    return out;
  }
}

/** Encrypts plaintext chunk by chunk; the caller pushes what `write` and `end` return. */
export class StreamSealer {
  private readonly pending = new ChunkBuffer();
  private counter = 0;
  constructor(private readonly key: Buffer) {}

  write(data: Buffer): Buffer[] {
    this.pending.push(data);
    const out: Buffer[] = [];
    // Strictly more than one chunk: only then is the first one known not to be the last.
    while (this.pending.length > CHUNK_SIZE) {
      out.push(...sealChunk(this.key, this.counter++, false, this.pending.take(CHUNK_SIZE)));
    }
    return out;
  }

  /** The last chunk: what is left (empty only when the whole plaintext was empty). */
  end(): Buffer[] {
    return sealChunk(this.key, this.counter++, true, this.pending.take(this.pending.length));
  }
}

/** Decrypts STREAM chunks; throws a KcrError('integrity') on any damage or truncation. */
export class StreamOpener {
  private readonly pending = new ChunkBuffer();
  private counter = 0;
  constructor(private readonly key: Buffer) {}

  write(data: Buffer): Buffer[] {
    this.pending.push(data);
    const out: Buffer[] = [];
    while (this.pending.length > SEALED_CHUNK_SIZE) {
      out.push(openChunk(this.key, this.counter++, false, this.pending.take(SEALED_CHUNK_SIZE)));
    }
    return out;
  }

  end(): Buffer {
    const rest = this.pending.length;
    if (rest < TAG_SIZE) throw damaged(rest === 0 && this.counter === 0 ? 'no payload' : 'it was cut short');
    if (rest === TAG_SIZE && this.counter > 0) throw damaged('an empty last chunk after data');
    return openChunk(this.key, this.counter++, true, this.pending.take(rest));
  }
}
