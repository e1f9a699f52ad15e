/**
 * The worker thread of age-batches.ts: seals or opens the batches it is sent with the one key it
 * was started with, and sends each result back with the batch's input buffer (both transferred,
 * not copied), or the error that stopped it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isKcrError } from '../../errors.js';
import type { BatchJob, BatchReply, WorkerStart } from './age-batches.js';
import { runBatch } from './age-stream.js';

const { direction, key } = workerData as WorkerStart;
const keyBuffer = Buffer.from(key);

parentPort!.on('message', (job: BatchJob) => {
  let reply: BatchReply;
  let transfer: ArrayBuffer[];
  try {
    const out = runBatch(
      direction,
      keyBuffer,
      job.counter,
      new Uint8Array(job.input, 0, job.length),
      job.last,
    );
    // The result has an ArrayBuffer of its own (see runBatch): it moves to the other thread whole.
    const output = out.buffer as ArrayBuffer;
    reply = { id: job.id, input: job.input, output };
    transfer = [job.input, output];
  } catch (err) {
    reply = {
      id: job.id,
      input: job.input,
      error: isKcrError(err)
        ? { message: err.message, code: err.code, ...(err.hint ? { hint: err.hint } : {}) }
        : { message: err instanceof Error ? err.message : String(err) },
    };
    transfer = [job.input];
  }
  parentPort!.postMessage(reply, transfer);
});
