/**
 * The bundled CLI starts the memory scan's worker thread from dist/cli-bundle/scan-worker.js, a
 * file beside the chunk that starts it: that file must exist, be self-contained, and scan.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive } from '../../src/archive/archive.js';
import type { WorkerReply } from '../../src/forensics/memory/parallel-scan.js';
import { builtBin, REPO_ROOT } from '../../src/testing/built-cli.js';
import { fixture } from '../../src/testing/fixtures.js';

const BUNDLE = join(REPO_ROOT, 'dist', 'cli-bundle');

beforeAll(() => {
  builtBin('kcr'); // builds dist/ when a test runs before `npm run build`
});

describe('the bundled scan worker', () => {
  it('sits beside the files that start it: a chunk of the full CLI, and the fast mem and secrets', () => {
    const starters = readdirSync(BUNDLE).filter(
      (f) =>
        f.endsWith('.js') && readFileSync(join(BUNDLE, f), 'utf8').includes('new URL("./scan-worker.js"'),
    );
    expect(starters.filter((f) => !f.startsWith('fast-')).length).toBe(1);
    expect(starters.filter((f) => f.startsWith('fast-')).sort()).toEqual(['fast-mem.js', 'fast-secrets.js']);
    expect(readdirSync(BUNDLE)).toContain('scan-worker.js');
  });

  it('finds the secrets of a pages member, block by block', async () => {
    const archive = await CheckpointArchive.open(fixture('podman', 'busybox-counter.tar'));
    const member = archive
      .members()
      .filter((m) => /checkpoint\/pages-\d+\.img$/.test(m.name))
      .sort((a, b) => b.size - a.size)[0]!;
    const { file, offset } = archive.location(member.name);
    await archive.close();
    const worker = new Worker(join(BUNDLE, 'scan-worker.js'), {
      workerData: { recipe: { kind: 'secret-rules' } },
    });
    try {
      const half = Math.floor(member.size / 2 / 4096) * 4096;
      const blocks = [[{ start: 0, end: half }], [{ start: half, end: member.size }]];
      const replies: WorkerReply[] = [];
      await new Promise<void>((resolve, reject) => {
        worker.on('message', (reply: WorkerReply) => {
          replies.push(reply);
          if (reply.kind === 'done') resolve();
          if (reply.kind === 'error') reject(new Error(reply.message));
        });
        worker.on('error', reject);
        worker.postMessage({
          id: 1,
          name: member.name,
          file,
          offset,
          blocks,
          claims: new SharedArrayBuffer(8),
        });
      });
      const matches = replies.flatMap((r) => (r.kind === 'block' ? r.matches : []));
      expect(replies.filter((r) => r.kind === 'block')).toHaveLength(2);
      // busybox-counter's processes hold SECRET_TOKEN=… in their environment (the facts say so).
      expect(matches.some((m) => Buffer.from(m.bytes).toString('latin1').includes('SECRET_TOKEN='))).toBe(
        true,
      );
    } finally {
      await worker.terminate();
    }
  });
});
