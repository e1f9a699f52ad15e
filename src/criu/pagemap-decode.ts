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
import { decodeMessage, type DecodedOf } from './schema.js';

type HeadEntry = DecodedOf<typeof pagemapHead>;
type PageEntry = DecodedOf<typeof pagemapEntry>;

export interface DecodedPagemap {
  head: HeadEntry | undefined;
  entries: PageEntry[];
}

/** Thrown inside the fast path for input it leaves to the generic decoder. */
class NotPlain extends Error {}

const TWO_53 = 2 ** 53;

/**
 * The entries from `pos` to the end of `buf`, in one loop with the varints read inline: a large
 * pagemap has hundreds of thousands of entries, and this runs once per command, before V8 has
 * compiled anything, where every method call of a reader object costs. All five pagemap_entry
 * fields are varints; a field of another wire type, a tag or value of more than 53 bits, or a
 * uint32 field over 32 bits goes to the generic decoder (NotPlain), which handles them exactly.
 */
function readEntries(buf: Uint8Array, pos: number, entries: PageEntry[]): void {
  const length = buf.length;
  while (pos < length) {
    if (pos + 4 > length) throw new NotPlain();
    const size = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16)) + buf[pos + 3]! * 0x1000000;
    let at = pos + 4;
    const end = at + size;
    if (end > length) throw new NotPlain();
    const entry: PageEntry = {};
    while (at < end) {
      const tag = buf[at++]!;
      if (tag & 0x80 || (tag & 7) !== 0) throw new NotPlain(); // a long tag, or not a varint
      let value = 0;
      let scale = 1;
      let byte: number;
      do {
        if (at >= end || scale >= TWO_53) throw new NotPlain();
        byte = buf[at++]!;
        value += (byte & 0x7f) * scale;
        scale *= 128;
      } while (byte & 0x80);
      if (value >= TWO_53) throw new NotPlain();
      const no = tag >>> 3;
      if (no === 1) entry.vaddr = BigInt(value);
      else if (no === 5) entry.nr_pages = BigInt(value);
      else if (no === 3) entry.in_parent = value !== 0;
      else if (no === 2 || no === 4) {
        if (value > 0xffffffff) throw new NotPlain();
        if (no === 2) entry.compat_nr_pages = value;
        else entry.flags = value;
      } // other field numbers: unknown fields, skipped
    }
    entries.push(entry);
    pos = end;
  }
}

function decodePlain(buf: Uint8Array, name: string): DecodedPagemap {
  const { magic, start } = readMagic(buf, name);
  if (magic !== 'PAGEMAP') throw new NotPlain();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const entries: PageEntry[] = [];
  if (start >= buf.length) return { head: undefined, entries };
  if (start + 4 > buf.length) throw new NotPlain();
  const end = start + 4 + view.getUint32(start, true);
  if (end > buf.length) throw new NotPlain();
  let head: HeadEntry;
  try {
    // One small message, for the generic decoder; if malformed, decodeImage names file and entry.
    head = decodeMessage(pagemapHead, buf.subarray(start + 4, end));
  } catch {
    throw new NotPlain();
  }
  readEntries(buf, end, entries);
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
