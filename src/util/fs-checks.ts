/** Questions about a path that treat "cannot stat it" as "no": the caller reports the real error later. */
import { lstat, stat } from 'node:fs/promises';

export async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Anything at all at `path` (a dangling symlink counts: something is in the way). */
export async function pathExists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
