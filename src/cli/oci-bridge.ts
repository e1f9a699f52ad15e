/**
 * Where the Kubernetes commands meet the registry (flags: ./registry-flags.ts, shared with
 * `kcr image`): publishing an archive as a checkpoint image (restore, migrate) and fetching a
 * checkpoint image's layer, which is the archive (restore IMAGE_REF). The kube module takes
 * these as functions, so it never imports oci itself; oci is loaded only when they run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FetchedImage, FetchImageFn, PublishFn } from '../kube/index.js';
import type { ProgressCallback, RegistryOptions } from '../oci/index.js';

export function publisher(options: RegistryOptions, onProgress?: ProgressCallback): PublishFn {
  return async (archivePath, reference, o) => {
    const { publishCheckpointImage } = await import('../oci/index.js');
    return publishCheckpointImage(archivePath, reference, {
      ...options,
      ...(onProgress ? { onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.sourceNode ? { sourceNode: o.sourceNode } : {}),
    });
  };
}

/**
 * Pulls the image's archive into a private temp directory with the same checks as
 * `kcr image pull` (layer digest, diff_id, recorded archive sha256; gzip/zstd layers of
 * buildah- or Podman-made images are decompressed).
 */
export function imageFetcher(options: RegistryOptions): FetchImageFn {
  return async (input, signal): Promise<FetchedImage> => {
    const { parseReference, pullCheckpointImage } = await import('../oci/index.js');
    const dir = await mkdtemp(join(tmpdir(), 'kcr-image-'));
    const dispose = () => rm(dir, { recursive: true, force: true });
    try {
      const archivePath = join(dir, 'checkpoint.tar');
      const pulled = await pullCheckpointImage(input, archivePath, {
        ...options,
        ...(signal ? { signal } : {}),
      });
      const ref = parseReference(input);
      return { archivePath, image: `${ref.registry}/${ref.repository}@${pulled.digest}`, dispose };
    } catch (err) {
      await dispose();
      throw err;
    }
  };
}
