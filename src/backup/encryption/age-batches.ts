/**
 * The payload of a large age file is sealed (or opened) on two cores: it is cut into batches of
 * whole STREAM chunks, and each batch goes to one worker thread (age-worker.ts) while the worker
 * has fewer than two waiting, else it is sealed on this thread at once; so the work divides itself
 * between the two by how fast each one goes. node:crypto needs a cipher object per 64 KiB chunk
 * (the nonce changes), and that, with the buffer it returns, costs several times OpenSSL's bulk
 * rate: on one core it is slower than the `age` CLI. Buffers cross to the worker and back by
 * transfer, never by copy, and batch buffers are reused.
 *
 * Results come out in order, each as soon as every batch before it is out. At most MAX_IN_FLIGHT
 * batches are held at once, whatever the input's size (memory stays flat). Small inputs never
 * start a worker (it costs more than it saves): the worker starts once PARALLEL_MIN_BYTES went by.
 *
 * The last chunk is sealed differently, and a whole chunk may be the last: so a full batch is only
 * handed on once more data follows it; `end` hands on what is held as the batch with the last
 * chunk (an empty one only when the whole payload was empty).
 */
import type { Worker } from 'node:worker_threads';
import { KcrError, type KcrErrorCode } from '../../errors.js';
import { startModuleWorker } from '../../util/module-worker.js';
import { runBatch, unitSize, type Direction } from './age-stream.js';

/** Chunks per batch: 1 MiB of plaintext, so a message costs little beside the work it carries;
 * 2 MiB batches were slower to write to an ext4 file (measured: twice the system time). */
export const BATCH_CHUNKS = 16;
/** Below this much payload, everything stays on this thread. */
export const PARALLEL_MIN_BYTES = 8 * 1024 * 1024;
/** Batches handed on whose results are not yet out (bounds memory). */
export const MAX_IN_FLIGHT = 6;
/** Batches the worker may have waiting before this thread takes the next one itself. */
const WORKER_QUEUE = 2;

export interface WorkerStart {
  direction: Direction;
  key: Uint8Array;
}

export interface BatchJob {
  id: number;
  counter: number;
  input: ArrayBuffer;
  length: number;
  last: boolean;
}

export type BatchReply =
  | { id: number; input: ArrayBuffer; output: ArrayBuffer }
  | { id: number; input: ArrayBuffer; error: { message: string; code?: KcrErrorCode; hint?: string } };

export interface BatchOptions {
  /** Tests make these small, to take the threaded path with small inputs. */
  batchChunks?: number;
  parallelMinBytes?: number;
}

interface Pending {
  done: boolean;
  value?: Buffer;
}

/**
 * One payload's batches: `write` (bytes copied in) or `hand` (a filled batch buffer) feeds it,
 * `end` closes it; results go to `emit` in order, and the first failure to `fail`, once.
 */
export class PayloadBatches {
  readonly batchBytes: number;
  private readonly parallelMinBytes: number;
  private readonly pool: ArrayBuffer[] = [];
  private filling: Buffer | undefined;
  private filled = 0;
  private counter = 0;
  private handedBytes = 0;
  private readonly out: Pending[] = [];
  private failure: Error | undefined;
  private waiting: (() => void)[] = [];
  private worker: Worker | undefined;
  private workerQueued = 0;
  private jobs = 0;
  /** How many batches the worker sealed or opened (the tests check that the threaded path ran). */
  byWorker = 0;
  private readonly replies = new Map<number, (reply: BatchReply) => void>();

  constructor(
    private readonly direction: Direction,
    private readonly key: Buffer,
    private readonly emit: (data: Buffer) => void,
    private readonly fail: (err: Error) => void,
    options: BatchOptions = {},
  ) {
    this.batchBytes = (options.batchChunks ?? BATCH_CHUNKS) * unitSize(direction);
    this.parallelMinBytes = options.parallelMinBytes ?? PARALLEL_MIN_BYTES;
  }

  /** An empty batch buffer (`batchBytes` long) to fill and `hand` on: reused, or new. */
  buffer(): Buffer {
    const reused = this.pool.pop();
    return reused ? Buffer.from(reused) : Buffer.allocUnsafeSlow(this.batchBytes);
  }

