/**
 * age's ASCII armor (`age -a`): the binary file as strict base64 in 64-column lines between
 * `-----BEGIN AGE ENCRYPTED FILE-----` and `-----END AGE ENCRYPTED FILE-----`. kcr writes binary
 * files; it reads armored ones so that whatever `age` wrote opens. Decoded line by line, streaming.
 */
import { headerError } from './age-header.js';

export const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';
const LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Is this the start of an armored file (as far as `data` tells)? */
export function looksArmored(data: Buffer): boolean {
  const head = data.toString('latin1', 0, ARMOR_BEGIN.length);
  return head.length > 0 && ARMOR_BEGIN.startsWith(head) && head.startsWith('-');
}

export class ArmorDecoder {
  private rest = '';
  private state: 'begin' | 'body' | 'end' = 'begin';
  private lastShort = false;

  write(data: Buffer): Buffer {
    this.rest += data.toString('latin1');
    const out: Buffer[] = [];
    let newline: number;
    while ((newline = this.rest.indexOf('\n')) >= 0) {
      const line = this.rest.slice(0, newline).replace(/\r$/, '');
      this.rest = this.rest.slice(newline + 1);
      out.push(this.line(line));
    }
    if (this.rest.length > 1024) throw headerError('armored line too long');
    return Buffer.concat(out);
  }

  end(): Buffer {
    const out = this.rest.trim() === '' ? Buffer.alloc(0) : this.line(this.rest.trim());
    if (this.state !== 'end') throw headerError(`armored file without "${ARMOR_END}"`);
    return out;
  }

  private line(line: string): Buffer {
    if (this.state === 'begin') {
      if (line.trim() !== ARMOR_BEGIN) throw headerError('malformed armor header');
      this.state = 'body';
      return Buffer.alloc(0);
    }
    if (this.state === 'end') {
      if (line.trim() !== '') throw headerError('data after the armor end line');
      return Buffer.alloc(0);
    }
    if (line === ARMOR_END) {
      this.state = 'end';
      return Buffer.alloc(0);
    }
    if (this.lastShort || line.length > 64 || !LINE.test(line) || line.length % 4 !== 0) {
      throw headerError('malformed armored line');
    }
    this.lastShort = line.length < 64;
    return Buffer.from(line, 'base64');
  }
}
