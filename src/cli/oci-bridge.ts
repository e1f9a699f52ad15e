/**
 * Where the Kubernetes commands meet the registry (flags: ./registry-flags.ts, shared with
 * `kcr image`): publishing an archive as a checkpoint image
 * (restore, migrate) and fetching a checkpoint image's layer, which is the archive (restore
 * IMAGE_REF). The kube module takes these as functions, so it never imports oci itself.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KcrError } from '../errors.js';
import type { FetchedImage, FetchImageFn, PublishFn } from '../kube/index.js';
import {
  manifestReference,
  parseReference,
  publishCheckpointImage,
  withRegistry,
  type OciIndex,
  type OciManifest,
  type ProgressCallback,
  type RegistryOptions,
} from '../oci/index.js';

export function publisher(options: RegistryOptions, onProgress?: ProgressCallback): PublishFn {
  return (archivePath, reference, o) =>
    publishCheckpointImage(archivePath, reference, {
      ...options,
      ...(onProgress ? { onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.sourceNode ? { sourceNode: o.sourceNode } : {}),
    });
}

function singleManifest(bytes: Buffer, mediaType: string): OciManifest | OciIndex {
  const parsed = JSON.parse(bytes.toString('utf8')) as OciManifest | OciIndex;
  if (!('layers' in parsed) && !('manifests' in parsed))
    throw new KcrError('invalid-input', `unexpected manifest (${mediaType})`);
  return parsed;
}

/** Downloads the single layer of a checkpoint image (the archive) into a private temp file. */
export function imageFetcher(options: RegistryOptions): FetchImageFn {
  return async (input, signal): Promise<FetchedImage> => {
    const ref = parseReference(input);
    const dir = await mkdtemp(join(tmpdir(), 'kcr-image-'));
    const dispose = () => rm(dir, { recursive: true, force: true });
    try {
      return await withRegistry(
        ref.registry,
        ref.repository,
        'pull',
        { ...options, ...(signal ? { signal } : {}) },
        async (client) => {
          let got = await client.getManifest(manifestReference(ref), signal);
          let manifest = singleManifest(got.bytes, got.mediaType);
          if ('manifests' in manifest) {
            const first = manifest.manifests[0];
            if (!first) throw new KcrError('invalid-input', `${input}: empty image index`);
            got = await client.getManifest(first.digest, signal);
            manifest = singleManifest(got.bytes, got.mediaType);
          }
          const layer =
            'layers' in manifest && manifest.layers.length === 1 ? manifest.layers[0]! : undefined;
          if (!layer)
            throw new KcrError(
              'invalid-input',
              `${input}: not a checkpoint image (it should have exactly one layer)`,
            );
          const archivePath = join(dir, 'checkpoint.tar');
          const hash = createHash('sha256');
          const tee = new Transform({
            transform: (chunk: Buffer, _e, done) => (hash.update(chunk), done(null, chunk)),
          });
          const res = await client.getBlob(layer.digest, signal);
          await pipeline(res.body, tee, createWriteStream(archivePath, { mode: 0o600 }), { signal });
          if (`sha256:${hash.digest('hex')}` !== layer.digest) {
            throw new KcrError('integrity', `${input}: layer ${layer.digest} does not match its digest`, {
              hint: 'the registry returned different bytes; do not trust this image',
            });
          }
          return { archivePath, image: `${ref.registry}/${ref.repository}@${got.digest}`, dispose };
        },
      );
    } catch (err) {
      await dispose();
      throw err;
    }
  };
}
