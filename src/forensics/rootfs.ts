/**
 * Changes to the container's writable layer: added or modified files from rootfs-diff.tar
 * (listed by offset, never extracted) and deletions from deleted.files.
 */
import { deletedFilesSchema, readOptionalJson } from '../archive/metadata.js';
import type { TarMember } from '../archive/tar-index.js';
import { ROOTFS_DIFF, type Checkpoint } from './checkpoint.js';

export interface RootfsFile {
  /** Absolute path inside the container. */
  path: string;
  type: TarMember['type'];
  size: number;
  mode: string;
  mtime: string;
  linkname?: string;
  /** The name would land outside the container root: a tampered archive. */
  unsafe?: boolean;
}

export interface RootfsChanges {
  /** Files added or modified since the image (runtimes do not say which of the two). */
  changed: RootfsFile[];
  deleted: string[];
}

export { ROOTFS_DIFF };

export function toRootfsFile(m: TarMember): RootfsFile {
  const file: RootfsFile = {
    path: '/' + m.name,
    type: m.type,
    size: m.size,
    mode: '0o' + m.mode.toString(8).padStart(4, '0'),
    mtime: m.mtime.toISOString(),
  };
  if (m.linkname) file.linkname = m.linkname;
  if (m.unsafe) file.unsafe = true;
  return file;
}

export async function rootfsChanges(cp: Checkpoint): Promise<RootfsChanges> {
  const tar = await cp.rootfsDiff();
  const changed = (tar?.members ?? []).filter((m) => m.type !== 'dir').map(toRootfsFile);
  const deleted = (await readOptionalJson(cp.archive, 'deleted.files', deletedFilesSchema)) ?? [];
  return { changed: changed.sort((a, b) => a.path.localeCompare(b.path)), deleted: [...deleted].sort() };
}
