/**
 * Reads a process's dumped memory by virtual address, straight from the pages member by offset.
 * Address lookup is a binary search over the pagemap runs; bytes that were not dumped read as
 * zeros and are reported, so callers can tell real zeros from absent pages.
 */
import { KcrError } from '../errors.js';
import type { Pagemap, PageRun } from './pagemap.js';

/** Positional reads over one file or archive member (the archive's RandomAccess fits). */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

export type MissingReason = 'not-dumped' | 'in-parent' | 'lazy';

export interface MissingRange {
  /** Offset within the returned buffer. */
  offset: number;
  length: number;
  reason: MissingReason;
}

export interface MemoryRead {
  data: Buffer;
  missing: MissingRange[];
}

export class ProcessMemory {
  readonly runs: readonly PageRun[];
  /**
   * Why the dumped bytes cannot be read (pages member missing or shorter than the pagemap says),
   * thrown by every read. Sizes come from the pagemap alone and stay available.
   */
  readonly pagesProblem: KcrError | undefined;

  constructor(
    readonly pid: number,
    pagemap: Pagemap,
    readonly pageSize: number,
    /** The pages member; the memory search streams it whole instead of reading by address. */
    readonly pages: ByteSource | undefined,
  ) {
    this.runs = pagemap.runs;
    const needed = pagemap.presentPages * pageSize;
    if (needed > 0 && !pages) {
      this.pagesProblem = new KcrError(
        'not-found',
        `pages-${pagemap.pagesId}.img: missing: the pagemap of pid ${pid} names it for ${needed} bytes`,
        { hint: 'the archive lacks this member; sizes (kcr mem) are still known, the memory itself is not' },
      );
    } else if (needed > 0 && pages && pages.size < needed) {
      this.pagesProblem = new KcrError(
        'invalid-input',
        `${pages.name}: truncated: the pagemap of pid ${pid} needs ${needed} bytes, the member has ${pages.size}`,
        { hint: 'the archive was cut short or damaged; memory of this process cannot be read' },
      );
    }
  }

  /** Throws why the pages cannot be read, if they cannot. */
  checkPages(): void {
    if (this.pagesProblem) throw this.pagesProblem;
  }

  /** Bytes of dumped memory (present pages) of this process. */
  get dumpedBytes(): number {
    let total = 0;
    for (const r of this.runs) if (r.fileOffset !== null) total += r.pages * this.pageSize;
    return total;
  }

  runEnd(run: PageRun): bigint {
    return run.vaddr + BigInt(run.pages * this.pageSize);
  }

  /** Index of the run containing `addr`, or -1. */
  runIndexAt(addr: bigint): number {
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const run = this.runs[mid]!;
      if (addr < run.vaddr) hi = mid - 1;
      else if (addr >= this.runEnd(run)) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** Index of the first run that ends after `addr` (where a forward scan from `addr` starts). */
  firstRunEndingAfter(addr: bigint): number {
    let lo = 0;
    let hi = this.runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.runEnd(this.runs[mid]!) <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Reads `length` bytes at `addr`. Absent bytes are zero and listed in `missing`. */
  async read(addr: bigint, length: number): Promise<MemoryRead> {
    this.checkPages();
    const data = Buffer.alloc(length);
    const missing: MissingRange[] = [];
    const end = addr + BigInt(length);
    let cursor = addr;
    const addMissing = (from: bigint, to: bigint, reason: MissingReason) => {
      if (to <= from) return;
      const offset = Number(from - addr);
      const len = Number(to - from);
      const last = missing[missing.length - 1];
      if (last && last.reason === reason && last.offset + last.length === offset) last.length += len;
      else missing.push({ offset, length: len, reason });
    };
    for (let i = this.firstRunEndingAfter(addr); i < this.runs.length && cursor < end; i++) {
      const run = this.runs[i]!;
      if (run.vaddr >= end) break;
      addMissing(cursor, run.vaddr, 'not-dumped');
      const from = run.vaddr > cursor ? run.vaddr : cursor;
      const runEnd = this.runEnd(run);
      const to = runEnd < end ? runEnd : end;
      if (run.fileOffset === null) {
        addMissing(from, to, run.flags & 1 ? 'in-parent' : 'lazy');
      } else {
        const fileOffset = run.fileOffset + Number(from - run.vaddr);
        const chunk = await this.pages!.read(fileOffset, Number(to - from));
        chunk.copy(data, Number(from - addr));
      }
      cursor = to;
    }
    addMissing(cursor, end, 'not-dumped');
    return { data, missing };
  }
}
