/** OCI layouts that are damaged or hand-made wrong: each is refused with an error naming the file. */
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCheckpointImage } from './build.js';
import { sha256Digest } from './digest.js';
import { inspectCheckpointImage } from './inspect.js';
import { blobPath, readOciLayout, writeOciLayout } from './layout.js';
import { MEDIA_TYPES } from './media-types.js';

const counterTar = join(import.meta.dirname, '../../test/fixtures/podman/busybox-counter.tar');

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kcr-layout-test-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A layout with the given index.json text and blobs; returns its directory. */
async function craft(name: string, index: string, blobs: Buffer[] = []): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(dir, 'index.json'), index);
  for (const blob of blobs) await writeFile(blobPath(dir, sha256Digest(blob)), blob);
  return dir;
}

const manifestEntry = (blob: Buffer) => ({
  mediaType: MEDIA_TYPES.ociManifest,
  digest: sha256Digest(blob),
  size: blob.length,
});

describe('reading a damaged OCI layout', () => {
  it.each([
    ['index.json is not JSON', '{"manifests": ['],
    ['index.json is null', 'null'],
    ['an index entry is null', '{"schemaVersion":2,"manifests":[null]}'],
  ])('refuses a layout whose %s, naming index.json', async (_what, index) => {
    const dir = await craft(`index-${sha256Digest(index).slice(7, 15)}`, index);
    await expect(readOciLayout(dir)).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringMatching(new RegExp(`^${join(dir, 'index.json')}: not an OCI image index`)),
    });
  });

  it.each([
    [
      '{"schemaVersion":2,"manifests":[{"mediaType":"m","digest":"sha256:00","size":"1"}]}',
      'manifests[0].size must be a number',
    ],
    ['{"schemaVersion":2,"manifests":[{"mediaType":"m","size":1}]}', 'manifests[0].digest is missing'],
    ['{"schemaVersion":2,"manifests":{}}', 'manifests must be an array'],
  ])('names the field at fault in the index %s', async (index, field) => {
    const dir = await craft(`field-${sha256Digest(index).slice(7, 15)}`, index);
    await expect(readOciLayout(dir)).rejects.toMatchObject({
      code: 'invalid-input',
      message: `${join(dir, 'index.json')}: not an OCI image index: ${field}`,
      hint: `${dir} is not a valid OCI image layout`,
    });
  });

  it.each([
    ['not JSON', Buffer.from('garbage')],
    ['JSON without layers', Buffer.from('{"schemaVersion":2,"config":{"digest":"sha256:00","size":1}}')],
  ])('refuses a manifest blob that is %s, naming the blob', async (_what, manifest) => {
    const index = JSON.stringify({ schemaVersion: 2, manifests: [manifestEntry(manifest)] });
    const dir = await craft(`manifest-${sha256Digest(manifest).slice(7, 15)}`, index, [manifest]);
    await expect(readOciLayout(dir)).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringMatching(
        new RegExp(`^${blobPath(dir, sha256Digest(manifest))}: not an OCI image manifest`),
      ),
    });
  });

  describe('with blobs gone or changed', () => {
    let dir: string;
    let layer: string;
    let config: string;

    beforeAll(async () => {
      const image = await buildCheckpointImage(counterTar);
      dir = join(work, 'built');
      try {
        await writeOciLayout(image, dir, { refName: 'v1' });
        layer = image.manifest.layers[0]!.digest;
        config = image.manifest.config.digest;
      } finally {
        await image.dispose();
      }
    });

    it('refuses a config that no longer matches its digest when inspecting', async () => {
      // Same size, different bytes: only the digest can tell.
      const bytes = await readFile(blobPath(dir, config));
      await writeFile(blobPath(dir, config), Buffer.from(bytes.toString().replace('amd64', 'arm64')));
      await expect(inspectCheckpointImage(`oci:${dir}:v1`)).rejects.toMatchObject({
        code: 'integrity',
        message: expect.stringMatching(new RegExp(`^${blobPath(dir, config)}: image config has digest`)),
      });
    });

    it('says which blob is missing before anything is uploaded', async () => {
      await unlink(blobPath(dir, layer));
      await expect(readOciLayout(dir, 'v1')).rejects.toMatchObject({
        code: 'not-found',
        message: `${dir}: blob ${layer} is missing (${blobPath(dir, layer)})`,
      });
    });
  });
});
