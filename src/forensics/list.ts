/**
 * Checkpoint archives in directories (the kubelet's /var/lib/kubelet/checkpoints by default),
 * newest first. Each archive is read as `kcr show` reads it (compressed ones too): engine, pod,
 * namespace, container and checkpoint time come from its metadata. The kubelet's file name is the
 * fallback for an archive that cannot be read (`<namespace>-<container>` is then split at the
 * first `-`, which may be wrong), and the file's mtime the last resort for the time.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointArchive, type OpenOptions } from '../archive/archive.js';
import { readMetadata } from '../archive/engine.js';
import type { Engine } from '../archive/engine.js';
import { parseKubeletArchiveName, splitNamespaceContainer } from '../archive/kubelet-name.js';
import { fileError, KcrError } from '../errors.js';

export const KUBELET_CHECKPOINT_DIR = '/var/lib/kubelet/checkpoints';

export interface ListedArchive {
  path: string;
  namespace?: string;
  pod?: string;
  container?: string;
  engine?: Engine;
  /** When the checkpoint was taken (RFC 3339). */
  time?: string;
  /** Where `time` came from: the archive (config.dump, or its CRIU members), the kubelet's file name, or the file's mtime. */
  timeSource?: 'archive' | 'name' | 'mtime';
  size: number;
  /** The archive could not be read; the fields above come from its name only. */
  error?: string;
}

async function describe(
  path: string,
  fileName: string,
  size: number,
  mtime: Date,
  options: OpenOptions,
): Promise<ListedArchive> {
  const parsed = parseKubeletArchiveName(fileName);
  const entry: ListedArchive = parsed
    ? { path, size, time: parsed.time.toISOString(), timeSource: 'name', pod: parsed.pod }
    : { path, size, time: mtime.toISOString(), timeSource: 'mtime' };
  let archive: CheckpointArchive | undefined;
  try {
    archive = await CheckpointArchive.open(path, options);
    const { info } = await readMetadata(archive);
    const split = parsed ? splitNamespaceContainer(parsed.namespaceAndContainer, info) : undefined;
    entry.engine = info.engine;
    entry.namespace = info.namespace ?? split?.namespace;
    entry.container = info.container ?? split?.container;
    entry.pod = info.pod ?? entry.pod;
    const at = info.checkpointedAt ? new Date(info.checkpointedAt) : undefined;
    if (at && !Number.isNaN(at.getTime())) {
      entry.time = at.toISOString();
      entry.timeSource = 'archive';
    }
  } catch (err) {
    entry.error = err instanceof Error ? err.message : String(err);
    if (parsed && !entry.namespace) {
      const dash = parsed.namespaceAndContainer.indexOf('-');
      entry.namespace = parsed.namespaceAndContainer.slice(0, dash);
      entry.container = parsed.namespaceAndContainer.slice(dash + 1);
    }
  } finally {
    await archive?.close();
  }
  return entry;
}

export async function listArchives(dirs: string[], options: OpenOptions = {}): Promise<ListedArchive[]> {
  const out: ListedArchive[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      const e = fileError(dir, err);
      if (e.code === 'not-found' && dir === KUBELET_CHECKPOINT_DIR) {
        throw new KcrError('not-found', `${dir}: no such directory`, {
          hint: 'run kcr list on a node (the kubelet keeps checkpoints there), or name a directory',
        });
      }
      throw e;
    }
    for (const name of names) {
      if (!/\.tar(\.gz|\.zst)?$/.test(name)) continue;
      const path = join(dir, name);
      const st = await stat(path);
      if (!st.isFile()) continue;
      out.push(await describe(path, name, st.size, st.mtime, options));
    }
  }
  return out.sort((a, b) => (b.time ?? '').localeCompare(a.time ?? '') || a.path.localeCompare(b.path));
}
