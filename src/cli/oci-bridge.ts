/**
 * Where the Kubernetes commands meet the registry (flags: ./registry-flags.ts, shared with
 * `kcr image`): publishing an archive as a checkpoint image (restore, migrate) and fetching a
 * checkpoint image's layer, which is the archive (restore IMAGE_REF). The kube module takes
 * these as functions, so it never imports oci itself; oci (and archive) are loaded only when they
 * run, so that registering the commands stays cheap.
 */
import { join } from 'node:path';
import type { FetchedImage, ImageFacts, ImageFetcher, PublishFn } from '../kube/index.js';
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
 * Reads checkpoint images for `kcr restore IMAGE_REF`. inspect reads the manifest only (the
 * annotations name the container and the source node); fetch pulls the layer, pinned by the
 * digest inspect saw, into a private temp directory (KCR_TMPDIR or the system's) with the same
 * checks as `kcr image pull` (layer digest, diff_id, recorded archive sha256; gzip/zstd layers of
 * buildah- or Podman-made images are decompressed).
 */
export function imageFetcher(options: RegistryOptions, onProgress?: ProgressCallback): ImageFetcher {
  return {
    async inspect(reference, signal): Promise<ImageFacts> {
      const [{ inspectCheckpointImage, parseReference }, { engineByName }] = await Promise.all([
        import('../oci/index.js'),
        import('../archive/index.js'),
      ]);
      const info = await inspectCheckpointImage(reference, { ...options, ...(signal ? { signal } : {}) });
      const ref = parseReference(reference);
      return {
        image: `${ref.registry}/${ref.repository}@${info.digest}`,
        checkpoint: info.checkpoint,
        ...(info.container ? { container: info.container } : {}),
        ...(info.pod ? { pod: info.pod } : {}),
        ...(info.namespace ? { namespace: info.namespace } : {}),
        ...(info.sourceNode ? { sourceNode: info.sourceNode } : {}),
        ...(engineByName(info.engine) ? { engine: engineByName(info.engine) } : {}),
      };
    },
    async fetch(image, signal): Promise<FetchedImage> {
      const [{ pullCheckpointImage }, { makeTempDir }] = await Promise.all([
        import('../oci/index.js'),
        import('../archive/index.js'),
      ]);
      const temp = await makeTempDir('kcr-image-', options.env?.KCR_TMPDIR || undefined);
      try {
        const archivePath = join(temp.dir, 'checkpoint.tar');
        await pullCheckpointImage(image, archivePath, {
          ...options,
          ...(onProgress ? { onProgress } : {}),
          ...(signal ? { signal } : {}),
        });
        return { archivePath, dispose: temp.remove };
      } catch (err) {
        await temp.remove();
        throw err;
      }
    },
  };
}
