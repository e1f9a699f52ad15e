/**
 * pagemap-*.img decoded straight into its entries. A large process has thousands to hundreds of
 * thousands of pagemap entries, and the generic decoder (schema.ts: a reader object, a tag array
 * and a field lookup per field) spent more time on them than a memory search spends reading a GiB.
 * This reads the five pagemap_entry fields in one loop. Anything it does not expect (another magic,
 * a group, a truncated entry, a malformed varint) goes to the generic decoder, which gives the
 * result or the error every other image gets; pagemap-decode.test.ts holds both to the same output.
 */
import { decodeImage, entriesAs, readMagic } from './image.js';
import { pagemapEntry, pagemapHead } from './messages/mm.js';
import type { DecodedOf } from './schema.js';

type HeadEntry = DecodedOf<typeof pagemapHead>;
type PageEntry = DecodedOf<typeof pagemapEntry>;

export interface DecodedPagemap {
  head: HeadEntry | undefined;
  entries: PageEntry[];
}

/** Thrown inside the fast path for input it leaves to the generic decoder. */
class NotPlain extends Error {}

const TWO_32 = 2 ** 32;

/** A little reader over one payload: varints as the protobuf wire format has them. */
class Payload {
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
    private end: number,
  ) {}

  more(): boolean {
    return this.pos < this.end;
  }

  /** High 32 bits of the last varint read. */
  private hi = 0;

  /** A varint's low 32 bits (its high 32 in `hi`), truncated to 64 bits as protobuf readers do. */
  private varint(): number {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new NotPlain();
      const b = this.buf[this.pos++]!;
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >> 4;
      } else if (shift < 64) hi |= bits << (shift - 32);
      if ((b & 0x80) === 0) {
        this.hi = hi >>> 0;
        return lo >>> 0;
      }
    }
    throw new NotPlain(); // more than 10 bytes: malformed
  }

  uint32(): number {
    return this.varint();
  }

  uint64(): bigint {
    const lo = this.varint();
    const hi = this.hi;
    // Addresses and counts fit a double exactly below 2^53, the common case by far.
    return hi < 0x200000 ? BigInt(hi * TWO_32 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
  }

  bool(): boolean {
    return (this.varint() | this.hi) !== 0;
  }

  /** Starts on the next payload, [pos, end), reusing this reader. */
  reset(pos: number, end: number): void {
    this.pos = pos;
    this.end = end;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 5) this.pos += 4;
    else if (wireType === 2) {
      const length = this.uint32();
      this.pos += length;
    } else throw new NotPlain(); // groups, or a bad wire type
    if (this.pos > this.end) throw new NotPlain();
  }
}

/** pagemap_entry fields by number, with the wire type each is read with (all varints). */
function readEntry(p: Payload): PageEntry {
  const entry: PageEntry = {};
  while (p.more()) {
    const tag = p.uint32();
    const no = tag >>> 3;
    const wireType = tag & 7;
    if (wireType !== 0 || no < 1 || no > 5) {
      p.skip(wireType);
      continue;
    }
    if (no === 1) entry.vaddr = p.uint64();
    else if (no === 2) entry.compat_nr_pages = p.uint32();
    else if (no === 3) entry.in_parent = p.bool();
    else if (no === 4) entry.flags = p.uint32();
    else entry.nr_pages = p.uint64();
  }
  return entry;
}

function readHead(p: Payload): HeadEntry {
  const head: HeadEntry = {};
  while (p.more()) {
    const tag = p.uint32();
    if (tag === 1 << 3) head.pages_id = p.uint32();
    else p.skip(tag & 7);
  }
  return head;
}

function decodePlain(buf: Uint8Array, name: string): DecodedPagemap {
  const { magic, start } = readMagic(buf, name);
  if (magic !== 'PAGEMAP') throw new NotPlain();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let head: HeadEntry | undefined;
  const entries: PageEntry[] = [];
  const payload = new Payload(buf, 0, 0);
  for (let pos = start; pos < buf.length;) {
    if (pos + 4 > buf.length) throw new NotPlain();
    const size = view.getUint32(pos, true);
    const end = pos + 4 + size;
    if (end > buf.length) throw new NotPlain();
    payload.reset(pos + 4, end);
    if (head === undefined) head = readHead(payload);
    else entries.push(readEntry(payload));
    if (payload.pos !== end) throw new NotPlain();
    pos = end;
  }
  return { head, entries };
}

/** The head (pages_id) and entries of a pagemap image, as decodeImage + entriesAs give them. */
export function decodePagemap(buf: Uint8Array, name: string): DecodedPagemap {
  try {
    return decodePlain(buf, name);
  } catch (err) {
    if (!(err instanceof NotPlain)) throw err;
  }
  const image = decodeImage(buf, name);
  const [first, ...rest] = image.entries;
  return {
    head: first ? entriesAs({ magic: image.magic, entries: [first] }, pagemapHead, name)[0] : undefined,
    entries: entriesAs({ magic: image.magic, entries: rest }, pagemapEntry, name),
  };
}
