import { describe, expect, it } from 'vitest';
import { ProcessMemory, type ByteSource } from './memory.js';
import type { pagemapEntry } from './messages/mm.js';
import { buildPagemap, derivePageSize, PE_LAZY, PE_PARENT, PE_PRESENT, withPageSize } from './pagemap.js';
import type { DecodedOf } from './schema.js';

const PAGE = 4096;

/** A pages file whose every byte says which page it belongs to (page n is filled with n+1). */
function pagesFile(pages: number): ByteSource {
  const data = Buffer.alloc(pages * PAGE);
  for (let p = 0; p < pages; p++) data.fill(p + 1, p * PAGE, (p + 1) * PAGE);
  return { name: 'pages-1.img', size: data.length, read: async (o, l) => data.subarray(o, o + l) };
}

// 0x400000: 2 present pages; 0x402000: 1 page in the parent dump; 0x403000: 3 lazy+present pages;
// 0x500000: 1 present page, after a hole. Written the CRIU 4.2 way (field 5, field 2 zero).
const ENTRIES: DecodedOf<typeof pagemapEntry>[] = [
  { vaddr: 0x400000n, nr_pages: 2n, compat_nr_pages: 0, flags: PE_PRESENT },
  { vaddr: 0x402000n, nr_pages: 1n, compat_nr_pages: 0, flags: PE_PARENT },
  { vaddr: 0x403000n, nr_pages: 3n, compat_nr_pages: 0, flags: PE_LAZY | PE_PRESENT },
  { vaddr: 0x500000n, nr_pages: 1n, compat_nr_pages: 0, flags: PE_PRESENT },
];

function memory(entries = ENTRIES, pages: ByteSource | null = pagesFile(6)) {
  const map = buildPagemap({ pages_id: 1 }, entries, 'pagemap-1.img');
  return new ProcessMemory(1, withPageSize(map, PAGE), PAGE, pages ?? undefined);
}

describe('process memory reader', () => {
  it('maps addresses to the pages file, skipping runs that hold no data there', async () => {
    const mem = memory();
    expect((await mem.read(0x400000n, 1)).data[0]).toBe(1);
    expect((await mem.read(0x401fffn, 1)).data[0]).toBe(2);
    // The PE_PARENT page takes no room in pages-1.img, so the lazy run starts at page index 2.
    expect((await mem.read(0x403000n, 1)).data[0]).toBe(3);
    expect((await mem.read(0x500000n, 1)).data[0]).toBe(6);
  });

  it('reads across runs and reports absent bytes as zeros with the reason', async () => {
    const r = await memory().read(0x401ff0n, 0x2020);
    expect(r.data.subarray(0, 16)).toEqual(Buffer.alloc(16, 2));
    expect(r.data.subarray(16, 16 + PAGE)).toEqual(Buffer.alloc(PAGE, 0));
    expect(r.data.subarray(16 + PAGE, 32 + PAGE)).toEqual(Buffer.alloc(16, 3));
    expect(r.missing).toEqual([{ offset: 16, length: PAGE, reason: 'in-parent' }]);
    const hole = await memory().read(0x406000n, 8);
    expect(hole.missing).toEqual([{ offset: 0, length: 8, reason: 'not-dumped' }]);
  });

  it('reads pre-4.2 pagemaps that carry the page count in field 2 only', async () => {
    const old = ENTRIES.map(({ vaddr, nr_pages, flags }) => ({
      vaddr,
      compat_nr_pages: Number(nr_pages),
      flags,
    }));
    expect((await memory(old).read(0x500000n, 1)).data[0]).toBe(6);
  });

  it('finds the run of an address by binary search', () => {
    const mem = memory();
    expect(mem.runIndexAt(0x3fffffn)).toBe(-1);
    expect(mem.runIndexAt(0x402800n)).toBe(1);
    expect(mem.runIndexAt(0x4fffffn)).toBe(-1);
    expect(mem.runIndexAt(0x500fffn)).toBe(3);
  });

  it('refuses to read a pages member shorter than its pagemap says, and keeps the sizes', async () => {
    const mem = memory(ENTRIES, pagesFile(5));
    const truncated = /pages-1\.img: truncated: the pagemap of pid 1 needs 24576 bytes, the member has 20480/;
    expect(mem.pagesProblem?.message).toMatch(truncated);
    await expect(mem.read(0x400000n, 16)).rejects.toThrow(truncated);
    expect(mem.dumpedBytes).toBe(6 * 4096);
  });

  it('calls a pages member that is not there missing, not truncated', async () => {
    const mem = memory(ENTRIES, null);
    expect(mem.pagesProblem?.message).toMatch(
      /^pages-1\.img: missing: the pagemap of pid 1 names it for 24576 bytes/,
    );
    await expect(mem.read(0x400000n, 16)).rejects.toThrow(/missing/);
  });

  it('derives the page size of the dumping host from the pages file size', () => {
    expect(derivePageSize(6 * 65536, 6)).toBe(65536);
    expect(derivePageSize(6 * 4096, 6)).toBe(4096);
    expect(derivePageSize(6 * 4096 + 1, 6)).toBe(4096);
  });
});
