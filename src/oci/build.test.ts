import { createHash } from 'node:crypto';
import { readFile, readdir, stat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATIONS } from './annotations.js';
import { buildCheckpointImage } from './build.js';
import { readOciLayout, writeOciLayout } from './layout.js';
import { MEDIA_TYPES, type OciIndex } from './media-types.js';
import { CONTAINERD_REAL_ARCHIVE } from '../testing/fixtures.js';

const fixtures = join(import.meta.dirname, '../../test/fixtures');
const podmanTar = join(fixtures, 'podman/busybox-counter.tar');
const podmanZst = join(fixtures, 'podman/busybox-counter.tar.zst');
const crioTar = join(fixtures, 'crio/checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar');
const containerdTar = join(fixtures, CONTAINERD_REAL_ARCHIVE);
const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

describe('buildCheckpointImage', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kcr-build-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes the archive itself the one uncompressed layer, with the archive digest as diff_id', async () => {
    const image = await buildCheckpointImage(crioTar);
    try {
      const bytes = await readFile(crioTar);
      expect(image.manifest.layers).toEqual([
        { mediaType: MEDIA_TYPES.ociLayerTar, digest: sha256(bytes), size: bytes.length },
      ]);
      expect(image.layer.path).toBe(crioTar);
      expect(image.config).toMatchObject({
        os: 'linux',
        architecture: 'amd64',
        rootfs: { type: 'layers', diff_ids: [sha256(bytes)] },
      });
      expect(image.manifest.config.digest).toBe(sha256(image.configBytes));
      expect(image.manifestDigest).toBe(sha256(image.manifestBytes));
    } finally {
      await image.dispose();
    }
  });

  it('annotates a CRI-O archive for CRI-O, containerd/checkpointctl and Podman restorers', async () => {
    const image = await buildCheckpointImage(crioTar, { sourceNode: 'node-1' });
    try {
      const a = image.manifest.annotations!;
      expect(a).toMatchObject({
        [ANNOTATIONS.crioName]: 'webserver',
        [ANNOTATIONS.criuContainerName]: 'webserver',
        [ANNOTATIONS.criuPodName]: 'webserver',
        [ANNOTATIONS.criuPodNamespace]: 'default',
        [ANNOTATIONS.criuEngine]: 'CRI-O',
        [ANNOTATIONS.podmanName]: 'webserver',
        [ANNOTATIONS.kcrSourceNode]: 'node-1',
        [ANNOTATIONS.kcrArchiveSha256]: image.layer.diffId,
      });
      expect(a[ANNOTATIONS.podmanRuntime]).toBe(image.info.runtime);
      expect(a[ANNOTATIONS.podmanRuntime]).toMatch(/^(runc|crun)$/);
      expect(a[ANNOTATIONS.criuRootfsImageName]).toBe(image.info.image);
      expect(Date.parse(a[ANNOTATIONS.created]!)).not.toBeNaN();
    } finally {
      await image.dispose();
    }
  });

  it('annotates a containerd archive with its shim for checkpointctl and the OCI runtime runc for Podman', async () => {
    const image = await buildCheckpointImage(containerdTar);
    try {
      expect(image.manifest.annotations).toMatchObject({
        [ANNOTATIONS.criuContainerName]: 'counter',
        [ANNOTATIONS.criuPodName]: 'counter-pod',
        [ANNOTATIONS.criuEngine]: 'containerd',
        [ANNOTATIONS.criuRuntime]: 'io.containerd.runc.v2',
        [ANNOTATIONS.podmanRuntime]: 'runc',
        [ANNOTATIONS.criuRootfsImageId]: image.info.imageId,
      });
      expect(image.info.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    } finally {
      await image.dispose();
    }
  });

  it('builds the same image twice from the same archive (created is the checkpoint time)', async () => {
    const a = await buildCheckpointImage(podmanTar);
    const b = await buildCheckpointImage(podmanTar);
    expect(a.manifestDigest).toBe(b.manifestDigest);
    await Promise.all([a.dispose(), b.dispose()]);
  });

  it('uses the decompressed tar as the layer of a zstd Podman export and removes it on dispose', async () => {
    const image = await buildCheckpointImage(podmanZst);
    const layerPath = image.layer.path;
    const tar = await readFile(layerPath);
    expect(tar.subarray(257, 262).toString()).toBe('ustar');
    expect(image.manifest.layers[0]!.digest).toBe(sha256(tar));
    expect(image.manifest.annotations![ANNOTATIONS.kcrSourceCompression]).toBe('zstd');
    await image.dispose();
    await expect(stat(layerPath)).rejects.toThrow();
  });

  it('gzips the layer on request, keeping the uncompressed digest as diff_id', async () => {
    const image = await buildCheckpointImage(podmanTar, { compression: 'gzip' });
    try {
      const packed = await readFile(image.layer.path);
      const original = await readFile(podmanTar);
      expect(image.manifest.layers[0]).toMatchObject({
        mediaType: MEDIA_TYPES.ociLayerGzip,
        digest: sha256(packed),
        size: packed.length,
      });
      expect(gunzipSync(packed).equals(original)).toBe(true);
      expect(image.config.rootfs.diff_ids).toEqual([sha256(original)]);
    } finally {
      await image.dispose();
    }
  });

  it('takes an explicit --platform over the archive', async () => {
    const image = await buildCheckpointImage(podmanTar, { platform: 'linux/arm64' });
    expect(image.config.architecture).toBe('arm64');
    await image.dispose();
  });

  it('writes a valid OCI layout whose index entry carries the manifest annotations, blobs mode 0600', async () => {
    const image = await buildCheckpointImage(podmanTar);
    const layout = join(dir, 'layout');
    try {
      await writeOciLayout(image, layout, { refName: 'v1' });
    } finally {
      await image.dispose();
    }
    expect(JSON.parse(await readFile(join(layout, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as OciIndex;
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.annotations).toMatchObject({
      ...image.manifest.annotations,
      'org.opencontainers.image.ref.name': 'v1',
    });
    const blobs = await readdir(join(layout, 'blobs/sha256'));
    expect(blobs.sort()).toEqual(
      [image.manifestDigest, image.manifest.config.digest, image.layer.diffId].map((d) => d.slice(7)).sort(),
    );
    for (const blob of blobs) {
      const path = join(layout, 'blobs/sha256', blob);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(sha256(await readFile(path))).toBe(`sha256:${blob}`);
    }
    // No temp file is left beside the layout's own files.
    expect((await readdir(layout)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
    const read = await readOciLayout(layout, 'v1');
    expect(read.manifestBytes.equals(image.manifestBytes)).toBe(true);
  });

  it('refuses a layout whose manifest blob was changed after writing', async () => {
    const layout = join(dir, 'layout');
    const { manifests } = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as OciIndex;
    const path = join(layout, 'blobs/sha256', manifests[0]!.digest.slice(7));
    const original = await readFile(path);
    await writeFile(path, Buffer.concat([original, Buffer.from(' ')]));
    try {
      await expect(readOciLayout(layout, 'v1')).rejects.toMatchObject({ code: 'integrity' });
    } finally {
      await writeFile(path, original);
    }
  });

  it('refuses a directory with an error that names it', async () => {
    await expect(buildCheckpointImage(fixtures)).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining(fixtures),
    });
  });
});
