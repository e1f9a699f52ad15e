/**
 * Where a restore starts: an archive on disk (with the Pod saved beside it, if any), or a
 * checkpoint image. An image's manifest is read first, which is cheap: its annotations name the
 * container and the node it was checkpointed on. The layer, which is the whole archive, is pulled
 * into a private temp directory only once every check has passed.
 */
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { V1Pod } from '@kubernetes/client-node';
import {
  CheckpointArchive,
  engineByName,
  readMetadata,
  restoreFit,
  type CheckpointInfo,
  type Engine,
  type RestoreFit,
  type SpecDump,
} from '../archive/index.js';
import { KcrError, fileError } from '../errors.js';
import {
  inspectCheckpointImage,
  pullCheckpointImage,
  withDigest,
  type ImageReference,
  type RegistryOptions,
  type TransferProgress,
} from '../oci/index.js';
import { podSchema } from '../kube/index.js';
import { makeTempDir } from '../util/temp-dir.js';
import { parseJsonWith } from '../util/validate.js';

/**
 * What to restore: a checkpoint archive on disk, or a checkpoint image in a registry. For an
 * archive, `pod` is the Pod object saved at checkpoint time (CheckpointOutcome.pod), for callers
 * that keep it elsewhere (a backup catalog); without it, `ARCHIVE.pod.json` is read if it exists.
 */
export type RestoreSource = { archive: string; pod?: V1Pod } | { image: ImageReference };

/** What an image's manifest says, before its layer is pulled. */
export interface ImageFacts {
  /** The image pinned by digest: what the Pod runs and what is pulled. */
  image: ImageReference;
  container?: string;
  /** The node the checkpoint was taken on (`io.kcr.checkpoint.source.node`). */
  sourceNode?: string;
  /** The engine that wrote the archive (`org.criu.checkpoint.engine.name`), known before the layer is pulled. */
  engine?: Engine;
}

export interface Source {
  info: CheckpointInfo;
  spec: SpecDump;
  /** Why CRI-O and containerd could not restore the archive (empty where they can). */
  fit: RestoreFit;
  savedPod?: V1Pod;
  archivePath: string;
  /** Set when the source already is an image (REGISTRY/REPOSITORY@DIGEST). */
  image?: string;
  dispose(): Promise<void>;
}

export interface ImageAccess extends RegistryOptions {
  /** Private keys that open an encrypted (ocicrypt) checkpoint image's layer. */
  identities?: readonly KeyObject[];
  signal?: AbortSignal;
  onProgress?: (progress: TransferProgress) => void;
}

async function readSavedPod(path: string): Promise<V1Pod | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw fileError(path, err);
  }
  const hint = 'move the damaged file away to restore from spec.dump';
  const pod = parseJsonWith(podSchema, text, { what: path, hint });
  if (pod.kind !== 'Pod' || !pod.spec)
    throw new KcrError('invalid-input', `${path}: not a Pod object`, { hint });
  return pod;
}

async function readArchive(path: string): Promise<{ info: CheckpointInfo; spec: SpecDump; fit: RestoreFit }> {
  const archive = await CheckpointArchive.open(path);
  try {
    const metadata = await readMetadata(archive);
    return { info: metadata.info, spec: metadata.spec, fit: restoreFit(archive, metadata) };
  } finally {
    await archive.close();
  }
}

/** A local archive, with the Pod object given, or the one kcr saved beside it (`ARCHIVE.pod.json`) if there is one. */
export async function openArchiveSource(path: string, pod?: V1Pod): Promise<Source> {
  const { info, spec, fit } = await readArchive(path);
  const savedPod = pod ?? (await readSavedPod(`${path}.pod.json`));
  return { info, spec, fit, ...(savedPod ? { savedPod } : {}), archivePath: path, dispose: async () => {} };
}

/** Reads the manifest and its annotations (no layer) and refuses an image that is not a checkpoint. */
export async function inspectImageSource(reference: ImageReference, o: ImageAccess): Promise<ImageFacts> {
  const info = await inspectCheckpointImage(reference, o);
  if (!info.checkpoint) {
    throw new KcrError(
      'invalid-input',
      `${reference.full}: not a checkpoint image (no checkpoint annotations)`,
      {
        hint: 'give an image made by `kcr image build`, `kcr restore --registry`, buildah or Podman from a checkpoint',
      },
    );
  }
  return {
    image: withDigest(reference, info.digest),
    ...(info.container ? { container: info.container } : {}),
    ...(info.sourceNode ? { sourceNode: info.sourceNode } : {}),
    ...(engineByName(info.engine) ? { engine: engineByName(info.engine) } : {}),
  };
}

/**
 * Pulls the layer of an inspected image, pinned by the digest inspect saw, into a private temp
 * directory, with the checks of `kcr image pull` (layer digest, diff_id, recorded archive sha256;
 * gzip/zstd layers of buildah- or Podman-made images are decompressed), and reads its metadata.
 */
export async function fetchImageSource(facts: ImageFacts, o: ImageAccess): Promise<Source> {
  const temp = await makeTempDir('image', { env: o.env });
  try {
    const archivePath = join(temp.dir, 'checkpoint.tar');
    await pullCheckpointImage(facts.image, archivePath, o);
    const { info, spec, fit } = await readArchive(archivePath);
    return { info, spec, fit, archivePath, image: facts.image.full, dispose: temp.remove };
  } catch (err) {
    await temp.remove();
    throw err;
  }
}
