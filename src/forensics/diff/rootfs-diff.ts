/**
 * What changed in the container's filesystem between two checkpoints. Each archive only says
 * what differs from the image (rootfs-diff.tar, deleted.files); comparing the two lists, and the
 * contents of files listed in both by size and sha256 (hashed by offset, never extracted), gives
 * the change from A to B.
 */
import { createHash } from 'node:crypto';
import type { NestedTar } from '../../archive/nested-tar.js';
import type { TarMember } from '../../archive/tar-index.js';
import type { Checkpoint } from '../checkpoint.js';
import { rootfsChanges } from '../rootfs.js';

export interface RootfsEntry {
  path: string;
  type: TarMember['type'];
  size: number;
  sha256?: string;
  linkname?: string;
}

export interface RootfsEntryChange {
  path: string;
  a: RootfsEntry;
  b: RootfsEntry;
}

export interface RootfsDiff {
  /** In B's diff and not in A's: written since A. */
  added: RootfsEntry[];
  /** In both diffs with different contents (size, sha256, type or link target). */
  changed: RootfsEntryChange[];
  /** Deleted since A (in B's deleted.files, not in A's). */
  deleted: string[];
  /** Back to the image's version: in A's diff or deleted.files, in neither of B's. */
  reverted: string[];
  /** In both diffs with the same contents (listed only when asked). */
  unchanged?: RootfsEntry[];
}

async function hashMember(tar: NestedTar, member: TarMember): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of tar.stream(member)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The rootfs-diff entries of a checkpoint by path, regular files hashed. */
async function entries(cp: Checkpoint): Promise<Map<string, RootfsEntry>> {
  const out = new Map<string, RootfsEntry>();
  const tar = await cp.rootfsDiff();
  for (const m of tar?.members ?? []) {
    if (m.type === 'dir') continue;
    const entry: RootfsEntry = { path: '/' + m.name, type: m.type, size: m.size };
    if (m.linkname) entry.linkname = m.linkname;
    if (m.type === 'file' && !m.unsafe) entry.sha256 = await hashMember(tar!, m);
    out.set(entry.path, entry);
  }
  return out;
}

const same = (x: RootfsEntry, y: RootfsEntry) =>
  x.type === y.type && x.size === y.size && x.sha256 === y.sha256 && x.linkname === y.linkname;

const byPath = <T extends { path: string }>(list: T[]) => list.sort((x, y) => x.path.localeCompare(y.path));

export async function diffRootfs(a: Checkpoint, b: Checkpoint, showUnchanged = false): Promise<RootfsDiff> {
  const [filesA, filesB] = [await entries(a), await entries(b)];
  const deletedA = new Set((await rootfsChanges(a)).deleted);
  const deletedB = new Set((await rootfsChanges(b)).deleted);
  const diff: RootfsDiff = { added: [], changed: [], deleted: [], reverted: [] };
  const unchanged: RootfsEntry[] = [];
  for (const [path, entry] of filesB) {
    const before = filesA.get(path);
    if (!before) diff.added.push(entry);
    else if (!same(before, entry)) diff.changed.push({ path, a: before, b: entry });
    else unchanged.push(entry);
  }
  for (const path of deletedB) if (!deletedA.has(path)) diff.deleted.push(path);
  for (const path of new Set([...filesA.keys(), ...deletedA])) {
    if (!filesB.has(path) && !deletedB.has(path)) diff.reverted.push(path);
  }
  byPath(diff.added);
  byPath(diff.changed);
  diff.deleted.sort();
  diff.reverted.sort();
  if (showUnchanged) diff.unchanged = byPath(unchanged);
  return diff;
}
