/**
 * Local files kcr writes from a cluster (archives, saved Pod objects). They hold process memory
 * and secrets, so they are 0600 from the first byte, and they appear under their final name
 * only when complete (./atomic-file.ts: temp name in the same directory, then rename).
 */
import { chmod, rename } from 'node:fs/promises';
import { fileError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';

export async function writePrivateFile(path: string, content: string): Promise<void> {
  try {
    await writeFileAtomic(path, content, { mode: 0o600 });
  } catch (err) {
    throw fileError(path, err, 'cannot write');
  }
}

/** Moves a finished temp file to its name, 0600 whatever the umask said. */
export async function commitPrivateFile(temp: string, path: string): Promise<void> {
  await chmod(temp, 0o600);
  await rename(temp, path);
}
