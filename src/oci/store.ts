/**
 * The local image store: an OCI layout under the user's data directory where `kcr image build -t REF`
 * keeps images for a later `kcr image push REF`, as buildah and Podman keep theirs. Index entries are
 * named by the full reference.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KcrError } from '../errors.js';
import { ANNOTATIONS, readCheckpointAnnotations } from './annotations.js';
import { manifestSchema } from './documents.js';
import { readIndex, readLayoutJson, writeIndex } from './layout.js';

export function imageStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KCR_IMAGE_STORE) return env.KCR_IMAGE_STORE;
  const data = env.XDG_DATA_HOME ?? join(env.HOME ?? homedir(), '.local', 'share');
  return join(data, 'kcr', 'images');
}

export interface StoredImage {
  reference: string;
  /** Manifest digest. */
  digest: string;
  /** Bytes of the layers as stored. */
  size: number;
  /** When the checkpoint was taken (the image's annotation), if recorded. */
  checkpointed?: string;
}

/** The images `kcr image build -t REF` keeps in the local store, by reference. */
export async function listStoredImages(env: NodeJS.ProcessEnv = process.env): Promise<StoredImage[]> {
  const dir = imageStoreDir(env);
  const index = await readIndex(dir);
  const out: StoredImage[] = [];
  for (const entry of index.manifests) {
    const reference = entry.annotations?.[ANNOTATIONS.refName];
    if (!reference) continue;
    const { value: manifest } = await readLayoutJson(dir, entry, 'OCI image manifest', manifestSchema);
    const checkpointed = readCheckpointAnnotations(entry.annotations ?? {}).checkpointedAt;
    out.push({
      reference,
      digest: entry.digest,
      size: manifest.layers.reduce((n, l) => n + l.size, 0),
      ...(checkpointed ? { checkpointed } : {}),
    });
  }
  return out.sort((a, b) => a.reference.localeCompare(b.reference));
}

/**
 * Removes `reference` from the local store, then the blobs no remaining image uses (an archive
 * layer is GiBs: leaving it would only move the disk space, not free it).
 */
export async function removeStoredImage(
  reference: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ reference: string; digest: string; freedBytes: number }> {
  const dir = imageStoreDir(env);
  const index = await readIndex(dir);
  const entry = index.manifests.find((m) => m.annotations?.[ANNOTATIONS.refName] === reference);
  if (!entry) {
    throw new KcrError('not-found', `${reference}: no such image in the local store (${dir})`, {
      hint: '`kcr image ls` lists the images kept there',
    });
  }
  index.manifests = index.manifests.filter((m) => m !== entry);
  await writeIndex(dir, index);
  const used = new Set<string>();
  for (const m of index.manifests) {
    used.add(m.digest);
    const manifest = (await readLayoutJson(dir, m, 'OCI image manifest', manifestSchema)).value;
    used.add(manifest.config.digest);
    for (const l of manifest.layers) used.add(l.digest);
  }
  let freedBytes = 0;
  const blobs = join(dir, 'blobs', 'sha256');
  for (const name of await readdir(blobs).catch(() => [] as string[])) {
    if (used.has(`sha256:${name}`)) continue;
    const path = join(blobs, name);
    freedBytes += (await stat(path)).size;
    await rm(path, { force: true });
  }
  return { reference, digest: entry.digest, freedBytes };
}

/** True when `reference` names an image in the local store. */
export async function isStoredImage(
  reference: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const index = await readIndex(imageStoreDir(env)).catch(() => undefined);
  return Boolean(index?.manifests.some((m) => m.annotations?.[ANNOTATIONS.refName] === reference));
}
