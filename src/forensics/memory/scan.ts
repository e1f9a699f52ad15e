/**
 * Streams one archive member (a pages-N.img, or rootfs-diff.tar) by offset in large chunks and
 * runs matchers over its segments. A segment is a byte range of the member that is contiguous
 * in the thing it stands for (memory runs adjacent in the address space, or one file of a tar):
 * matches may cross chunk boundaries and run boundaries inside a segment, never two segments.
 *
 * A source with synchronous reads (a file in the page cache, the common case) is read one chunk
 * at a time into one buffer, each scanned right after it is copied, while it is still in the
 * core's cache; this costs about half the CPU of asynchronous reads, whose completions go through
 * other threads. The scan yields to the event loop after every 32 MiB, so Ctrl-C and progress
 * bars still work. Otherwise three buffers rotate: while the matchers scan one, the next two
 * chunks are read into the others (on libuv's pool), so reads and matchers overlap.
 * The tail of a segment that goes on into the next chunk is copied in front of it (`overlap`).
 *
 * Buffers are few and reused (`scanBuffersFor`, `ScanOptions.buffers`) because fresh memory is
 * dear: each new page costs a fault, and on virtual machines a fault costs 10-15 µs (measured
 * here: 20 ms to first touch 6 MiB), which for three fresh 2 MiB buffers per scanned member was
 * a fifth of a GiB search.
 */
import { KcrError } from '../../errors.js';
import type { Matcher } from './matchers.js';

export interface Segment {
  /** Byte range in the member, [start, end). */
  start: number;
  end: number;
}

/** Positional reads into a caller's buffer (CheckpointArchive#readInto bound to one member). */
export interface ScanSource {
  readonly name: string;
  /** Where the member's byte 0 lies in the file on disk (its tar data offset), for alignment. */
  readonly filePosition?: number;
  readInto(offset: number, target: Buffer, targetOffset: number, length: number): Promise<number>;
  /** The same reads, synchronous (CheckpointArchive#syncReader): used instead when present. */
  readIntoSync?(offset: number, target: Buffer, targetOffset: number, length: number): number;
}

export interface RawMatch {
  /** Index of the matcher in the list given to the scan. */
  matcher: number;
  /** Offsets in the member. */
  start: number;
  end: number;
  /** The matched bytes, a view valid only during the callback: copy to keep. */
  bytes: Buffer;
}

export interface ScanOptions {
  /** Bytes per read (default 2 MiB: two buffers stay in cache while one is scanned and one is read). */
  chunkSize?: number;
  signal?: AbortSignal;
  /** Called after each read with the segment bytes scanned so far (for a progress bar). */
  onProgress?: (scannedBytes: number) => void;
  /**
   * Buffers to read into, from `scanBuffersFor` (for a caller that scans many segment lists in
   * turn): one for a source with synchronous reads, ASYNC_BUFFERS otherwise.
   */
  buffers?: readonly Buffer[];
}

export const DEFAULT_CHUNK = 2 * 1024 * 1024;
/** Chunk size when a matcher makes strings of whole windows (see Matcher.textWindows). */
export const TEXT_CHUNK = 1024 * 1024;
/** Buffers in rotation for asynchronous reads: one being scanned, the others being read into. */
const ASYNC_BUFFERS = 3;
/** Gaps up to this size between segments are read through rather than skipped with a new read. */
const READ_THROUGH = 256 * 1024;

const PAGE = 4096;
/**
 * A synchronous scan gives the event loop a turn (signals, progress bars) after this many bytes:
 * 5-25 ms at the speeds the matchers scan. Counted in bytes, not read off the clock: a memory of
 * many small runs is read in thousands of pieces, and asking the time for each cost milliseconds.
 */
const YIELD_BYTES = 32 * 1024 * 1024;
const mod = (a: number, n: number) => ((a % n) + n) % n;

