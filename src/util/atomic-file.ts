/**
 * Files are written under a temporary name in the target's directory, then renamed: a crash,
 * Ctrl-C or a failed check never leaves a half-written file under the real name. A target that
 * exists and is not a regular file is never renamed over (as root, `-o /dev/null` would replace the
 * system's /dev/null): a character device or FIFO is written into directly, anything else refused.
 */
import { constants as fsConstants, createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { KcrError } from '../errors.js';
import { basename, dirname, join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * `.<name>.kcr-<pid>-<random>.tmp` beside the target: the pid lets a later run tell the leftovers of
 * a kcr that was killed (kill -9, power loss: hundreds of MB of process memory) from a live one's.
 */
export function tempNameFor(path: string): string {
  // Web Crypto's global, not node:crypto: loading that module costs every command a few ms at start.
  const suffix = `.kcr-${process.pid}-${Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString('hex')}.tmp`;
  // A file name may be 255 bytes (NAME_MAX): a target name near it (kcr names archives after long
  // pod names) is cut, so that its temp name is still one the file system takes.
  const room = NAME_MAX - 1 - Buffer.byteLength(suffix);
  let base = basename(path);
  while (Buffer.byteLength(base) > room) base = base.slice(0, -1);
  return join(dirname(path), `.${base}${suffix}`);
}

const NAME_MAX = 255;

/**
 * A temp name beside `path`, after removing what killed kcr runs left in that directory: for
 * writers that stream into the temp file themselves (copies off a node, memory dumps).
 */
export async function freshTempNameFor(path: string): Promise<string> {
  await removeStaleTempFiles(dirname(path));
  return tempNameFor(path);
}

const TEMP_NAME = /^\..+\.kcr-(\d+)-[0-9a-f]{8}\.tmp$/;

/** True while a process with this pid exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files that kcr runs which no longer exist left in `dir` (see tempNameFor), so
 * that a killed write does not keep its bytes on disk past the next write there. Best effort: a
 * directory that cannot be read, or a file that cannot be removed, is left as it is.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    try {
      await rm(join(dir, name), { force: true });
      removed.push(name);
    } catch {
      /* someone else's file, or gone already */
    }
  }
  return removed;
}

export interface AtomicWriteOptions {
  /** Mode of the new file; archives and their parts hold secrets, so 0600 by default. */
  mode?: number;
  /** Runs after the data is written and before the rename; throw to discard the file. */
  verify?: () => void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * What `path` is now: absent or a regular file (write beside it, then rename), a stream-like special
 * file (write into it), or something kcr must not touch.
 */
export async function targetKind(path: string): Promise<'file' | 'stream'> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return 'file';
  }
  if (info.isFile()) return 'file';
  if (info.isCharacterDevice() || info.isFIFO()) return 'stream';
  const what = info.isDirectory()
    ? 'a directory'
    : info.isBlockDevice()
      ? 'a block device'
      : 'a special file';
  throw new KcrError('invalid-input', `${path}: is ${what}; kcr will not replace it`, {
    hint: 'name a new file, or a regular file to overwrite',
  });
}

/** Streams `source` (through optional transforms) into `path` atomically. */
export async function writeFileAtomic(
  path: string,
  source: Readable | Buffer | string,
  options: AtomicWriteOptions = {},
  ...transforms: Transform[]
): Promise<void> {
  const direct = (await targetKind(path)) === 'stream';
  const temp = direct ? path : await freshTempNameFor(path);
  try {
    const out = createWriteStream(
      temp,
      direct ? { flags: 'w' } : { mode: options.mode ?? 0o600, flags: 'wx' },
    );
    if (typeof source === 'string' || Buffer.isBuffer(source)) {
      await new Promise<void>((resolve, reject) => {
        out.on('error', reject);
        out.end(source, () => resolve());
      });
    } else {
      await pipeline([source, ...transforms, out], { signal: options.signal });
    }
    await options.verify?.();
    if (!direct) await rename(temp, path);
  } catch (err) {
    if (!direct) await rm(temp, { force: true });
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
  if ((await targetKind(path)) === 'stream') return writeFileAtomic(path, createReadStream(source), options);
  const temp = await freshTempNameFor(path);
  try {
    await copyFile(source, temp, fsConstants.COPYFILE_FICLONE);
    await chmod(temp, options.mode ?? 0o600);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Gives a finished temp file its name, 0600 whatever the umask said; into a device or FIFO that
 * already has the name, the bytes are copied instead (and the temp file removed).
 */
export async function commitTempFile(temp: string, path: string, mode = 0o600): Promise<void> {
  if ((await targetKind(path)) === 'stream') {
    try {
      await pipeline(createReadStream(temp), createWriteStream(path, { flags: 'w' }));
    } finally {
      await rm(temp, { force: true });
    }
    return;
  }
  await chmod(temp, mode);
  await rename(temp, path);
}
