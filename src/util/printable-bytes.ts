/**
 * Bytes from an archive (queued pipe data, socket queues) as a printable string: printable ASCII
 * stays, `\\` `\n` `\r` `\t` are escaped as in C, and every other byte is `\xNN`. The result holds
 * no control character at all, so it is safe in JSON, YAML and on a terminal, and it is exact:
 * two different byte strings never give the same text.
 */
export function printableBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return out;
}
