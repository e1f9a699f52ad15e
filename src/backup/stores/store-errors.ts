/** The errors every store words the same way: a missing backup, and a write that failed. */
import { errnoCode, KcrError } from '../../errors.js';
import type { StoreEntry } from '../record.js';

export function backupNotFound(id: string, url: string, tombstone?: StoreEntry): KcrError {
  if (tombstone?.kind === 'Tombstone') {
    return new KcrError(
      'not-found',
      `backup ${id} was removed from ${url} at ${tombstone.removedAt}: ${tombstone.reason}`,
      {
        hint: 'only its record is kept (as a tombstone, so the chain stays checkable); `kcr backups` lists what remains',
      },
    );
  }
  return new KcrError('not-found', `backup ${id} is not in ${url}`, {
    hint: 'see `kcr backups`; run `kcr catalog sync` if the store changed elsewhere',
  });
}

/** Turns a failed store operation into a user-facing error; KcrErrors pass through unchanged. */
export function storeWriteError(url: string, err: unknown, what = 'cannot write'): KcrError {
  if (err instanceof KcrError) return err;
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new KcrError('io', `${url}: no space left on the device; nothing was stored`, {
      hint: 'free space there, or prune old backups with `kcr prune --store …`',
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new KcrError('io', `${url}: permission denied`, {
      hint: 'choose a store directory you can write, or run kcr as its owner',
      cause: err,
    });
  }
  if (code === 'ABORT_ERR' || (err instanceof Error && err.name === 'AbortError')) {
    return new KcrError('cancelled', `${url}: cancelled; nothing was stored`, { cause: err });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new KcrError('io', `${url}: ${what}: ${detail}`, { cause: err });
}

/** A record file that names another backup than the one it sits under. */
export function recordMisplaced(where: string, found: string, id: string): KcrError {
  return new KcrError('integrity', `${where}: holds the record of ${found}, not ${id}`, {
    hint: 'a record was moved between backups; run `kcr verify` on both',
  });
}

/** A record whose data object or file is gone. */
export function dataMissing(url: string, id: string, cause: unknown): KcrError {
  return new KcrError('integrity', `${url}: backup ${id} has a record but no data`, {
    hint: "the data was removed behind kcr's back; `kcr verify --chain` shows what else is missing",
    cause,
  });
}