/**
 * A buffer whose first byte is page aligned. The kernel copies page-cache data with `rep movsb`,
 * which on some CPUs (seen on AMD EPYC) runs 4-6x slower when the destination sits a few bytes
 * past the source modulo 4096; malloc'd buffers start 16 bytes into a page, so reads from
 * page-aligned file offsets hit exactly that. WebAssembly memory is page aligned; reads are then
 * placed at the same offset within a page as in the file.
 */
function pageAligned(size: number): Buffer {
  const wasm = (globalThis as { WebAssembly?: { Memory: WasmMemory } }).WebAssembly;
  if (!wasm) return Buffer.allocUnsafe(size); // node --jitless has no WebAssembly
  return Buffer.from(new wasm.Memory({ initial: Math.ceil(size / 65536) }).buffer, 0, size);
}

type WasmMemory = new (descriptor: { initial: number }) => { buffer: ArrayBuffer };

interface Read {
  pos: number;
  len: number;
}

/** The reads that cover every segment: chunkSize pieces over runs of nearby segments. */
export function readPlan(segments: readonly Segment[], chunkSize: number): Read[] {
  const plan: Read[] = [];
  let i = 0;
  while (i < segments.length) {
    const start = segments[i]!.start;
    let end = segments[i]!.end;
    while (i + 1 < segments.length && segments[i + 1]!.start - end <= READ_THROUGH) end = segments[++i]!.end;
    i++;
    for (let pos = start; pos < end; pos += chunkSize)
      plan.push({ pos, len: Math.min(chunkSize, end - pos) });
  }
  return plan;
}

function layoutOf(matchers: readonly Matcher[], options: ScanOptions): { chunk: number; overlap: number } {
  return {
    chunk: options.chunkSize ?? (matchers.some((m) => m.textWindows) ? TEXT_CHUNK : DEFAULT_CHUNK),
    overlap: Math.max(0, ...matchers.map((m) => m.overlap)),
  };
}

/**
 * The buffers a scan with these matchers and options reads into: `count` is 1 for a source with
 * synchronous reads, ASYNC_BUFFERS for one without.
 */
export function scanBuffersFor(matchers: readonly Matcher[], options: ScanOptions = {}, count = 1): Buffer[] {
  const { chunk, overlap } = layoutOf(matchers, options);
  const size = overlap + PAGE + chunk;
  // A matcher that scans its own buffers in place (a LiteralSet's WebAssembly memory) provides them.
  const arena = matchers.find((m) => m.arena)?.arena;
  return arena ? arena.scanBuffers(count, size) : Array.from({ length: count }, () => pageAligned(size));
}

class ScanState {
  /** Per matcher: the member offset where its next match may start (matches do not overlap). */
  readonly next: number[];
  stopped = false;

  constructor(
    readonly matchers: readonly Matcher[],
    readonly onMatch: (match: RawMatch) => boolean,
  ) {
    this.next = matchers.map(() => 0);
  }

  /** Runs every matcher over `view`, which holds member bytes from `viewStart`. */
  scanWindow(view: Buffer, viewStart: number, final: boolean): void {
    for (let m = 0; m < this.matchers.length && !this.stopped; m++) {
      const from = Math.max(0, this.next[m]! - viewStart);
      const goOn = this.matchers[m]!.scan(view, from, final, (start, end) => {
        this.next[m] = viewStart + end;
        const keep = this.onMatch({
          matcher: m,
          start: viewStart + start,
          end: viewStart + end,
          bytes: view.subarray(start, end),
        });
        return keep;
      });
      if (!goOn) this.stopped = true;
    }
  }
}

/**
 * Scans `segments` (sorted, disjoint) of `source`. Returns false when `onMatch` stopped it early.
 */
