/** Blob uploads against a real registry: resume after a cut connection, skip, mount, and tags. */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.js';
import { buildCheckpointImage, imageBlobs } from './build.js';
import { sha256Digest } from './digest.js';
import { listImageTags } from './inspect.js';
import type { TransferProgress } from './progress.js';
import { publishCheckpointImage } from './publish.js';
import { pullCheckpointImage } from './pull.js';
import { pushImage } from './push.js';
import { parseReference } from './reference.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures');
const nginxTar = join(fixtures, 'podman/nginx-webserver-1.tar'); // 3.3 MiB: several 512 KiB chunks
const counterTar = join(fixtures, 'podman/busybox-counter.tar');

let registry: TestRegistry;
let proxy: TcpProxy;
let work: string;

beforeAll(async () => {
  registry = await startRegistry();
  const [host, port] = registry.host.split(':');
  proxy = await startTcpProxy(host!, Number(port));
  work = await mkdtemp(join(tmpdir(), 'kcr-upload-test-'));
});

afterAll(async () => {
  await proxy?.close();
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

async function pulledEqualsArchive(ref: string, archive: string): Promise<boolean> {
  const out = join(work, `${sha256Digest(ref).slice(7, 19)}.tar`);
  await pullCheckpointImage(ref, out, { insecure: true });
  return (await readFile(out)).equals(await readFile(archive));
}

describe('pushing through a connection that breaks', () => {
  it('resumes a chunked upload from the offset the registry reports when the break falls between chunks', async () => {
    const events: TransferProgress[] = [];
    proxy.armAtRequest('PATCH', 3);
    const ref = `${proxy.host}/resume/between-chunks:v1`;
    const result = await publishCheckpointImage(nginxTar, ref, {
      insecure: true,
      chunkSize: 512 * 1024,
      onProgress: (p) => events.push(p),
    });
    expect(proxy.cuts).toBe(1);
    // Two chunks had arrived; the upload went on from there instead of starting over.
    expect(events.filter((e) => e.resumedAt !== undefined).map((e) => e.resumedAt)).toEqual([1024 * 1024]);
    expect(result.manifest.layers[0]!.digest).toBe(sha256Digest(await readFile(nginxTar)));
    expect(await pulledEqualsArchive(`${registry.host}/resume/between-chunks:v1`, nginxTar)).toBe(true);
  });

  it('completes an upload cut in the middle of a chunk, and the pushed image is intact', async () => {
    const events: TransferProgress[] = [];
    proxy.arm(1_500_000);
    const before = proxy.cuts;
    const ref = `${proxy.host}/resume/mid-chunk:v1`;
    await publishCheckpointImage(nginxTar, ref, {
      insecure: true,
      chunkSize: 512 * 1024,
      onProgress: (p) => events.push(p),
    });
    expect(proxy.cuts).toBe(before + 1);
    // distribution 2.8 refuses to go on with a session that got part of a chunk (its signed upload state
    // no longer matches the file), so the blob starts over in a new session.
    expect(events.filter((e) => e.resumedAt !== undefined).map((e) => e.resumedAt)).toEqual([0]);
    expect(await pulledEqualsArchive(`${registry.host}/resume/mid-chunk:v1`, nginxTar)).toBe(true);
  });

  it('restarts a monolithic upload (small blob) cut mid-body', async () => {
    proxy.arm(100_000);
    const before = proxy.cuts;
    await publishCheckpointImage(counterTar, `${proxy.host}/resume/monolithic:v1`, { insecure: true });
    expect(proxy.cuts).toBe(before + 1);
    expect(await pulledEqualsArchive(`${registry.host}/resume/monolithic:v1`, counterTar)).toBe(true);
  });

  it.each([
    ['a chunked upload', 512 * 1024, 'restart-chunked'],
    ['a one-piece upload', 0, 'restart-monolithic'],
  ])(
    'survives the registry restarting mid-push in %s (refused for 800 ms)',
    async (_what, chunkSize, repo) => {
      proxy.restartOnCut(800);
      proxy.arm(1_500_000);
      const before = proxy.cuts;
      const ref = `${proxy.host}/resume/${repo}:v1`;
      await publishCheckpointImage(nginxTar, ref, { insecure: true, chunkSize });
      expect(proxy.cuts).toBe(before + 1);
      expect(await pulledEqualsArchive(`${registry.host}/resume/${repo}:v1`, nginxTar)).toBe(true);
    },
  );
});

describe('blob reuse', () => {
  it('skips blobs the repository has, and mounts them from another repository of the same registry', async () => {
    const image = await buildCheckpointImage(counterTar);
    try {
      const pushable = {
        manifest: image.manifest,
        manifestBytes: image.manifestBytes,
        blobs: imageBlobs(image),
      };
      const first = await pushImage(pushable, parseReference(`${registry.host}/reuse/a:v1`), {
        insecure: true,
      });
      expect(first.blobs.map((b) => b.result)).toEqual(['uploaded', 'uploaded']);
      const events: TransferProgress[] = [];
      const again = await pushImage(pushable, parseReference(`${registry.host}/reuse/a:v2`), {
        insecure: true,
        onProgress: (p) => events.push(p),
      });
      expect(again.blobs.map((b) => b.result)).toEqual(['exists', 'exists']);
      const mounted = await pushImage(pushable, parseReference(`${registry.host}/reuse/b:v1`), {
        insecure: true,
        mountFrom: ['reuse/a'],
        onProgress: (p) => events.push(p),
      });
      expect(mounted.blobs.map((b) => b.result)).toEqual(['mounted', 'mounted']);
      // Each skipped blob is reported once, as complete, saying why nothing moved.
      const layerSize = image.layer.descriptor.size;
      expect(events.map((e) => [e.skipped, e.done, e.transferred === e.total])).toEqual([
        ['exists', true, true],
        ['exists', true, true],
        ['mounted', true, true],
        ['mounted', true, true],
      ]);
      expect(events[0]).toMatchObject({ phase: 'upload', total: layerSize });
      expect(mounted.digest).toBe(first.digest);
    } finally {
      await image.dispose();
    }
  });

  it('lists the tags of a repository', async () => {
    expect((await listImageTags(`${registry.host}/reuse/a`, { insecure: true })).sort()).toEqual([
      'v1',
      'v2',
    ]);
  });
});
