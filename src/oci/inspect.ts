/**
 * `kcr image inspect`: what a checkpoint image holds, from its manifest and config only; the layer is
 * never downloaded. Works on registry references and on `oci:DIR[:NAME]` layouts.
 */
import { isCheckpointImage, readCheckpointAnnotations, type AnnotatedCheckpoint } from './annotations.js';
import { imageConfigSchema } from './documents.js';
import { readLayoutJson, readOciLayout } from './layout.js';
import type { Annotations, OciDescriptor, OciImageConfig, OciManifest } from './media-types.js';
import { parseLayoutReference, parseReference, toReference, type ImageReference } from './reference.js';
import { withRegistry, type RegistryOptions } from './registry-client.js';
import { resolveImage } from './resolve.js';
import { imageStoreDir, isStoredImage } from './store.js';

export interface InspectOptions extends RegistryOptions {
  platform?: string;
  signal?: AbortSignal;
  /** Look in the local image store (`kcr image build -t REF`) before the registry. */
  localFirst?: boolean;
}

export interface CheckpointImageInfo extends AnnotatedCheckpoint {
  reference: string;
  /** Manifest digest. */
  digest: string;
  mediaType: string;
  os: string;
  architecture: string;
  /** True when a restorer (CRI-O, containerd or Podman) would take it for a checkpoint. */
  checkpoint: boolean;
  /** Bytes of all layers as stored (compressed size for compressed layers). */
  size: number;
  layers: Pick<OciDescriptor, 'mediaType' | 'digest' | 'size'>[];
  annotations: Annotations;
}

function describe(
  reference: string,
  digest: string,
  mediaType: string,
  manifest: OciManifest,
  config: OciImageConfig,
  annotations: Annotations,
): CheckpointImageInfo {
  const facts = readCheckpointAnnotations(annotations);
  return {
    reference,
    digest,
    mediaType,
    os: config.os,
    architecture: config.architecture,
    checkpoint: isCheckpointImage(annotations),
    ...facts,
    created: facts.created ?? config.created,
    size: manifest.layers.reduce((sum, l) => sum + l.size, 0),
    layers: manifest.layers.map(({ mediaType: m, digest: d, size }) => ({ mediaType: m, digest: d, size })),
    annotations,
  };
}

/** One image of an OCI layout (a directory the user named, or the local store). */
async function fromLayout(reference: string, dir: string, refName?: string): Promise<CheckpointImageInfo> {
  const layout = await readOciLayout(dir, refName);
  const { value: config } = await readLayoutJson(
    layout.dir,
    layout.manifest.config,
    'image config',
    imageConfigSchema,
  );
  const annotations = { ...layout.entry.annotations, ...layout.manifest.annotations };
  return describe(
    reference,
    layout.entry.digest,
    layout.entry.mediaType,
    layout.manifest,
    config,
    annotations,
  );
}

export async function inspectCheckpointImage(
  reference: ImageReference | string,
  options: InspectOptions = {},
): Promise<CheckpointImageInfo> {
  const layoutRef = typeof reference === 'string' ? parseLayoutReference(reference) : undefined;
  if (typeof reference === 'string' && layoutRef) return fromLayout(reference, layoutRef.dir, layoutRef.tag);
  const ref = toReference(reference);
  if (options.localFirst && (await isStoredImage(ref.full, options.env)))
    return fromLayout(ref.full, imageStoreDir(options.env), ref.full);
  return withRegistry(ref.registry, ref.repository, 'pull', options, async (client) => {
    const image = await resolveImage(client, ref, options);
    return describe(
      ref.full,
      image.manifestDigest,
      image.mediaType,
      image.manifest,
      image.config,
      image.annotations,
    );
  });
}

/** Tags of a repository (the reference's tag, if any, is ignored). */
export async function listImageTags(reference: string, options: InspectOptions = {}): Promise<string[]> {
  const ref = parseReference(reference);
  return withRegistry(ref.registry, ref.repository, 'pull', options, (client) =>
    client.listTags(options.signal),
  );
}
