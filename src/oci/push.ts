/** Pushing: blobs (skipped, mounted or uploaded), then the manifest under the tag. */
import { KcrError } from '../errors.js';
import type { BlobSource } from './build.js';
import { readOciLayout } from './layout.js';
import { MEDIA_TYPES, type OciManifest } from './media-types.js';
import type { ProgressCallback } from './progress.js';
import { manifestReference, parseLayoutReference, parseReference, type ImageReference } from './reference.js';
import { withRegistry, type RegistryClient, type RegistryOptions } from './registry-client.js';
import { uploadBlob, type UploadOptions, type UploadResult } from './upload.js';

export interface PushOptions extends RegistryOptions {
  /** Repositories on the target registry to try mounting blobs from. */
  mountFrom?: string[];
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface PushResult {
  reference: string;
  /** The manifest digest: `REGISTRY/REPO@<digest>` addresses exactly what was pushed. */
  digest: string;
  manifest: OciManifest;
  blobs: { digest: string; size: number; result: UploadResult }[];
}

export interface PushableImage {
  manifest: OciManifest;
  manifestBytes: Buffer;
  manifestMediaType?: string;
  blobs: BlobSource[];
}

/** A push goes to a tag: `REGISTRY/REPO@sha256:…` names what a registry computes, not a place. */
export function checkPushTarget(target: ImageReference): void {
  if (target.digest && !target.tag) {
    throw new KcrError('usage', `${target.full}: push needs a tag, not a digest`, {
      hint: 'write REGISTRY/REPOSITORY:TAG',
    });
  }
}

export async function pushImage(
  image: PushableImage,
  target: ImageReference,
  options: PushOptions = {},
): Promise<PushResult> {
  checkPushTarget(target);
  return withRegistry(target.registry, target.repository, 'push', options, (client) =>
    pushWith(client, image, target, options),
  );
}

/** The upload options a push passes on for one blob. */
export function uploadOptions(options: PushOptions, label: string): UploadOptions {
  return {
    label,
    ...(options.mountFrom ? { mountFrom: options.mountFrom } : {}),
    ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/**
 * Pushes the blobs (each skipped, mounted or uploaded) and the manifest over an open client.
 * `uploaded`: digests this push has sent already (a layer hashed while it was uploaded).
 */
export async function pushWith(
  client: RegistryClient,
  image: PushableImage,
  target: ImageReference,
  options: PushOptions = {},
  uploaded: ReadonlySet<string> = new Set(),
): Promise<PushResult> {
  const blobs: PushResult['blobs'] = [];
  for (const blob of image.blobs) {
    const isConfig = blob.descriptor.digest === image.manifest.config.digest;
    const result = uploaded.has(blob.descriptor.digest)
      ? 'uploaded'
      : await uploadBlob(client, blob, uploadOptions(options, isConfig ? 'config' : 'layer'));
    blobs.push({ digest: blob.descriptor.digest, size: blob.descriptor.size, result });
  }
  const digest = await client.putManifest(
    manifestReference(target),
    image.manifestBytes,
    image.manifestMediaType ?? image.manifest.mediaType ?? MEDIA_TYPES.ociManifest,
    options.signal,
  );
  return { reference: target.full, digest, manifest: image.manifest, blobs };
}

/** Pushes one image of an OCI layout (`oci:DIR[:NAME]`, or a plain directory path) to `reference`. */
export async function pushOciLayout(
  source: string,
  reference: string,
  options: PushOptions = {},
): Promise<PushResult> {
  const layoutRef = parseLayoutReference(source) ?? { dir: source };
  const layout = await readOciLayout(layoutRef.dir, layoutRef.tag);
  return pushImage(
    {
      manifest: layout.manifest,
      manifestBytes: layout.manifestBytes,
      manifestMediaType: layout.entry.mediaType,
      blobs: layout.blobs,
    },
    parseReference(reference),
    options,
  );
}
