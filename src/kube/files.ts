/**
 * Local files kcr writes from a cluster (archives, saved Pod objects). They hold process memory
 * and secrets, so they are 0600 from the first byte, and they appear under their final name
 * only when complete (temp name in the same directory, then rename).
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileError } from '../errors.js';

export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.kcr-${randomBytes(4).toString('hex')}.tmp`);
}

export async function writePrivateFile(path: string, content: string | Uint8Array): Promise<void> {
  const temp = tempNameFor(path);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await commitPrivateFile(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw fileError(path, err, 'cannot write');
  }
}

/** Moves a finished temp file to its name, 0600 whatever the umask said. */
export async function commitPrivateFile(temp: string, path: string): Promise<void> {
  await chmod(temp, 0o600);
  await rename(temp, path);
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
