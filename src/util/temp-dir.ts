/**
 * The one owner of kcr's temporary directories: decompressed archives, image layers being built
 * or pulled, migrate's archive. They hold process memory, so each is private (mode 0700, as
 * mkdtemp makes it), and none outlives kcr: remove() at the end of the work, and whatever is still
 * there goes on exit, and on SIGINT/SIGTERM when nobody else handles them.
 *
 * Where: `KCR_TMPDIR` (from the caller's environment, default process.env), else the system's
 * temp directory; read here (tempRoot) and nowhere else. Names are
 * `kcr-<purpose>-<pid>-<random>`, so that a later run can tell a directory left by a kcr that was
 * killed (SIGKILL, power loss) from one a running kcr still uses: see tempDirOwner().
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KcrError, fileError } from '../errors.js';

export interface TempDir {
  /** The directory, empty and private when made. */
  readonly dir: string;
  /** Removes it and everything in it; safe to call twice. */
  remove(): Promise<void>;
}

const PURPOSE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** `kcr-<purpose>-<pid>-<6 random characters from mkdtemp>` */
const NAME = /^kcr-([a-z][a-z0-9-]*)-(\d+)-[A-Za-z0-9]{6}$/;

const live = new Set<string>();
let hooksInstalled = false;

/** Where kcr makes its temporary directories. */
export function tempRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.KCR_TMPDIR || tmpdir();
}

/** The purpose and the pid of the kcr that made a temp directory, from its name; undefined for other names. */
export function tempDirOwner(name: string): { purpose: string; pid: number } | undefined {
  const m = NAME.exec(name);
  return m ? { purpose: m[1]!, pid: Number(m[2]) } : undefined;
}

function removeAllNow(): void {
  for (const dir of live) {
    try {
      // Synchronous on purpose: exit and signal handlers cannot await.
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort while exiting */
    }
  }
  live.clear();
}

/**
 * On SIGINT/SIGTERM, a program that listens itself (kcr's CLI aborts its work, lets it clean up,
 * then exits) keeps control, and the exit hook removes what is left. Without another listener,
 * Node would have died of the signal and skipped 'exit': remove the directories, then die of the
 * same signal, as the default handler would have.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  removeAllNow();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', removeAllNow);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** A new private directory `kcr-<purpose>-<pid>-XXXXXX` under tempRoot(env). */
export async function makeTempDir(
  purpose: string,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<TempDir> {
  if (!PURPOSE.test(purpose)) throw new Error(`temp dir purpose ${JSON.stringify(purpose)}: use a-z, 0-9, -`);
  installHooks();
  const root = tempRoot(options.env);
  let dir: string;
  try {
    dir = await mkdtemp(join(root, `kcr-${purpose}-${process.pid}-`));
  } catch (err) {
    const e = fileError(root, err, 'cannot make a temporary directory');
    throw new KcrError(e.code, e.message, {
      hint: 'set KCR_TMPDIR to a writable directory with room for the archive',
      cause: err,
    });
  }
  live.add(dir);
  return {
    dir,
    remove: async () => {
      live.delete(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
