/**
 * OCI image layouts (`oci-layout`, `index.json`, `blobs/sha256/…`), as skopeo's `oci:DIR` reads them.
 * Every file is written under a temporary name and renamed, so a crash never leaves a torn blob.
 * One mode rule for the whole layout: directories 0700, every file 0600 (blobs, and `index.json`
 * and `oci-layout` as well): the layer holds process memory, and the index names what is inside.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { KcrError, errnoCode, fileError } from '../errors.js';
import { copyFileAtomic, writeFileAtomic } from '../util/atomic-file.js';
import { parseJsonWith, type Source } from '../util/validate.js';
import { ANNOTATIONS } from './annotations.js';
import type { BlobSource, BuiltImage } from './build.js';
import { digestHex, isDigest, sha256Digest } from './digest.js';
import { indexSchema, manifestSchema } from './documents.js';
import { MEDIA_TYPES, type OciDescriptor, type OciIndex, type OciManifest } from './media-types.js';
import { throttled, type ProgressCallback } from './progress.js';

const LAYOUT_FILE = 'oci-layout';

export function blobPath(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', digestHex(digest));
}

/** Writes a layout file atomically (temp file in the same directory, then rename). */
async function writeLayoutFile(path: string, data: Buffer | string): Promise<void> {
  await writeFileAtomic(path, data, { mode: 0o600 }).catch((err: unknown) => {
    throw fileError(path, err, 'cannot write');
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw fileError(path, err);
  }
}

/** Copies a blob into the layout unless a blob of that digest and size is already there. */
async function putBlob(dir: string, blob: BlobSource, onProgress?: ProgressCallback): Promise<void> {
  const dest = blobPath(dir, blob.descriptor.digest);
  const have = await stat(dest).catch(() => undefined);
  if (have?.size === blob.descriptor.size) return;
  if (blob.data) return writeLayoutFile(dest, blob.data);
  if (!blob.path) throw new Error(`blob ${blob.descriptor.digest} has neither data nor path`);
  const report = throttled(onProgress, {
    phase: 'copy',
    label: `layer ${blob.descriptor.digest.slice(7, 19)}`,
    total: blob.descriptor.size,
  });
  await copyFileAtomic(blob.path, dest).catch((err: unknown) => {
    throw fileError(dest, err, 'cannot write');
  });
  report(blob.descriptor.size, true);
}

/** How a damaged layout file is reported: the file, what it should have been, the field at fault. */
function layoutSource(path: string, what: string, dir: string): Source {
  return { what: `${path}: not ${what}`, hint: `${dir} is not a valid OCI image layout` };
}

export async function readIndex(dir: string): Promise<OciIndex> {
  const path = join(dir, 'index.json');
  if (!(await exists(path))) return { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] };
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw fileError(path, err);
  });
  return parseJsonWith(indexSchema, text, layoutSource(path, 'an OCI image index', dir));
}

/**
 * A small blob of the layout (manifest, config) as JSON, checked against its digest first: the
 * layout may have been changed or damaged after it was written.
 */
export async function readLayoutJson<S extends z.ZodType>(
  dir: string,
  descriptor: OciDescriptor,
  what: string,
  schema: S,
): Promise<{ bytes: Buffer; value: z.output<S> }> {
  const path = blobPath(dir, descriptor.digest);
  const bytes = await readFile(path).catch((err: unknown) => {
    throw fileError(path, err);
  });
  const actual = sha256Digest(bytes);
  if (actual !== descriptor.digest) {
    throw new KcrError('integrity', `${path}: ${what} has digest ${actual}, expected ${descriptor.digest}`, {
      hint: 'the layout was changed or damaged after it was written',
    });
  }
  return { bytes, value: parseJsonWith(schema, bytes, layoutSource(path, `an ${what}`, dir)) };
}

export interface WriteLayoutOptions {
  /** `org.opencontainers.image.ref.name` of the index entry, e.g. the tag; replaces an entry of the same name. */
  refName?: string;
  onProgress?: ProgressCallback;
}

/** What a layout needs of an image: one layer, its config and manifest (a built checkpoint image is one). */
export type LayoutWritable = Pick<
  BuiltImage,
  'layer' | 'manifest' | 'manifestBytes' | 'manifestDigest' | 'configBytes' | 'platform'
>;

