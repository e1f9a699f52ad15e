/**
 * `kcr mem search`: every pages member is streamed once, by offset in the archive (never
 * extracted), and each match is mapped back from its offset in the member to (pid, address)
 * through the pagemap runs, then to the mapping (VMA) it lies in.
 *
 * Runs that are adjacent in memory are adjacent in the pages member too (CRIU writes PRESENT
 * runs in address order), so they form one segment and matches across them are found; runs
 * with a hole between them are separate segments and a match never spans the hole.
 */
import type { ProcessMemory } from '../../criu/memory.js';
import type { PageRun } from '../../criu/pagemap.js';
import type { CheckpointImages } from '../checkpoint-images.js';
import type { MemoryContext, ProcessMemoryView } from './context.js';
import { mappingAt, type MemoryMapping } from './mappings.js';
import type { MatcherRecipe } from './matcher-recipe.js';
import type { Matcher } from './matchers.js';
import { PARALLEL_MIN_BYTES, scanInParallel, ScanWorker } from './parallel-scan.js';
import { scanBuffersFor, scanSegments, type RawMatch, type ScanOptions, type Segment } from './scan.js';

export type MappingRef = Pick<MemoryMapping, 'start' | 'end' | 'perms' | 'offset' | 'name' | 'kind'>;

export interface MemoryHit {
  pid: number;
  comm: string;
  address: bigint;
  length: number;
  /** The mapping the first matched byte lies in. */
  mapping?: MappingRef;
  /** Which of the search's matchers matched. */
  pattern: number;
  match: Buffer;
  /** Up to `context` bytes before and after the match, in memory order (absent pages read as 0). */
  before: Buffer;
  after: Buffer;
  /** Where the matched bytes are stored: the pages member and the offset in it. */
  member: string;
  memberOffset: number;
}

export interface MemorySearchOptions extends ScanOptions {
  pid?: number;
  /** Bytes of context on each side of a hit. */
  context?: number;
  /** Stop after this many hits; 0 or undefined for all. */
  max?: number;
  /** Only count hits per process (`grep -c`): nothing is kept per hit, so any number is fine. */
  countOnly?: boolean;
  /** Progress over all processes: bytes scanned so far and in all. */
  onSearchProgress?: (scannedBytes: number, totalBytes: number) => void;
  /**
   * Each hit as soon as it is found, for a caller that streams them (the dashboard); its
   * `before`/`after` context is filled in only later, in the result.
   */
  onHit?: (hit: MemoryHit) => void;
  /**
   * The matchers as a recipe: then a large search also runs on a worker thread, which builds the
   * same matchers from it (parallel-scan.ts). `minBytes` and `blockBytes` are for tests.
   */
  parallel?: { recipe: MatcherRecipe; minBytes?: number; blockBytes?: number };
}

export interface HitCount {
  pid: number;
  comm: string;
  hits: number;
}

export interface MemorySearchResult {
  hits: MemoryHit[];
  /** The search stopped at `max` hits. */
  limited: boolean;
  /** Bytes of dumped memory scanned. */
  scannedBytes: number;
  /** Hits per process with at least one, by PID. */
  counts: HitCount[];
}

/** One pages member and whose memory it is. */
interface Target {
  reader: ProcessMemory;
  /** Present runs in member order. */
  runs: PageRun[];
  segments: Segment[];
  /** Process memory: the process; shared memory (shmid): every process mapping it. */
  owners: ProcessMemoryView[];
  shmid?: number;
}

/**
 * The member's byte ranges that are contiguous in memory too: runs adjacent in both. Addresses are
 * compared as doubles, not BigInts (which allocate, once per run of thousands, in cold code): a
 * page-aligned address below 2^65 is exact as a double, and so is the sum of two of them.
 */
function segmentsOf(reader: ProcessMemory, runs: PageRun[]): Segment[] {
  const segments: Segment[] = [];
  let previousEnd = -1;
  for (const run of runs) {
    const start = run.fileOffset!;
    const bytes = run.pages * reader.pageSize;
    const vaddr = Number(run.vaddr);
    const last = segments[segments.length - 1];
    if (last && previousEnd === vaddr && last.end === start) last.end = start + bytes;
    else segments.push({ start, end: start + bytes });
    previousEnd = vaddr + bytes;
  }
  return segments;
}

function target(reader: ProcessMemory, owners: ProcessMemoryView[], shmid?: number): Target {
  const runs = reader.runs.filter((r) => r.fileOffset !== null && r.pages > 0);
  return {
    reader,
    runs,
    segments: segmentsOf(reader, runs),
    owners,
    ...(shmid !== undefined ? { shmid } : {}),
  };
}

function targets(context: MemoryContext, pid: number | undefined): Target[] {
  const out: Target[] = [];
  for (const view of context.processes) {
    if (pid !== undefined && view.pid !== pid) continue;
    view.memory?.checkPages();
    if (view.memory?.pages) out.push(target(view.memory, [view]));
  }
  for (const [shmid, reader] of context.shmem) {
    const owners = context.processes.filter(
      (p) => (pid === undefined || p.pid === pid) && p.mappings.some((m) => m.shmid === shmid && m.shared),
    );
    if (owners.length > 0) reader.checkPages();
    if (owners.length > 0 && reader.pages) out.push(target(reader, owners, shmid));
  }
  return out;
}

