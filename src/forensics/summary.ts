/** One line per archive for `kcr show`: who the container was and how big the checkpoint is. */
import type { Compression } from '../archive/decompress.js';
import type { CheckpointInfo } from '../archive/engine.js';
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
  };
}