export async function scanSegments(
  source: ScanSource,
  segments: readonly Segment[],
  matchers: readonly Matcher[],
  onMatch: (match: RawMatch) => boolean,
  options: ScanOptions = {},
): Promise<boolean> {
  const { chunk, overlap } = layoutOf(matchers, options);
  const plan = readPlan(segments, chunk);
  if (plan.length === 0 || matchers.length === 0) return true;
  const readSync = source.readIntoSync?.bind(source);
  const count = readSync ? 1 : ASYNC_BUFFERS;
  const buffers =
    options.buffers && options.buffers.length >= count
      ? options.buffers
      : scanBuffersFor(matchers, options, count);
  // With one buffer, a chunk's carried tail is copied to the front of the same buffer.
  const bufferOf = (i: number) => buffers[i % count]!;
  const state = new ScanState(matchers, onMatch);
  // Each read lands at the same offset within a page as its bytes have in the file (see pageAligned).
  const head = (i: number) => overlap + mod(plan[i]!.pos + (source.filePosition ?? 0) - overlap, PAGE);
  const readAt = (i: number) => source.readInto(plan[i]!.pos, bufferOf(i), head(i), plan[i]!.len);
  /** Asynchronous reads in flight, by plan index. */
  const pending = new Map<number, Promise<number>>();
  if (!readSync) for (let i = 0; i < count - 1 && i < plan.length; i++) pending.set(i, readAt(i));
  let carry = 0;
  let seg = 0;
  let scanned = 0;
  let sinceYield = 0;
  // A signal is only ever aborted by code the event loop runs: asked after each turn, not each read.
  const checkCancelled = () => {
    if (options.signal?.aborted) throw new KcrError('cancelled', `${source.name}: search cancelled`);
  };
  try {
    checkCancelled();
    for (let i = 0; i < plan.length; i++) {
      const { pos, len } = plan[i]!;
      let got: number;
      if (readSync) {
        got = readSync(pos, bufferOf(i), head(i), len);
        sinceYield += len;
        if (sinceYield >= YIELD_BYTES) {
          await new Promise((resolve) => setImmediate(resolve));
          sinceYield = 0;
          checkCancelled();
        }
      } else {
        got = await pending.get(i)!;
        checkCancelled();
        pending.delete(i);
        // Into the buffer of chunk i - 1: done with, its tail already carried into chunk i's.
        const ahead = i + count - 1;
        if (ahead < plan.length) pending.set(ahead, readAt(ahead));
      }
      if (got < len) throw truncated(source, pos + got);
      const buf = bufferOf(i);
      const at = head(i);
      const base = pos - at; // member offset of buf[0]
      while (seg < segments.length && segments[seg]!.end <= pos) seg++;
      for (let s = seg; s < segments.length && segments[s]!.start < pos + len; s++) {
        const { start, end } = segments[s]!;
        const from = Math.max(start, pos - carry);
        const to = Math.min(end, pos + len);
        if (to <= from) continue;
        state.scanWindow(buf.subarray(from - base, to - base), from, to === end);
        if (state.stopped) return false;
        scanned += to - Math.max(start, pos); // the carried bytes were counted with the read before
      }
      options.onProgress?.(scanned);
      carry = carryInto(plan[i + 1], pos + len, segments, seg, overlap);
      if (carry > 0) buf.copy(bufferOf(i + 1), head(i + 1) - carry, at + len - carry, at + len);
    }
    return true;
  } finally {
    // Never leave a read running into a buffer that is about to be dropped.
    await Promise.all([...pending.values()].map((p) => p.catch(() => 0)));
  }
}

/** Bytes of the segment running across `boundary` to carry into the next read (if it starts there). */
function carryInto(
  next: Read | undefined,
  boundary: number,
  segments: readonly Segment[],
  from: number,
  overlap: number,
): number {
  if (!next || next.pos !== boundary) return 0;
  for (let s = from; s < segments.length && segments[s]!.start < boundary; s++) {
    const { start, end } = segments[s]!;
    if (end > boundary) return Math.min(overlap, boundary - start);
  }
  return 0;
}

function truncated(source: ScanSource, at: number): KcrError {
  return new KcrError('invalid-input', `${source.name}: truncated at byte ${at}`, {
    hint: 'the archive was cut short or damaged; copy it again',
  });
}
