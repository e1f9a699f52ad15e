/**
 * `hexdump -C`-style rows (address, 16 bytes, printable text) with repeated rows collapsed to
 * `*`, as a stream: memory is read in 1 MiB pieces and each piece's text is handed on before the
 * next is read, so dumping GiBs of memory keeps a flat footprint. Rows holding bytes that were
 * not in the dump (read as zeros) end in `(not dumped)`.
 *
 * Full rows are formatted straight into bytes (a hexdump of 1 GiB is 67 million rows; building
 * each one from strings would dominate the run); the rare short last row goes the simple way.
 */
import { Readable } from 'node:stream';
import type { MissingRange } from '../../criu/memory.js';
import { KcrError } from '../../errors.js';
import type { MemoryContext, ProcessMemoryView } from './context.js';
import { readRange, type AddressRange } from './ranges.js';

const ROW = 16;
/** Memory is read and formatted in pieces this big. */
const PIECE = 1024 * 1024;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const NOT_DUMPED = Buffer.from('  (not dumped)', 'latin1');
/** The longest full row: 16 address digits, 2 + 23 + 2 + 23 + 2 spaced hex, `|16 chars|`, the mark. */
const MAX_ROW_BYTES = 16 + 2 + 23 + 2 + 23 + 2 + 18 + NOT_DUMPED.length + 1;

/** The bytes shown for `b` in the text column. */
export function printable(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
  return out;
}

function isPrintable(b: number): boolean {
  return b >= 0x20 && b < 0x7f;
}

/** Formats rows as hexdump does; feed it consecutive pieces with push(), then end(). */
export class HexDumper {
  private readonly previous = Buffer.alloc(ROW);
  private hasPrevious = false;
  private previousNotDumped = false;
  private starred = false;
  private next: bigint | undefined;

  /** The text of `data`, which holds the bytes at `address`; `missing` offsets are relative to `data`. */
  push(data: Buffer, address: bigint, missing: readonly MissingRange[] = []): Buffer {
    const absent = new Uint8Array(data.length);
    for (const m of missing) absent.fill(1, m.offset, m.offset + m.length);
    const out = Buffer.allocUnsafe(Math.ceil(data.length / ROW) * MAX_ROW_BYTES);
    let at = 0;
    // The address in two 32-bit halves: bigint arithmetic per row would cost more than the row.
    let hi = Number(address >> 32n);
    let lo = Number(address & 0xffffffffn);
    for (let offset = 0; offset < data.length; offset += ROW) {
      const length = Math.min(ROW, data.length - offset);
      const notDumped = absent.subarray(offset, offset + length).includes(1);
      if (length === ROW && this.repeats(data, offset, notDumped)) {
        if (!this.starred) {
          out[at++] = 0x2a; // '*'
          out[at++] = 0x0a;
        }
        this.starred = true;
      } else {
        data.copy(this.previous, 0, offset, offset + length);
        this.hasPrevious = length === ROW;
        this.previousNotDumped = notDumped;
        this.starred = false;
        if (length === ROW) at = writeRow(out, at, hi, lo, data, offset, notDumped);
        else
          at += out.write(slowRow(address + BigInt(offset), data, offset, length, notDumped), at, 'latin1');
      }
      lo += ROW;
      if (lo > 0xffffffff) {
        lo -= 0x100000000;
        hi += 1;
      }
    }
    this.next = address + BigInt(data.length);
    return out.subarray(0, at);
  }

  /** The address after the last byte, as hexdump ends; the dumper is then ready for a new range. */
  end(): Buffer {
    const last = this.next;
    this.hasPrevious = false;
    this.starred = false;
    this.next = undefined;
    return last === undefined ? Buffer.alloc(0) : Buffer.from(last.toString(16).padStart(12, '0') + '\n');
  }

  private repeats(data: Buffer, offset: number, notDumped: boolean): boolean {
    if (!this.hasPrevious || notDumped !== this.previousNotDumped) return false;
    for (let i = 0; i < ROW; i++) if (data[offset + i] !== this.previous[i]) return false;
    return true;
  }
}

