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

/** One ChaCha20-Poly1305 chunk, as the file-key wrap of X25519 stanzas also uses it. */
export function sealChunk(key: Buffer, counter: number, last: boolean, plaintext: Buffer): Buffer[] {
  const nonce = Buffer.alloc(12);
  setNonce(nonce, counter, last);
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, AEAD);
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

const AEAD = { authTagLength: TAG_SIZE } as const;

function setNonce(nonce: Buffer, counter: number, last: boolean): void {
  // 2^53 chunks of 64 KiB is far beyond any archive, so a JavaScript number is an exact counter.
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
}

export function damaged(detail: string, cause?: unknown): KcrError {
  return new KcrError('integrity', `encrypted data is damaged: ${detail}`, {
    hint: 'the ciphertext was altered or cut short; use another copy of the backup',
    cause,
  });
}

const EMPTY = Buffer.alloc(0);

/**
 * Cuts a stream of buffers into units of `unit` bytes without copying what lies inside one input:
 * a unit is a view into the input. What an input leaves over (at most one unit) is copied into a
 * buffer owned here, which the next input completes: so no input is referenced once `take`
 * returns, and a caller may reuse its buffers. The last whole unit is always held back until more
 * data follows, because the final chunk of a STREAM is sealed differently and may be a whole one.
 */
class Units {
  private readonly carry: Buffer;
  private carried = 0;

  constructor(private readonly unit: number) {
    this.carry = Buffer.allocUnsafe(unit);
  }

  get length(): number {
    return this.carried;
  }

  /** How many units `take(data)` hands out. */
  count(data: Buffer): number {
    const total = this.carried + data.length;
    // Strictly more than the units handed out must stay: at least one byte, at most one unit.
    return total > this.unit ? Math.floor((total - 1) / this.unit) : 0;
  }

  /** The units `data` completes and that are known not to be the last, to `each` in order. */
  private take(data: Buffer, each: (unit: Buffer, index: number) => void): void {
    const n = this.count(data);
    let offset = 0;
    for (let i = 0; i < n; i++) {
      if (i === 0 && this.carried > 0) {
        offset = this.unit - this.carried;
        data.copy(this.carry, this.carried, 0, offset);
        each(this.carry, 0);
      } else {
        each(data.subarray(offset, offset + this.unit), i);
        offset += this.unit;
      }
    }
    if (n > 0) this.carried = 0;
    this.carried += data.copy(this.carry, this.carried, offset);
  }

  /**
   * The units `data` completes, each turned by `each` into `outSize` bytes at its place in one
   * buffer (empty when there are none): one piece out per input.
   */
  map(data: Buffer, outSize: number, each: (unit: Buffer, out: Buffer, at: number) => void): Buffer {
    const n = this.count(data);
    const out = n === 0 ? EMPTY : Buffer.allocUnsafe(n * outSize);
    this.take(data, (unit, i) => each(unit, out, i * outSize));
    return out;
  }

  /** What is held (less than a unit, or one whole unit); the stream is over. */
  rest(): Buffer {
    const rest = this.carry.subarray(0, this.carried);
    this.carried = 0;
    return rest;
  }
}

/**
 * Encrypts plaintext chunk by chunk. Each `write` returns the sealed chunks it completed as one
 * buffer, so the stream pushes one piece per input block, not two per 64 KiB chunk: every push
 * becomes a write downstream, and a GiB in 32,768 small file writes spent more time in the writes
 * than in the cipher (measured: about a third of the encryption's time). The cipher's output is
 * copied once, into that buffer; of the plaintext only each input's tail (at most one chunk, kept
 * for the next input) is copied, and the nonce buffer is reused.
 */
export class StreamSealer {
  private readonly units = new Units(CHUNK_SIZE);
  private readonly nonce = Buffer.alloc(12);
  private counter = 0;
  constructor(private readonly key: Buffer) {}

  /** Seals what `data` completes; `data` is not referenced once this returns. */
  write(data: Buffer): Buffer {
    return this.units.map(data, SEALED_CHUNK_SIZE, (plaintext, out, at) =>
      this.seal(plaintext, false, out, at),
    );
  }

  /** The last chunk: what is left (empty only when the whole plaintext was empty). */
  end(): Buffer {
    const rest = this.units.rest();
    const out = Buffer.allocUnsafe(rest.length + TAG_SIZE);
    this.seal(rest, true, out, 0);
    return out;
  }

  private seal(plaintext: Buffer, last: boolean, out: Buffer, at: number): number {
    setNonce(this.nonce, this.counter++, last);
    const cipher = createCipheriv('chacha20-poly1305', this.key, this.nonce, AEAD);
    at += cipher.update(plaintext).copy(out, at);
    cipher.final();
    return at + cipher.getAuthTag().copy(out, at);
  }
}

/**
 * Decrypts STREAM chunks, as StreamSealer encrypts them: one buffer of plaintext per input block,
 * returned only once every chunk in it authenticated. Throws a KcrError('integrity') on any damage
 * or truncation.
 */
export class StreamOpener {
  private readonly units = new Units(SEALED_CHUNK_SIZE);
  private readonly nonce = Buffer.alloc(12);
  private counter = 0;
  constructor(private readonly key: Buffer) {}

  write(data: Buffer): Buffer {
    return this.units.map(data, CHUNK_SIZE, (sealed, out, at) => this.open(sealed, false, out, at));
  }

  end(): Buffer {
    const rest = this.units.rest();
    if (rest.length < TAG_SIZE)
      throw damaged(rest.length === 0 && this.counter === 0 ? 'no payload' : 'it was cut short');
    if (rest.length === TAG_SIZE && this.counter > 0) throw damaged('an empty last chunk after data');
    const out = Buffer.allocUnsafe(rest.length - TAG_SIZE);
    this.open(rest, true, out, 0);
    return out;
  }

  private open(sealed: Buffer, last: boolean, out: Buffer, at: number): void {
    const counter = this.counter++;
    setNonce(this.nonce, counter, last);
    const decipher = createDecipheriv('chacha20-poly1305', this.key, this.nonce, AEAD);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
    decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE)).copy(out, at);
    try {
      decipher.final();
    } catch (err) {
      throw damaged(`chunk ${counter} does not authenticate`, err);
    }
  }
}
