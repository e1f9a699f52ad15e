/**
 * The pagemap fast path gives what the generic decoder gives: on every pagemap of every fixture,
 * on entries with unknown fields, large addresses and both page-count fields, and on damaged
 * images, where it must fail with the generic decoder's error.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../archive/archive.js';
import { frame as framed } from '../testing/criu-images.js';
import { fixture, FIXTURES } from '../testing/fixtures.js';
import { decodeImage, entriesAs } from './image.js';
import { MAGICS } from './magic.js';
import { pagemapEntry, pagemapHead } from './messages/mm.js';
import { decodePagemap } from './pagemap-decode.js';
import { encodeMessage } from './schema.js';

/** The generic decoder's reading of a pagemap image. */
function generic(buf: Uint8Array, name: string) {
  const image = decodeImage(buf, name);
  const [first, ...rest] = image.entries;
  return {
    head: first ? entriesAs({ magic: image.magic, entries: [first] }, pagemapHead, name)[0] : undefined,
    entries: entriesAs({ magic: image.magic, entries: rest }, pagemapEntry, name),
  };
}

const frame = (payloads: Uint8Array[], magic: number = MAGICS.PAGEMAP) => framed(payloads, magic);

const varint = (n: bigint): number[] => {
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) b |= 0x80;
    out.push(b);
  } while (n > 0n);
  return out;
};

const archives = ['podman', 'crio', 'crio-real', 'containerd-real'].flatMap((dir) =>
  readdirSync(`${FIXTURES}/${dir}`)
    .filter((f) => f.endsWith('.tar'))
    .map((f) => `${dir}/${f}`),
);

describe('decodePagemap', () => {
  it.each(archives)('reads every pagemap of %s as the generic decoder does', async (name) => {
    const archive = await CheckpointArchive.open(fixture(name));
    try {
      const members = archive.members().filter((m) => /\/pagemap-.*\.img$/.test(m.name));
      for (const m of members) {
        const bytes = await archive.read(m.name);
        expect(decodePagemap(bytes, m.name)).toEqual(generic(bytes, m.name));
      }
      expect(members.length).toBeGreaterThan(0);
    } finally {
      await archive.close();
    }
  });

  it('reads unknown fields, addresses past 2^53, old and new page counts, flags and in_parent', () => {
    const head = encodeMessage(pagemapHead, { pages_id: 7 });
    const entries = [
      encodeMessage(pagemapEntry, { vaddr: 0x7ffe00000000n, compat_nr_pages: 3, in_parent: true }),
      encodeMessage(pagemapEntry, { vaddr: 2n ** 60n + 4096n, flags: 4, nr_pages: 2n ** 40n }),
      encodeMessage(pagemapEntry, { vaddr: 2n ** 64n - 4096n, compat_nr_pages: 0, flags: 6, nr_pages: 1n }),
      // Unknown fields of every wire type (varint, 64-bit, length-delimited, 32-bit), then a known one.
      Uint8Array.from([
        ...[0x30, ...varint(99n)],
        ...[0x39, 1, 2, 3, 4, 5, 6, 7, 8],
        ...[0x42, 3, 9, 9, 9],
        ...[0x4d, 1, 2, 3, 4],
        ...[0x08, ...varint(0x1000n)],
        // A 10-byte varint for flags (a negative int32 written as uint32 by some writers): low 32 bits.
        ...[0x20, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      ]),
    ];
    const buf = frame([head, ...entries]);
    const fast = decodePagemap(buf, 'pagemap-1.img');
    expect(fast).toEqual(generic(buf, 'pagemap-1.img'));
    expect(fast.head).toEqual({ pages_id: 7 });
    expect(fast.entries[1]!.vaddr).toBe(2n ** 60n + 4096n);
    expect(fast.entries[2]!.vaddr).toBe(2n ** 64n - 4096n);
    expect(fast.entries[3]!.vaddr).toBe(0x1000n);
    expect(fast.entries[3]!.flags).toBe(0xfffffffc);
  });

  it('fails on a damaged pagemap exactly as the generic decoder does', () => {
    const good = frame([
      encodeMessage(pagemapHead, { pages_id: 1 }),
      encodeMessage(pagemapEntry, { vaddr: 0x400000n, flags: 4, nr_pages: 2n }),
    ]);
    const damaged = [
      good.subarray(0, good.length - 2), // cut
      Buffer.concat([good, Buffer.from([5, 0, 0])]), // a size field cut short
      frame([encodeMessage(pagemapHead, { pages_id: 1 }), Uint8Array.from([0x08, 0x80])]), // varint cut
      frame([encodeMessage(pagemapHead, { pages_id: 1 })], MAGICS.MM), // not a pagemap
    ];
    for (const buf of damaged) {
      let expected: unknown;
      try {
        generic(buf, 'pagemap-1.img');
      } catch (err) {
        expected = err;
      }
      expect(expected).toBeInstanceOf(Error);
      expect(() => decodePagemap(buf, 'pagemap-1.img')).toThrow((expected as Error).message);
    }
  });
});
