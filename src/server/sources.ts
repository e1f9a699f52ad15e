/**
 * Where the dashboard's checkpoints come from, and the one place that turns an API id into a
 * file: every id is `<root key>/<path inside that root>`, resolved and then checked to lie inside
 * the root, symlinks followed (realpath), so `..`, absolute paths and links out are refused.
 * Roots are the directories (and single archives) `kcr ui` was given, and the uploads directory.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { KcrError } from '../errors.js';
import { listArchives, type ListedArchive } from '../forensics/index.js';
import type { CheckpointListItem, CheckpointOrigin } from './api-types.js';

export interface Root {
  /** `d0`, `d1`… for directories, `f0`… for single archives, `upload` for uploads. */
  key: string;
  kind: CheckpointOrigin;
  /** The directory, resolved to its real path. */
  dir: string;
  /** For a single archive given by path: the one file name the root serves. */
  only?: string;
}

const ARCHIVE_NAME = /\.tar(\.gz|\.zst)?$/;

function refused(id: string): KcrError {
  return new KcrError('invalid-input', `${id}: not a checkpoint this dashboard serves`, {
    hint: 'use the ids GET /api/v1/checkpoints lists; paths outside the configured directories are refused',
  });
}

/** Roots from `kcr ui PATH…`: directories as they are, archives as one-file roots. */
export async function makeRoots(paths: string[], uploadsDir: string): Promise<Root[]> {
  const roots: Root[] = [];
  let dirs = 0;
  let files = 0;
  for (const path of paths) {
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      throw new KcrError('not-found', `${path}: no such file or directory`, {
        hint: 'give kcr ui directories of checkpoint archives, or archive files',
      });
    }
    if ((await stat(real)).isDirectory()) roots.push({ key: `d${dirs++}`, kind: 'directory', dir: real });
    else {
      const dir = resolve(real, '..');
      roots.push({ key: `f${files++}`, kind: 'directory', dir, only: basename(real) });
    }
  }
  roots.push({ key: 'upload', kind: 'upload', dir: await realpath(uploadsDir) });
  return roots;
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/** The file an id names, refused unless it lies inside its root (after following symlinks). */
export async function resolveId(roots: readonly Root[], id: string): Promise<{ root: Root; path: string }> {
  const slash = id.indexOf('/');
  const root = slash > 0 ? roots.find((r) => r.key === id.slice(0, slash)) : undefined;
  const rest = slash > 0 ? id.slice(slash + 1) : '';
  if (!root || rest === '' || rest.includes('\0') || isAbsolute(rest)) throw refused(id);
  const path = resolve(root.dir, rest);
  if (!inside(root.dir, path) || (root.only !== undefined && rest !== root.only)) throw refused(id);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new KcrError('not-found', `${id}: no such checkpoint`, {
      hint: 'it may have been removed; reload the checkpoints list',
    });
  }
  if (!inside(root.dir, real)) throw refused(id);
  return { root, path: real };
}

function toItem(root: Root, entry: ListedArchive): CheckpointListItem {
  const rel = relative(root.dir, entry.path).split(sep).join('/');
  const item: CheckpointListItem = {
    id: `${root.key}/${rel}`,
    name: basename(entry.path),
    origin: root.kind,
    size: entry.size,
    encrypted: false,
  };
  for (const key of ['namespace', 'pod', 'container', 'engine', 'time', 'error'] as const) {
    const value = entry[key];
    if (value !== undefined) item[key] = value;
  }
  return item;
}

/** Every archive in every root, read as `kcr list` reads them; newest first. */
export async function listCheckpoints(roots: readonly Root[]): Promise<CheckpointListItem[]> {
  const items: CheckpointListItem[] = [];
  for (const root of roots) {
    const listed = await listArchives([root.dir]);
    for (const entry of listed) {
      const name = basename(entry.path);
      if (root.only !== undefined ? name !== root.only : !ARCHIVE_NAME.test(name)) continue;
      items.push(toItem(root, entry));
    }
  }
  return items.sort((a, b) => (b.time ?? '').localeCompare(a.time ?? '') || a.id.localeCompare(b.id));
}

/** The list entry of one resolved archive (after an upload). */
export async function describeOne(root: Root, path: string): Promise<CheckpointListItem> {
  const listed = await listArchives([root.dir]);
  const entry = listed.find((e) => e.path === path);
  if (!entry) throw new KcrError('not-found', `${basename(path)}: not found after upload`);
  return toItem(root, entry);
}