/** Adds a built image to the layout at `dir` (created if missing); returns the index entry. */
export async function writeOciLayout(
  image: LayoutWritable,
  dir: string,
  options: WriteLayoutOptions = {},
): Promise<OciDescriptor> {
  try {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fileError(dir, err, 'cannot create');
  }
  if (!(await exists(join(dir, LAYOUT_FILE)))) {
    await writeLayoutFile(join(dir, LAYOUT_FILE), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }
  await putBlob(dir, image.layer, options.onProgress);
  await putBlob(dir, { descriptor: image.manifest.config, data: image.configBytes });
  await putBlob(dir, { descriptor: manifestDescriptor(image), data: image.manifestBytes });
  const entry: OciDescriptor = {
    ...manifestDescriptor(image),
    // containerd reads the checkpoint annotations from the index entry, CRI-O from the manifest: both carry them.
    annotations: {
      ...image.manifest.annotations,
      ...(options.refName ? { [ANNOTATIONS.refName]: options.refName } : {}),
    },
    platform: image.platform,
  };
  const index = await readIndex(dir);
  const ref = options.refName;
  index.manifests = index.manifests.filter((m) =>
    ref ? m.annotations?.[ANNOTATIONS.refName] !== ref : m.digest !== entry.digest,
  );
  index.manifests.push(entry);
  await writeIndex(dir, index);
  return entry;
}

/** Replaces the layout's index.json (atomically: temporary name, then rename). */
export async function writeIndex(dir: string, index: OciIndex): Promise<void> {
  await writeLayoutFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: index.manifests,
      ...(index.annotations ? { annotations: index.annotations } : {}),
    }),
  );
}

export function manifestDescriptor(
  image: Pick<BuiltImage, 'manifestDigest' | 'manifestBytes'>,
): OciDescriptor {
  return {
    mediaType: MEDIA_TYPES.ociManifest,
    digest: image.manifestDigest,
    size: image.manifestBytes.length,
  };
}

export interface LayoutImage {
  dir: string;
  entry: OciDescriptor;
  manifest: OciManifest;
  manifestBytes: Buffer;
  /** Layers then config, each read from the layout's blob files. */
  blobs: BlobSource[];
}

function pickEntry(dir: string, index: OciIndex, refName: string | undefined): OciDescriptor {
  const names = index.manifests
    .map((m) => m.annotations?.[ANNOTATIONS.refName])
    .filter((n): n is string => !!n);
  if (refName !== undefined) {
    const found = isDigest(refName)
      ? index.manifests.find((m) => m.digest === refName)
      : index.manifests.find((m) => m.annotations?.[ANNOTATIONS.refName] === refName);
    if (found) return found;
    throw new KcrError('not-found', `${dir}: no image named ${refName}`, {
      hint: names.length ? `the layout holds: ${names.join(', ')}` : 'the layout holds no named images',
    });
  }
  const only = index.manifests[0];
  if (index.manifests.length === 1 && only) return only;
  throw new KcrError('usage', `${dir}: holds ${index.manifests.length} images; name one`, {
    hint: names.length
      ? `write oci:${dir}:NAME with NAME one of: ${names.join(', ')}`
      : 'the layout is empty',
  });
}

async function checkBlobFile(dir: string, path: string, blob: OciDescriptor): Promise<void> {
  const have = await stat(path).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT')
      throw new KcrError('not-found', `${dir}: blob ${blob.digest} is missing (${path})`, {
        hint: 'the layout is incomplete; write it again with `kcr image build ARCHIVE --oci-layout DIR`',
        cause: err,
      });
    throw fileError(path, err);
  });
  if (have.size !== blob.size) {
    throw new KcrError('integrity', `${path}: blob is ${have.size} bytes, the manifest says ${blob.size}`, {
      hint: 'the layout was changed or damaged after it was written',
    });
  }
}

/** Opens one image of a layout: by ref name or digest, or the only one. */
export async function readOciLayout(dir: string, refName?: string): Promise<LayoutImage> {
  if (!(await exists(join(dir, LAYOUT_FILE)))) {
    throw new KcrError('not-found', `${dir}: not an OCI image layout (no ${LAYOUT_FILE} file)`, {
      hint: 'write one with `kcr image build ARCHIVE --oci-layout DIR`',
    });
  }
  const entry = pickEntry(dir, await readIndex(dir), refName);
  if (entry.mediaType !== MEDIA_TYPES.ociManifest) {
    throw new KcrError(
      'invalid-input',
      `${dir}: ${entry.digest} is a ${entry.mediaType}, expected an OCI image manifest`,
    );
  }
  const { bytes: manifestBytes, value: manifest } = await readLayoutJson(
    dir,
    entry,
    'OCI image manifest',
    manifestSchema,
  );
  // Layers then config, the upload order.
  const blobs = [...manifest.layers, manifest.config].map((d) => ({
    descriptor: d,
    path: blobPath(dir, d.digest),
  }));
  // A missing or truncated blob would otherwise only fail mid-upload.
  for (const { descriptor, path } of blobs) await checkBlobFile(dir, path, descriptor);
  return { dir, entry, manifest, manifestBytes, blobs };
}
