/**
 * `hexdump -C`-style rows (address, 16 bytes, printable text) with repeated rows collapsed to
 * `*`. Rows holding bytes that were not in the dump (read as zeros) end in `(not dumped)`.
 */
import type { MissingRange } from '../../criu/memory.js';

const ROW = 16;

export function printable(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  return out;
}

export class HexDumper {
  private previous = '';
  private starred = false;
  private next: bigint | undefined;

  constructor(private readonly write: (text: string) => void) {}

  /** Dumps `data`, which holds the bytes at `address`; `missing` offsets are relative to `data`. */
  push(data: Buffer, address: bigint, missing: readonly MissingRange[] = []): void {
    const absent = new Uint8Array(data.length);
    for (const m of missing) absent.fill(1, m.offset, m.offset + m.length);
    let out = '';
    for (let offset = 0; offset < data.length; offset += ROW) {
      const row = data.subarray(offset, offset + ROW);
      const notDumped = absent.subarray(offset, offset + ROW).includes(1);
      const key = row.toString('hex') + (notDumped ? '!' : '');
      if (key === this.previous && row.length === ROW) {
        if (!this.starred) out += '*\n';
        this.starred = true;
        continue;
      }
      this.previous = key;
      this.starred = false;
      out += rowText(address + BigInt(offset), row, notDumped) + '\n';
    }
    this.next = address + BigInt(data.length);
    this.write(out);
  }

  /** Ends the dump with the address after the last byte, as hexdump does. */
  end(): void {
    if (this.next !== undefined) this.write(this.next.toString(16).padStart(12, '0') + '\n');
    this.previous = '';
    this.starred = false;
    this.next = undefined;
  }
}

function rowText(address: bigint, row: Buffer, notDumped: boolean): string {
  const hex: string[] = [];
  for (let i = 0; i < ROW; i++) hex.push(i < row.length ? row[i]!.toString(16).padStart(2, '0') : '  ');
  const left = hex.slice(0, 8).join(' ');
  const right = hex.slice(8).join(' ');
  const text = `|${printable(row)}|`.padEnd(ROW + 2);
  return `${address.toString(16).padStart(12, '0')}  ${left}  ${right}  ${text}${notDumped ? '  (not dumped)' : ''}`.trimEnd();
}

/** A whole buffer as hexdump text. */
export function hexdump(data: Buffer, address: bigint, missing: readonly MissingRange[] = []): string {
  let out = '';
  const dumper = new HexDumper((t) => (out += t));
  dumper.push(data, address, missing);
  dumper.end();
  return out;
}
