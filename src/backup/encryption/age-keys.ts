/** What every age recipient and identity kind does: wrap the file key, and try to unwrap it. */
import { createDecipheriv } from 'node:crypto';
import { headerError, type Stanza } from './age-header.js';

export const FILE_KEY_SIZE = 16;

export interface AgeRecipient {
  /** The recipient as the user gave it; it goes into the backup record. */
  readonly text: string;
  wrap(fileKey: Buffer): Stanza[];
}

export interface AgeIdentity {
  /**
   * The file key if this stanza is for this identity, undefined if it is for someone else; throws
   * when a stanza of this identity's type is malformed (age refuses such a header outright).
   */
  unwrap(stanza: Stanza): Buffer | undefined;
}

/** Opens a ChaCha20-Poly1305 wrapped file key; undefined when it does not authenticate (not ours). */
export function openWrappedKey(wrapKey: Buffer, body: Buffer): Buffer | undefined {
  if (body.length !== FILE_KEY_SIZE + 16) throw headerError('wrapped file key is not 32 bytes');
  const decipher = createDecipheriv('chacha20-poly1305', wrapKey, Buffer.alloc(12), { authTagLength: 16 });
  decipher.setAuthTag(body.subarray(FILE_KEY_SIZE));
  const fileKey = decipher.update(body.subarray(0, FILE_KEY_SIZE));
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return fileKey;
}