  /** Gives back a buffer from `buffer()` that was not handed on. */
  recycle(buffer: Buffer): void {
    this.pool.push(buffer.buffer as ArrayBuffer);
  }

  /** Copies `data` into batches; `data` is not referenced once this returns. */
  write(data: Uint8Array): void {
    for (let at = 0; at < data.length;) {
      if (this.filling && this.filled === this.batchBytes) this.settle(false);
      if (!this.filling) {
        this.filling = this.buffer();
        this.filled = 0;
      }
      const n = Math.min(data.length - at, this.batchBytes - this.filled);
      this.filling.set(data.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
    }
  }

  /**
   * Takes a buffer from `buffer()` holding `length` bytes, as if they were written (without the
   * copy). What is held before it must be a whole batch: so only the last one handed may be short.
   */
  hand(buffer: Buffer, length: number): void {
    if (this.filling) this.settle(false);
    this.filling = buffer;
    this.filled = length;
  }

  /** The payload is over: what is held is the batch with the last chunk. */
  end(): void {
    if (!this.filling) {
      this.filling = this.buffer();
      this.filled = 0;
    }
    this.settle(true);
  }

  /** Resolves once fewer than `n` results are waiting to come out; rejects on a failure. */
  async below(n: number): Promise<void> {
    while (!this.failure && this.out.length >= n)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failure) throw this.failure;
  }

  /** Every result is out (after `end`); rejects on a failure. */
  drained(): Promise<void> {
    return this.below(1);
  }

  /** Ends the worker, if one started; the batches are done with or abandoned. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private settle(last: boolean): void {
    const buffer = this.filling!;
    const length = this.filled;
    this.filling = undefined;
    this.filled = 0;
    const counter = this.counter;
    // Every batch but the last holds whole chunks.
    this.counter += length / unitSize(this.direction);
    this.handedBytes += length;
    const pending: Pending = { done: false };
    this.out.push(pending);
    const settled = (value: Buffer) => {
      pending.done = true;
      pending.value = value;
      this.flush();
    };
    if (this.failure) return;
    if (!this.worker && this.handedBytes >= this.parallelMinBytes && !last) this.startWorker();
    if (this.worker && this.workerQueued < WORKER_QUEUE) {
      this.workerQueued++;
      this.byWorker++;
      this.post({ id: ++this.jobs, counter, input: buffer.buffer as ArrayBuffer, length, last }, settled);
      return;
    }
    try {
      const value = runBatch(this.direction, this.key, counter, buffer.subarray(0, length), last);
      this.recycle(buffer);
      settled(value);
    } catch (err) {
      this.failed(err as Error);
    }
  }

  private post(job: BatchJob, settled: (value: Buffer) => void): void {
    this.replies.set(job.id, (reply) => {
      this.workerQueued--;
      this.pool.push(reply.input);
      if ('error' in reply) {
        const { message, code, hint } = reply.error;
        this.failed(
          code ? new KcrError(code, message, hint ? { hint } : {}) : new Error(`age worker: ${message}`),
        );
      } else {
        settled(Buffer.from(reply.output));
      }
    });
    this.worker!.postMessage(job, [job.input]);
  }

  private startWorker(): void {
    const start: WorkerStart = { direction: this.direction, key: this.key };
    const worker = startModuleWorker(import.meta.url, 'age-worker', start);
    worker.unref();
    worker.on('message', (reply: BatchReply) => {
      const handler = this.replies.get(reply.id);
      this.replies.delete(reply.id);
      handler?.(reply);
    });
    worker.on('error', (err) => this.failed(new Error(`age worker: ${err.message}`, { cause: err })));
    worker.on('exit', () => {
      if (this.worker === worker && this.replies.size > 0) this.failed(new Error('age worker: it exited'));
    });
    this.worker = worker;
  }

  /** Hands out the results at the front that are done, in order, and wakes the waiters. */
  private flush(): void {
    while (this.out.length > 0 && this.out[0]!.done && !this.failure) this.emit(this.out.shift()!.value!);
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  private failed(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.fail(err);
    this.flush();
    void this.close();
  }
}
