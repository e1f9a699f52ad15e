/**
 * `image build --push` hashes the layer while it uploads it, against a real registry: no separate
 * digest pass, the registry stores the archive under its sha256, and a resume that goes back to an
 * earlier offset than was sent still yields the digest of the file.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { growPages } from '../testing/grow-pages.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { digestFile, SentBytesHash } from './digest.js';
import type { TransferProgress } from './progress.js';
import { buildImage } from './publish.js';
import { pullCheckpointImage } from './pull.js';

const nginxTar = join(import.meta.dirname, '../../test/fixtures/podman/nginx-webserver-1.tar');

let registry: TestRegistry;
let work: string;
/** An archive larger than one monolithic PUT (16 MiB), so the layer goes in PATCHes. */
let big: string;

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kcr-upload-hashing-'));
  big = join(work, 'nginx-24MiB.tar');
  await growPages({ source: nginxTar, target: big, pid: 6, bytes: 24 << 20 });
});

afterAll(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('image build --push', () => {
  it('uploads the archive while hashing it: no digest pass, and the registry holds it under its sha256', async () => {
    const events: TransferProgress[] = [];
    const result = await buildImage(big, {
      reference: `${registry.host}/hashing/big:v1`,
      push: true,
      insecure: true,
      onProgress: (p) => events.push(p),
    });
    const file = await digestFile(big);
    expect(events.filter((e) => e.phase === 'digest')).toEqual([]);
    const layerEvents = events.filter((e) => e.phase === 'upload' && e.label === 'layer');
    expect(layerEvents.at(-1)).toMatchObject({ done: true, transferred: file.size, total: file.size });
    expect(result.archiveDigest).toBe(file.digest);
    expect(result.manifest.layers[0]).toMatchObject({ digest: file.digest, size: file.size });
    expect(result.pushed!.blobs.map((b) => b.result)).toEqual(['uploaded', 'uploaded']);
    const pulled = join(work, 'pulled.tar');
    await pullCheckpointImage(`${registry.host}/hashing/big:v1`, pulled, { insecure: true });
    expect((await digestFile(pulled)).digest).toBe(file.digest);
  });
});

describe('SentBytesHash', () => {
  it('gives the digest of the file after going back to an offset before what was sent', async () => {
    const path = join(work, 'bytes.bin');
    const bytes = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff));
    await writeFile(path, bytes);
    const hash = new SentBytesHash(path);
    hash.update(bytes.subarray(0, 70_000)); // sent, but the registry kept only 40 000
    await hash.rewindTo(40_000);
    hash.update(bytes.subarray(40_000));
    expect(hash.digest(bytes.length)).toBe('sha256:' + createHash('sha256').update(bytes).digest('hex'));
    expect((await digestFile(path)).digest).toBe(
      'sha256:' +
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
    );
  });

  it('refuses to give a digest before every byte was hashed', async () => {
    const hash = new SentBytesHash(nginxTar);
    hash.update(Buffer.from('abc'));
    expect(() => hash.digest(4)).toThrow(/hashed 3 of 4 bytes/);
  });
});
