/**
 * Where a restore starts: an archive on disk (with the Pod saved beside it, if any), or a
 * checkpoint image. An image's manifest is read first, which is cheap: its annotations name the
 * container and the node it was checkpointed on. The layer, which is the whole archive, is pulled
 * only once every check has passed. Reading images belongs to the oci module; the caller passes
 * an ImageFetcher in (cli/oci-bridge.ts), so that kube does not import oci.
 */
import { readFile, stat } from 'node:fs/promises';
import type { V1Pod } from '@kubernetes/client-node';
import {
  CheckpointArchive,
  readMetadata,
  restoreFit,
  type CheckpointInfo,
  type Engine,
  type RestoreFit,
  type SpecDump,
} from '../archive/index.js';
import { KcrError, fileError } from '../errors.js';

/** What an image's manifest says, before its layer is pulled. */
export interface ImageFacts {
  /** The image pinned by digest (REGISTRY/REPOSITORY@sha256:…): what the Pod runs and fetch pulls. */
  image: string;
  /** True when the annotations make it a checkpoint image for CRI-O, containerd or Podman. */
  checkpoint: boolean;
  container?: string;
  pod?: string;
  namespace?: string;
  /** The node the checkpoint was taken on (`io.kcr.checkpoint.source.node`). */
  sourceNode?: string;
  /** The engine that wrote the archive (`org.criu.checkpoint.engine.name`), known before the layer is pulled. */
  engine?: Engine;
}

export interface FetchedImage {
  /** A local copy of the image's layer, which is the checkpoint archive. */
  archivePath: string;
  dispose(): Promise<void>;
}

export interface ImageFetcher {
  /** Reads the manifest and its annotations; downloads no layer. */
  inspect(reference: string, signal?: AbortSignal): Promise<ImageFacts>;
  /** Pulls the layer of `image` (the digest reference inspect returned) into a private temp file. */
  fetch(image: string, signal?: AbortSignal): Promise<FetchedImage>;
}

export interface Source {
  info: CheckpointInfo;
  spec: SpecDump;
  /** Why CRI-O and containerd could not restore the archive (empty where they can). */
  fit: RestoreFit;
  savedPod?: V1Pod;
  archivePath: string;
  /** Set when the source already is an image. */
  image?: string;
  dispose(): Promise<void>;
}

async function readSavedPod(path: string): Promise<V1Pod | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw fileError(path, err);
  }
  let pod: V1Pod;
  try {
    pod = JSON.parse(text) as V1Pod;
  } catch (err) {
    throw new KcrError('invalid-input', `${path}: ${(err as Error).message.toLowerCase()}`, {
      hint: 'move the damaged file away to restore from spec.dump',
    });
  }
  if (pod.kind !== 'Pod' || !pod.spec) throw new KcrError('invalid-input', `${path}: not a Pod object`);
  return pod;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile() || s.isDirectory(),
    () => false,
  );
}

/** An archive when the path exists; else an image reference, if images can be fetched and it looks like one. */
export async function sourceKind(
  source: string,
  fetcher: ImageFetcher | undefined,
): Promise<'archive' | 'image'> {
  if (await exists(source)) return 'archive';
  if (!fetcher || /^[./~]/.test(source) || source.endsWith('.tar')) {
    throw new KcrError('not-found', `${source}: no such archive`, {
      hint: 'give a checkpoint archive path or a checkpoint image reference (REGISTRY/REPO:TAG)',
    });
  }
  return 'image';
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

/** A local archive, with the Pod object kcr saved beside it (`ARCHIVE.pod.json`) if there is one. */
export async function openArchiveSource(path: string): Promise<Source> {
  const { info, spec, fit } = await readArchive(path);
  const savedPod = await readSavedPod(`${path}.pod.json`);
  return { info, spec, fit, ...(savedPod ? { savedPod } : {}), archivePath: path, dispose: async () => {} };
}

export async function inspectImageSource(
  fetcher: ImageFetcher,
  reference: string,
  signal?: AbortSignal,
): Promise<ImageFacts> {
  const facts = await fetcher.inspect(reference, signal);
  if (!facts.checkpoint) {
    throw new KcrError('invalid-input', `${reference}: not a checkpoint image (no checkpoint annotations)`, {
      hint: 'give an image made by `kcr image build`, `kcr restore --registry`, buildah or Podman from a checkpoint',
    });
  }
  return facts;
}

/** Pulls the layer of an inspected image and reads the archive's metadata. */
export async function fetchImageSource(
  fetcher: ImageFetcher,
  facts: ImageFacts,
  signal?: AbortSignal,
): Promise<Source> {
  const fetched = await fetcher.fetch(facts.image, signal);
  try {
    const { info, spec, fit } = await readArchive(fetched.archivePath);
    return {
      info,
      spec,
      fit,
      archivePath: fetched.archivePath,
      image: facts.image,
      dispose: () => fetched.dispose(),
    };
  } catch (err) {
    await fetched.dispose();
    throw err;
  }
}
