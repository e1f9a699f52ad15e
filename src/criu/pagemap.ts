/**
 * A process's pagemap as sorted runs of pages, each with its offset in `pages-<id>.img`.
 * Only PE_PRESENT entries have bytes in the pages file, concatenated in entry order;
 * PE_PARENT (incremental dumps) and lazy-only entries take no space there.
 */
import { KcrError } from '../errors.js';
import type { DecodedOf } from './schema.js';
import type { pagemapEntry, pagemapHead } from './messages/mm.js';

export const PE_PARENT = 1;
export const PE_LAZY = 2;
export const PE_PRESENT = 4;

export interface PageRun {
  /** First virtual address of the run (page aligned). */
  vaddr: bigint;
  pages: number;
  flags: number;
  /** Byte offset of the run in the pages file; null when the data is not in this dump. */
  fileOffset: number | null;
}

export interface Pagemap {
  pagesId: number;
  runs: PageRun[];
  /** Pages with data in the pages file. */
  presentPages: number;
}

type HeadEntry = DecodedOf<typeof pagemapHead>;
type PageEntry = DecodedOf<typeof pagemapEntry>;

export function buildPagemap(head: HeadEntry | undefined, entries: PageEntry[], name: string): Pagemap {
  if (!head || head.pages_id === undefined) {
    throw new KcrError('invalid-input', `${name}: missing pagemap head (pages_id)`, {
      hint: 'the CRIU image is damaged',
    });
  }
  const runs: PageRun[] = [];
  let offset = 0;
  let presentPages = 0;
  let previous = -1n;
  for (const raw of entries) {
    // As CRIU's init_compat_pagemap_entry: missing flags come from in_parent, a missing field 5
    // from field 2.
    const flags = raw.flags ?? (raw.in_parent ? PE_PARENT : PE_PRESENT);
    const pages = raw.nr_pages !== undefined ? Number(raw.nr_pages) : (raw.compat_nr_pages ?? 0);
    const vaddr = raw.vaddr ?? 0n;
    if (vaddr <= previous) {
      throw new KcrError('invalid-input', `${name}: entries are not in ascending address order`, {
        hint: 'the CRIU image is damaged',
      });
    }
    const present = (flags & PE_PRESENT) !== 0;
    runs.push({ vaddr, pages, flags, fileOffset: present ? offset : null });
    if (present) {
      presentPages += pages;
      offset += pages; // in pages for now; scaled by the page size below
    }
    previous = vaddr;
  }
  return { pagesId: head.pages_id, runs, presentPages };
}

/**
 * PAGE_SIZE is that of the dumping host and is not recorded: derive it from the pages file's
 * size over the present pages, accept powers of two from 4 KiB to 64 KiB, else assume 4 KiB.
 */
export function derivePageSize(pagesFileSize: number, presentPages: number): number {
  if (presentPages === 0) return 4096;
  const size = pagesFileSize / presentPages;
  if (Number.isInteger(size) && size >= 4096 && size <= 65536 && (size & (size - 1)) === 0) return size;
  return 4096;
}

/**
 * Applies the page size to a pagemap from buildPagemap: its run offsets become byte offsets. In
 * place, as the runs are its own: a copy of thousands of runs, made once per command before its
 * first read, cost a memory command milliseconds of allocation and garbage collection.
 */
export function withPageSize(pagemap: Pagemap, pageSize: number): Pagemap {
  for (const run of pagemap.runs) if (run.fileOffset !== null) run.fileOffset *= pageSize;
  return pagemap;
}
