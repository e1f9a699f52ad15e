/**
 * The age v1 header (https://age-encryption.org/v1): the version line, one stanza per recipient,
 * and the MAC line. Written by hand because the one npm implementation (`age-encryption`) has no
 * ssh-ed25519/ssh-rsa recipients and encrypts in JavaScript (see age.ts); the grammar is small and
 * strict, and parsing it strictly is what keeps kcr and the `age` CLI in agreement.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { KcrError } from '../../errors.js';

export const AGE_VERSION_LINE = 'age-encryption.org/v1';
/** The header is small (a few hundred bytes per recipient); anything larger is not an age file. */
export const MAX_HEADER_BYTES = 1024 * 1024;

/** One recipient's wrapped file key: `-> TYPE ARG...` and a base64 body. */
export interface Stanza {
  type: string;
  args: string[];
  body: Buffer;
}

export interface ParsedHeader {
  stanzas: Stanza[];
  /** The header bytes the MAC covers: from the version line through `---`. */
  macInput: Buffer;
  mac: Buffer;
  /** Where the payload (nonce, then STREAM chunks) starts in the input. */
  payloadOffset: number;
}

const ARG = /^[\x21-\x7e]+$/;
const B64 = /^[A-Za-z0-9+/]*$/;

/** age's base64: standard alphabet, no padding, canonical (re-encodes to the same text). */
export function decodeBase64(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (!B64.test(text) || encodeBase64(bytes) !== text) throw headerError(`${what} is not valid base64`);
  return bytes;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

export function headerError(detail: string): KcrError {
  return new KcrError('invalid-input', `not a valid age file: ${detail}`, {
    hint: 'the data is damaged, or was not written by kcr or age',
  });
}

export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/** HMAC-SHA256 over the header, keyed from the file key (age spec: "header MAC"). */
export function headerMac(fileKey: Uint8Array, macInput: Buffer): Buffer {
  const key = hkdf(fileKey, Buffer.alloc(0), 'header');
  return createHmac('sha256', key).update(macInput).digest();
}

/** The header text without the MAC: version line, stanzas, and the `---` that ends it. */
export function formatHeaderMacInput(stanzas: readonly Stanza[]): Buffer {
  const lines = [AGE_VERSION_LINE];
  for (const stanza of stanzas) {
    lines.push(['->', stanza.type, ...stanza.args].join(' '));
    const body = encodeBase64(stanza.body);
    // Body lines are 64 columns; the last is always shorter, so an empty line ends a body of 48n bytes.
    for (let i = 0; i <= body.length; i += 64) lines.push(body.slice(i, i + 64));
  }
  lines.push('---');
  return Buffer.from(lines.join('\n'), 'latin1');
}

export function formatHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): Buffer {
  const macInput = formatHeaderMacInput(stanzas);
  const mac = headerMac(fileKey, macInput);
  return Buffer.concat([macInput, Buffer.from(` ${encodeBase64(mac)}\n`, 'latin1')]);
}

/** Checks the MAC once a stanza gave up the file key: a header altered after the fact fails here. */
export function verifyHeaderMac(header: ParsedHeader, fileKey: Uint8Array): void {
  const expected = headerMac(fileKey, header.macInput);
  if (expected.length !== header.mac.length || !timingSafeEqual(expected, header.mac)) {
    throw new KcrError('integrity', 'age header MAC does not match: the header was altered', {
      hint: 'the encrypted data is damaged or was tampered with; use another copy',
    });
  }
}

/**
 * Parses the header at the start of `data`. Returns undefined while `data` does not yet hold the
 * whole header (the caller reads more), and throws as soon as it cannot be an age header.
 */
export function parseHeader(data: Buffer): ParsedHeader | undefined {
  let pos = 0;
  /** The next line without its \n, or undefined if it is not complete yet. */
  const nextLine = (): string | undefined => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) {
      if (data.length - pos > MAX_HEADER_BYTES) throw headerError('header line too long');
      return undefined;
    }
    const line = data.toString('latin1', pos, end);
    pos = end + 1;
    return line;
  };

  const version = nextLine();
  if (version === undefined) {
    if (!AGE_VERSION_LINE.startsWith(data.toString('latin1', 0, Math.min(data.length, 21)))) {
      throw headerError('it does not start with "age-encryption.org/v1"');
    }
    return undefined;
  }
  if (version !== AGE_VERSION_LINE) throw headerError('it does not start with "age-encryption.org/v1"');

  const stanzas: Stanza[] = [];
  for (;;) {
    const lineStart = pos;
    const line = nextLine();
    if (line === undefined) return undefined;
    if (line.startsWith('---')) {
      const match = /^--- ([A-Za-z0-9+/]{43})$/.exec(line);
      if (!match) throw headerError('malformed MAC line');
      if (stanzas.length === 0) throw headerError('no recipient stanzas');
      return {
        stanzas,
        macInput: data.subarray(0, lineStart + 3),
        mac: decodeBase64(match[1]!, 'header MAC'),
        payloadOffset: pos,
      };
    }
    const parts = line.split(' ');
    if (parts[0] !== '->' || parts.length < 2 || !parts.slice(1).every((p) => ARG.test(p))) {
      throw headerError(`malformed stanza line "${line.slice(0, 80)}"`);
    }
    const bodyLines: string[] = [];
    for (;;) {
      const bodyLine = nextLine();
      if (bodyLine === undefined) return undefined;
      if (bodyLine.length > 64) throw headerError('stanza body line longer than 64 columns');
      bodyLines.push(bodyLine);
      if (bodyLine.length < 64) break;
    }
    stanzas.push({
      type: parts[1]!,
      args: parts.slice(2),
      body: decodeBase64(bodyLines.join(''), 'stanza body'),
    });
    if (pos > MAX_HEADER_BYTES) throw headerError('header larger than 1 MiB');
  }
}
