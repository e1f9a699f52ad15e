/** One line per archive for `kcr show`: who the container was and how big the checkpoint is. */
import type { Compression } from '../archive/decompress.js';
import type { CheckpointInfo } from '../archive/engine.js';
import { restoreFit, restorersOf, type Restorer } from '../archive/restorers.js';
import { KcrError } from '../errors.js';
import type { Checkpoint } from './checkpoint.js';
import { ROOTFS_DIFF } from './rootfs.js';

export interface CheckpointSizes {
  /** The archive as stored (compressed size for compressed input). */
  total: number;
  /** Dumped memory pages (checkpoint/pages-*.img). */
  memoryPages: number;
  /** Changed files of the writable layer (rootfs-diff.tar). */
  rootfsDiff: number;
}

export interface CheckpointSummary extends CheckpointInfo {
  archive: string;
  compression: Compression;
  sizes: CheckpointSizes;
  /**
   * The Kubernetes runtimes that can restore this checkpoint (archive/restorers.ts): each restores
   * only the archives it wrote, and neither a Podman export.
   */
  restorableBy: Restorer[];
}

export function summarize(cp: Checkpoint): CheckpointSummary {
  const pagesPrefix = cp.imageMember('pages-');
  return {
    archive: cp.path,
    ...cp.metadata.info,
    compression: cp.archive.compression,
    sizes: {
      total: cp.archive.byteSize,
      memoryPages: cp.archive.sizeOf((name) => name.startsWith(pagesPrefix) && name.endsWith('.img')),
      rootfsDiff: cp.archive.member(ROOTFS_DIFF)?.size ?? 0,
    },
    restorableBy: restorersOf(restoreFit(cp.archive, cp.metadata)),
  };
}

/**
 * For `kcr show`: the summary of a complete checkpoint. An archive without the CRIU dump
 * (no pstree.img: `checkpoint/` empty or missing) is refused by name, since a row would pass it
 * off as restorable; `kcr inspect` still reads its metadata, rootfs changes and log.
 */
export function showable(cp: Checkpoint): CheckpointSummary {
  if (!cp.hasImage('pstree.img')) {
    throw new KcrError(
      'invalid-input',
      `${cp.path}: not a complete checkpoint: it has no ${cp.imageMember('pstree.img')} (the CRIU dump is missing)`,
      {
        hint: 'it cannot be restored; kcr inspect --metadata --rootfs --log shows what it holds; take a new checkpoint',
      },
    );
  }
  return summarize(cp);
}
