/**
 * Writes CRIU images the way CRIU does (magic words, then u32-length-prefixed protobuf entries),
 * with the schema encoder, to craft pagemaps and mm images for tests and benchmarks.
 */
import { decodeEntries, decodeImage, entriesAs } from '../criu/image.js';
import { IMG_COMMON, MAGICS } from '../criu/magic.js';
import { mmEntry, pagemapEntry, pagemapHead } from '../criu/messages/mm.js';
import {
  encodeMessage,
  type Decoded,
  type DecodedOf,
  type FieldMap,
  type MessageSpec,
} from '../criu/schema.js';

export type MmEntry = DecodedOf<typeof mmEntry>;
export type VmaEntry = NonNullable<MmEntry['vmas']>[number];
export type PagemapEntry = DecodedOf<typeof pagemapEntry>;

/** Entries framed as an image file: the magic words, then each payload with its u32 length. */
export function frame(payloads: Uint8Array[], magic: number): Buffer {
  const parts: Buffer[] = [Buffer.alloc(8)];
  parts[0]!.writeUInt32LE(IMG_COMMON, 0);
  parts[0]!.writeUInt32LE(magic, 4);
  for (const p of payloads) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(p.length, 0);
    parts.push(size, Buffer.from(p));
  }
  return Buffer.concat(parts);
}

export function encodeEntries<F extends FieldMap>(
  spec: MessageSpec<F>,
  magic: number,
  values: Decoded<F>[],
): Buffer {
  return frame(
    values.map((v) => encodeMessage(spec, v)),
    magic,
  );
}

/** A pagemap image as CRIU 4.2 writes it: count in field 5, field 2 left at 0. */
export function encodePagemap(
  pagesId: number,
  runs: Array<{ vaddr: bigint; pages: number; flags?: number }>,
): Buffer {
  const head = encodeMessage(pagemapHead, { pages_id: pagesId });
  const entries = runs.map((r) =>
    encodeMessage(pagemapEntry, {
      vaddr: r.vaddr,
      compat_nr_pages: 0,
      flags: r.flags ?? 4,
      nr_pages: BigInt(r.pages),
    }),
  );
  return frame([head, ...entries], MAGICS.PAGEMAP);
}

export function decodePagemap(
  buf: Buffer,
  name = 'pagemap.img',
): { pagesId: number; entries: PagemapEntry[] } {
  const image = decodeImage(buf, name);
  const [first, ...rest] = image.entries;
  const [head] = entriesAs({ magic: image.magic, entries: first ? [first] : [] }, pagemapHead, name);
  return {
    pagesId: head?.pages_id ?? 0,
    entries: entriesAs({ magic: image.magic, entries: rest }, pagemapEntry, name),
  };
}

export function encodeMm(mm: MmEntry): Buffer {
  return encodeEntries(mmEntry, MAGICS.MM, [mm]);
}

export function decodeMm(buf: Buffer, name = 'mm.img'): MmEntry {
  const [mm] = decodeEntries(buf, name, mmEntry);
  if (!mm) throw new Error(`${name}: no mm entry`);
  return mm;
}

/** Pages in an entry, from field 5 (CRIU >= 4.2) or field 2. */
export const entryPages = (e: PagemapEntry): number =>
  e.nr_pages !== undefined ? Number(e.nr_pages) : (e.compat_nr_pages ?? 0);