/** Address in the reader's space (virtual address, or offset in a shared object) of a member offset. */
function readerAddress(t: Target, memberOffset: number): bigint {
  let lo = 0;
  let hi = t.runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t.runs[mid]!.fileOffset! <= memberOffset) lo = mid;
    else hi = mid - 1;
  }
  const run = t.runs[lo]!;
  return run.vaddr + BigInt(memberOffset - run.fileOffset!);
}

const ref = (m: MemoryMapping | undefined): MappingRef | undefined =>
  m && { start: m.start, end: m.end, perms: m.perms, offset: m.offset, name: m.name, kind: m.kind };

/** Each (process, address) where a match lies: one for process memory, one per mapping for shmem. */
function locate(
  t: Target,
  at: bigint,
): Array<{ view: ProcessMemoryView; address: bigint; mapping?: MemoryMapping }> {
  if (t.shmid === undefined) {
    const view = t.owners[0]!;
    return [{ view, address: at, mapping: mappingAt(view.mappings, at) }];
  }
  const out: Array<{ view: ProcessMemoryView; address: bigint; mapping?: MemoryMapping }> = [];
  for (const view of t.owners) {
    for (const m of view.mappings) {
      if (m.shmid !== t.shmid || !m.shared) continue;
      if (at >= m.offset && at < m.offset + (m.end - m.start)) {
        out.push({ view, address: m.start + (at - m.offset), mapping: m });
      }
    }
  }
  return out;
}

async function withContext(
  hit: MemoryHit,
  reader: ProcessMemory,
  at: bigint,
  context: number,
): Promise<void> {
  if (context <= 0) return;
  const before = at < BigInt(context) ? Number(at) : context;
  hit.before = (await reader.read(at - BigInt(before), before)).data;
  hit.after = (await reader.read(at + BigInt(hit.length), context)).data;
}

/** Searches the dumped memory of every process (or of `pid`) with the matchers. */
export async function searchMemory(
  cp: CheckpointImages,
  context: MemoryContext,
  matchers: readonly Matcher[],
  options: MemorySearchOptions = {},
): Promise<MemorySearchResult> {
  const max = options.max && options.max > 0 ? options.max : Infinity;
  const hits: MemoryHit[] = [];
  const pendingContext: Array<{ hit: MemoryHit; reader: ProcessMemory; at: bigint }> = [];
  const counts = new Map<number, HitCount>();
  let total = 0;
  let scannedBytes = 0;
  let limited = false;
  const all = [...targets(context, options.pid)];
  const bytesOf = (t: Target) => t.segments.reduce((n, s) => n + s.end - s.start, 0);
  const totalBytes = all.reduce((n, t) => n + bytesOf(t), 0);
  const minParallel = options.parallel?.minBytes ?? PARALLEL_MIN_BYTES;
  const worker =
    options.parallel && all.some((t) => bytesOf(t) >= minParallel)
      ? new ScanWorker(options.parallel.recipe)
      : undefined;
  let buffers: Buffer[] | undefined;
  try {
    for (const t of all) {
      const before = scannedBytes;
      const member = t.reader.pages!.name;
      const source = {
        name: member,
        filePosition: cp.archive.member(member)?.offset ?? 0,
        readInto: (offset: number, buf: Buffer, at: number, len: number) =>
          cp.archive.readInto(member, offset, buf, at, len),
        readIntoSync: await cp.archive.syncReader(member),
      };
      scannedBytes += bytesOf(t);
      const onMatch = (raw: RawMatch): boolean => {
        const at = readerAddress(t, raw.start);
        for (const where of locate(t, at)) {
          if (options.pid !== undefined && where.view.pid !== options.pid) continue;
          if (total >= max) {
            limited = true;
            return false;
          }
          total++;
          const count = counts.get(where.view.pid) ?? { pid: where.view.pid, comm: where.view.comm, hits: 0 };
          count.hits++;
          counts.set(where.view.pid, count);
          if (options.countOnly) continue;
          const hit: MemoryHit = {
            pid: where.view.pid,
            comm: where.view.comm,
            address: where.address,
            length: raw.end - raw.start,
            pattern: raw.matcher,
            match: Buffer.from(raw.bytes),
            before: Buffer.alloc(0),
            after: Buffer.alloc(0),
            member,
            memberOffset: raw.start,
          };
          const mapping = ref(where.mapping);
          if (mapping) hit.mapping = mapping;
          hits.push(hit);
          pendingContext.push({ hit, reader: t.reader, at });
          options.onHit?.(hit);
        }
        return true;
      };
      const onProgress = options.onSearchProgress
        ? (n: number) => options.onSearchProgress!(before + n, totalBytes)
        : undefined;
      // One buffer for every member: fresh memory costs a page fault per page (scan.ts).
      buffers ??= scanBuffersFor(matchers, options);
      const scanOptions = { ...options, onProgress, buffers };
      const done =
        worker && bytesOf(t) >= minParallel
          ? await scanInParallel(source, cp.archive.location(member), t.segments, matchers, onMatch, {
              ...scanOptions,
              worker,
              ...(options.parallel?.blockBytes ? { blockBytes: options.parallel.blockBytes } : {}),
            })
          : await scanSegments(source, t.segments, matchers, onMatch, scanOptions);
      if (!done) break;
    }
  } finally {
    await worker?.close();
  }
  for (const { hit, reader, at } of pendingContext) await withContext(hit, reader, at, options.context ?? 0);
  hits.sort((a, b) => a.pid - b.pid || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { hits, limited, scannedBytes, counts: [...counts.values()].sort((a, b) => a.pid - b.pid) };
}