/** Writes one full row at `at`; returns the new end. */
function writeRow(
  out: Buffer,
  at: number,
  hi: number,
  lo: number,
  data: Buffer,
  offset: number,
  notDumped: boolean,
): number {
  // At least 12 address digits, more when the address needs them (the vsyscall page).
  let digits = 12;
  while (digits < 16 && hi >>> ((digits - 8) * 4) !== 0) digits++;
  for (let d = digits - 1; d >= 0; d--) {
    const nibble = d >= 8 ? (hi >>> ((d - 8) * 4)) & 15 : (lo >>> (d * 4)) & 15;
    out[at++] = HEX_DIGITS[nibble]!;
  }
  out[at++] = 0x20;
  for (let i = 0; i < ROW; i++) {
    const b = data[offset + i]!;
    out[at++] = 0x20;
    if (i === 8) out[at++] = 0x20;
    out[at++] = HEX_DIGITS[b >> 4]!;
    out[at++] = HEX_DIGITS[b & 15]!;
  }
  out[at++] = 0x20;
  out[at++] = 0x20;
  out[at++] = 0x7c; // '|'
  for (let i = 0; i < ROW; i++) {
    const b = data[offset + i]!;
    out[at++] = isPrintable(b) ? b : 0x2e;
  }
  out[at++] = 0x7c;
  if (notDumped) at += NOT_DUMPED.copy(out, at);
  out[at++] = 0x0a;
  return at;
}

/** A short (last) row: hex columns padded, text column padded, trailing blanks trimmed. */
function slowRow(address: bigint, data: Buffer, offset: number, length: number, notDumped: boolean): string {
  const row = data.subarray(offset, offset + length);
  const hex: string[] = [];
  for (let i = 0; i < ROW; i++) hex.push(i < row.length ? row[i]!.toString(16).padStart(2, '0') : '  ');
  const text = `|${printable(row)}|`.padEnd(ROW + 2);
  const line = `${address.toString(16).padStart(12, '0')}  ${hex.slice(0, 8).join(' ')}  ${hex.slice(8).join(' ')}  ${text}`;
  return `${(notDumped ? line + NOT_DUMPED.toString('latin1') : line).trimEnd()}\n`;
}

async function* rangeRows(
  context: MemoryContext,
  view: ProcessMemoryView,
  range: AddressRange,
  dumper: HexDumper,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  const end = range.address + BigInt(range.length);
  for (let at = range.address; at < end; at += BigInt(PIECE)) {
    if (signal?.aborted) throw new KcrError('cancelled', `hexdump of pid ${view.pid} cancelled`);
    const length = Number(end - at < BigInt(PIECE) ? end - at : BigInt(PIECE));
    const { data, missing } = await readRange(context, view, { address: at, length });
    yield dumper.push(data, at, missing);
  }
  yield dumper.end();
}

async function* processRows(
  context: MemoryContext,
  view: ProcessMemoryView,
  range: AddressRange | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  const dumper = new HexDumper();
  if (range) {
    yield* rangeRows(context, view, range, dumper, signal);
    return;
  }
  for (const m of view.mappings) {
    if (m.dumpedPages === 0) continue;
    yield Buffer.from(
      `# ${m.start.toString(16)}-${m.end.toString(16)} ${m.perms} ${m.offset.toString(16).padStart(8, '0')} ${m.name || '(anonymous)'}  ${m.dumpedPages}/${m.totalPages} pages dumped\n`,
    );
    yield* rangeRows(context, view, { address: m.start, length: Number(m.end - m.start) }, dumper, signal);
  }
}

/**
 * The hexdump of one range, or of every mapping with dumped pages (each under a `# start-end
 * perms offset name  dumped/total pages dumped` header), as a byte stream that reads memory only
 * as fast as it is consumed.
 */
export function hexdumpStream(
  context: MemoryContext,
  view: ProcessMemoryView,
  options: { range?: AddressRange; signal?: AbortSignal } = {},
): Readable {
  return Readable.from(processRows(context, view, options.range, options.signal), { objectMode: false });
}
