/**
 * A large scan on two cores: the segments of a member are grouped into blocks of whole segments,
 * and this thread and one worker thread (scan-worker.ts) each take the next block as they finish
 * one, read it (synchronously, from the file) and scan it. A match never crosses a segment, so a
 * block boundary is no boundary for a match: the results are exactly those of one scan, and they
 * are handed to `onMatch` in member order. A segment is never split, so memory that is one long
 * contiguous run goes to one thread. The worker builds its own matchers from a recipe.
 */
import type { Worker } from 'node:worker_threads';
import { KcrError, type KcrErrorCode } from '../../errors.js';
import type { MatcherRecipe } from './matcher-recipe.js';
import type { Matcher } from './matchers.js';
import {
  scanBuffersFor,
  scanSegments,
  type RawMatch,
  type ScanOptions,
  type ScanSource,
  type Segment,
} from './scan.js';

/** Blocks of about this many bytes are handed out, one at a time, to whichever thread is free. */
export const BLOCK_BYTES = 16 * 1024 * 1024;
/** Below this, a worker costs more (its start, its modules) than it saves. */
export const PARALLEL_MIN_BYTES = 96 * 1024 * 1024;

/** Segments grouped into blocks of at least `blockBytes` (or what is left), never splitting one. */
export function blocksOf(segments: readonly Segment[], blockBytes: number): Segment[][] {
  const blocks: Segment[][] = [];
  let current: Segment[] = [];
  let bytes = 0;
  for (const s of segments) {
    current.push(s);
    bytes += s.end - s.start;
    if (bytes >= blockBytes) {
      blocks.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length) blocks.push(current);
  return blocks;
}

/** One block's matches, with their bytes copied (a worker's arrive by message). */
export interface BlockMatch {
  matcher: number;
  start: number;
  end: number;
  bytes: Uint8Array;
}

/** What the worker is asked to do: take blocks of one member until none are left. */
export interface ScanJob {
  id: number;
  name: string;
  file: string;
  /** Where the member starts in `file`. */
  offset: number;
  blocks: Segment[][];
  /** [next block to take, stop]: shared with the worker, updated with Atomics. */
  claims: SharedArrayBuffer;
  chunkSize?: number;
}

export type WorkerReply =
  | { job: number; kind: 'block'; block: number; matches: BlockMatch[] }
  | { job: number; kind: 'done' }
  | { job: number; kind: 'error'; message: string; code?: KcrErrorCode; hint?: string };

/** Where the worker module is: beside this one, or (running from the TypeScript sources) through tsx. */
function startWorker(recipe: MatcherRecipe): Worker {
  // Loaded here, not at start: node:worker_threads costs every start 3-4 ms, and most scans are
  // too small for a worker.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return new Worker(new URL('../../testing/ts-worker.mjs', here), {
      workerData: { entry: new URL('./scan-worker.ts', here).href, recipe },
    });
  }
  return new Worker(new URL('./scan-worker.js', here), { workerData: { recipe } });
}

/** One worker thread for the scans of one search; `close` ends it. */
export class ScanWorker {
  private readonly worker: Worker;
  private jobs = 0;
  private readonly listeners = new Map<number, (reply: WorkerReply) => void>();
  private failure: Error | undefined;

  constructor(recipe: MatcherRecipe) {
    this.worker = startWorker(recipe);
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => this.listeners.get(reply.job)?.(reply));
    this.worker.on('error', (err) => {
      this.failure = err;
      for (const listener of this.listeners.values())
        listener({ job: -1, kind: 'error', message: err.message });
    });
  }

  /** Sends a job; `onReply` gets its replies until `done` or `error`. */
  submit(job: Omit<ScanJob, 'id'>, onReply: (reply: WorkerReply) => void): number {
    const id = ++this.jobs;
    if (this.failure) {
      onReply({ job: id, kind: 'error', message: this.failure.message });
      return id;
    }
    this.listeners.set(id, (reply) => {
      if (reply.kind !== 'block') this.listeners.delete(id);
      onReply(reply);
    });
    this.worker.postMessage({ ...job, id });
    return id;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

function replyError(reply: Extract<WorkerReply, { kind: 'error' }>): Error {
  return reply.code
    ? new KcrError(reply.code, reply.message, reply.hint ? { hint: reply.hint } : {})
    : new Error(`memory scan worker: ${reply.message}`);
}

const NEXT = 0;
const STOP = 1;

/**
 * Scans `segments` of `source` (which must read synchronously; `location` is its file for the
 * worker) on this thread and the worker. Returns false when `onMatch` stopped it, as scanSegments.
 */
export async function scanInParallel(
  source: ScanSource,
  location: { file: string; offset: number },
  segments: readonly Segment[],
  matchers: readonly Matcher[],
  onMatch: (match: RawMatch) => boolean,
  options: ScanOptions & { worker: ScanWorker; blockBytes?: number },
): Promise<boolean> {
  const blocks = blocksOf(segments, options.blockBytes ?? BLOCK_BYTES);
  const claims = new SharedArrayBuffer(8);
  const shared = new Int32Array(claims);
  /** Matches of finished blocks not yet handed to onMatch; a worker failure, once. */
  const finished = new Map<number, BlockMatch[]>();
  const blockBytes = blocks.map((b) => b.reduce((n, s) => n + s.end - s.start, 0));
  let failure: Error | undefined;
  let workerDone = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  options.worker.submit(
    {
      name: source.name,
      file: location.file,
      offset: location.offset,
      blocks,
      claims,
      chunkSize: options.chunkSize,
    },
    (reply) => {
      if (reply.kind === 'block') finished.set(reply.block, reply.matches);
      else if (reply.kind === 'error') failure ??= replyError(reply);
      if (reply.kind !== 'block') workerDone = true;
      notify();
    },
  );

  let delivered = 0;
  let scanned = 0;
  let stopped = false;
  /** Hands the matches of finished blocks to onMatch, in block order, as far as they are finished. */
  const deliver = () => {
    while (!stopped && finished.has(delivered)) {
      for (const m of finished.get(delivered)!) {
        if (!onMatch({ matcher: m.matcher, start: m.start, end: m.end, bytes: Buffer.from(m.bytes) })) {
          stopped = true;
          break;
        }
      }
      finished.delete(delivered);
      scanned += blockBytes[delivered]!;
      delivered++;
      options.onProgress?.(scanned);
    }
  };

  const buffers = options.buffers ?? scanBuffersFor(matchers, options);
  try {
    for (;;) {
      if (failure) throw failure;
      deliver();
      if (stopped) break;
      const i = Atomics.add(shared, NEXT, 1);
      if (i >= blocks.length) break;
      const found: BlockMatch[] = [];
      await scanSegments(
        source,
        blocks[i]!,
        matchers,
        (m) => {
          found.push({ matcher: m.matcher, start: m.start, end: m.end, bytes: Buffer.from(m.bytes) });
          return true;
        },
        { ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}), buffers, signal: options.signal },
      );
      finished.set(i, found);
      // Let the worker's replies in.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The blocks the worker took: wait for each.
    while (!stopped && delivered < blocks.length) {
      deliver();
      if (failure) throw failure;
      if (stopped || delivered >= blocks.length) break;
      if (workerDone)
        throw new Error(`memory scan worker: block ${delivered} of ${source.name} never came back`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return !stopped;
  } finally {
    Atomics.store(shared, STOP, 1);
  }
}
