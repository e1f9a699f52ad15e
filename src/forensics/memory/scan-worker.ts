/**
 * The worker thread of a parallel scan (parallel-scan.ts): builds the matchers from its recipe
 * once, then for each job takes blocks until none are left, reads each from the file and scans
 * it, and sends back each block's matches.
 */
import { closeSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { readFullySync } from '../../archive/archive.js';
import { KcrError } from '../../errors.js';
import { buildMatchers, type MatcherRecipe } from './matcher-recipe.js';
import type { BlockMatch, ScanJob, WorkerReply } from './parallel-scan.js';
import { scanBuffersFor, scanSegments, type ScanSource } from './scan.js';

const matchers = buildMatchers((workerData as { recipe: MatcherRecipe }).recipe);
const NEXT = 0;
const STOP = 1;

async function run(job: ScanJob): Promise<void> {
  const fd = openSync(job.file, 'r');
  try {
    const source: ScanSource = {
      name: job.name,
      filePosition: job.offset,
      readInto: () => Promise.reject(new Error('the worker reads synchronously')),
      readIntoSync: (offset, target, at, length) =>
        readFullySync(fd, target, at, length, job.offset + offset),
    };
    const options = job.chunkSize ? { chunkSize: job.chunkSize } : {};
    const buffers = scanBuffersFor(matchers, options);
    const shared = new Int32Array(job.claims);
    while (Atomics.load(shared, STOP) === 0) {
      const block = Atomics.add(shared, NEXT, 1);
      if (block >= job.blocks.length) break;
      const matches: BlockMatch[] = [];
      await scanSegments(
        source,
        job.blocks[block]!,
        matchers,
        (m) => {
          matches.push({ matcher: m.matcher, start: m.start, end: m.end, bytes: Uint8Array.from(m.bytes) });
          return true;
        },
        { ...options, buffers },
      );
      reply({ job: job.id, kind: 'block', block, matches });
    }
  } finally {
    closeSync(fd);
  }
}

function reply(message: WorkerReply): void {
  parentPort!.postMessage(message);
}

parentPort!.on('message', (job: ScanJob) => {
  run(job).then(
    () => reply({ job: job.id, kind: 'done' }),
    (err: unknown) =>
      reply(
        err instanceof KcrError
          ? {
              job: job.id,
              kind: 'error',
              code: err.code,
              message: err.message,
              ...(err.hint ? { hint: err.hint } : {}),
            }
          : { job: job.id, kind: 'error', message: err instanceof Error ? err.message : String(err) },
      ),
  );
});
