/**
 * Files are written under a temporary name in the target's directory, then renamed: a crash,
 * Ctrl-C or a failed check never leaves a half-written file under the real name.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, createWriteStream } from 'node:fs';
import { chmod, copyFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.kcr-${randomBytes(4).toString('hex')}.tmp`);
}

export interface AtomicWriteOptions {
  /** Mode of the new file; archives and their parts hold secrets, so 0600 by default. */
  mode?: number;
  /** Runs after the data is written and before the rename; throw to discard the file. */
  verify?: () => void | Promise<void>;
  signal?: AbortSignal;
}

/** Streams `source` (through optional transforms) into `path` atomically. */
export async function writeFileAtomic(
  path: string,
  source: Readable | Buffer | string,
  options: AtomicWriteOptions = {},
  ...transforms: Transform[]
): Promise<void> {
  const temp = tempNameFor(path);
  try {
    const out = createWriteStream(temp, { mode: options.mode ?? 0o600, flags: 'wx' });
    if (typeof source === 'string' || Buffer.isBuffer(source)) {
      await new Promise<void>((resolve, reject) => {
        out.on('error', reject);
        out.end(source, () => resolve());
      });
    } else {
      await pipeline([source, ...transforms, out], { signal: options.signal });
    }
    await options.verify?.();
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Copies `source` to `path` atomically: a reflink where the file system has them (instant, no extra
 * space), a plain copy otherwise, into a temp file that gets `mode` and is then renamed.
 */
export async function copyFileAtomic(
  source: string,
  path: string,
  options: { mode?: number } = {},
): Promise<void> {
  const temp = tempNameFor(path);
  try {
    await copyFile(source, temp, fsConstants.COPYFILE_FICLONE);
    await chmod(temp, options.mode ?? 0o600);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
