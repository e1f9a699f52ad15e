/**
 * The hexdump formatter's fast path (rows written as bytes) against the plain definition of a
 * row, where it is easy to get wrong: addresses of more than 12 digits, a 32-bit carry inside
 * a piece, repeated rows across pieces, rows with bytes not in the dump, and a short last row.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HexDumper, printable } from './hexdump.js';

/** One row as `hexdump -C` lays it out, with kcr's wider address and `(not dumped)` mark. */
function reference(address: bigint, row: Buffer, notDumped = false): string {
  const hex = Array.from({ length: 16 }, (_, i) =>
    i < row.length ? row[i]!.toString(16).padStart(2, '0') : '  ',
  );
  const text = `|${printable(row)}|`.padEnd(18);
  const line = `${address.toString(16).padStart(12, '0')}  ${hex.slice(0, 8).join(' ')}  ${hex.slice(8).join(' ')}  ${text}`;
  return (notDumped ? `${line}  (not dumped)` : line).trimEnd();
}

describe('HexDumper', () => {
  it.each([
    ['a user-space address', 0x7ffe2a8ec000n],
    ['a 32-bit carry inside the piece', 0xffffffe0n],
    ['the vsyscall page (16 digits)', 0xffffffffff600000n],
    ['a 13-digit address', 0x1000000000000n],
  ])('writes rows as the reference does at %s', (_name, address) => {
    const data = randomBytes(64 + 7);
    const dumper = new HexDumper();
    const text = Buffer.concat([dumper.push(data, address), dumper.end()]).toString('latin1');
    const expected = [];
    for (let o = 0; o < data.length; o += 16)
      expected.push(reference(address + BigInt(o), data.subarray(o, o + 16)));
    expected.push((address + BigInt(data.length)).toString(16).padStart(12, '0'));
    expect(text).toBe(expected.join('\n') + '\n');
  });

  it('collapses repeats across pieces and keeps rows not in the dump apart from dumped zeros', () => {
    const zeros = Buffer.alloc(64);
    const dumper = new HexDumper();
    const text = Buffer.concat([
      dumper.push(zeros, 0x1000n),
      dumper.push(zeros, 0x1040n, [{ offset: 16, length: 48, reason: 'not-dumped' }]),
      dumper.end(),
    ]).toString('latin1');
    expect(text.split('\n')).toEqual([
      reference(0x1000n, zeros.subarray(0, 16)),
      '*',
      reference(0x1050n, zeros.subarray(0, 16), true),
      '*',
      '000000001080',
      '',
    ]);
  });
});
