/**
 * `kcr restore BACKUP_ID` and `kcr restore --latest`: which backup (from the catalog), then the
 * one restore path of ops. A backup in a file:// or s3:// store is read back (checked against its
 * record, decrypted with the identities given) into a private temp directory and restored as an
 * archive with the Pod object its record saved; a backup in an oci:// store already is a checkpoint
 * image, which the node pulls as it is.
 */
import { join } from 'node:path';
import { KcrError } from '../errors.js';
import { podSchema } from '../kube/index.js';
import { restore, type RestoreOptions, type RestoreResult } from '../ops/index.js';
import { makeTempDir } from '../util/temp-dir.js';
import type { BackupRow, Catalog } from './catalog.js';
import type { StreamEncryption } from './encryption/types.js';
import { readBackup } from './read-backup.js';
import type { BackupRecord } from './record.js';
import { backupNotFound } from './stores/store-errors.js';
import type { Store } from './stores/store.js';
import { transferEvents } from './transfer-events.js';

/** Which backup `--latest` means: the newest live one of this pod (and container), in this store. */
export interface LatestQuery {
  pod: string;
  namespace?: string;
  container?: string;
  store?: string;
}

function describe(q: LatestQuery): string {
  return `${q.namespace ?? '*'}/${q.pod}${q.container ? `/${q.container}` : ''}`;
}

/**
 * The newest backup of one container. Ambiguity is an error, not a guess: a pod backed up in two
 * namespaces needs -n, and a pod with several containers needs -c, because a restore makes one pod
 * from one container's checkpoint.
 */
export function latestBackup(catalog: Catalog, q: LatestQuery): BackupRow {
  const rows = catalog.query({
    pod: q.pod,
    ...(q.namespace !== undefined ? { namespace: q.namespace } : {}),
    ...(q.container !== undefined ? { container: q.container } : {}),
    ...(q.store !== undefined ? { store: q.store } : {}),
  });
  if (rows.length === 0) {
    throw new KcrError(
      'not-found',
      `no backup of ${describe(q)} in the catalog${q.store ? ` (store ${q.store})` : ''}`,
      {
        hint: 'list them with `kcr backups --pod POD`; run `kcr catalog sync` if the store changed elsewhere',
      },
    );
  }
  const distinct = (pick: (r: BackupRow) => string | undefined) => [...new Set(rows.map(pick))];
  const namespaces = distinct((r) => r.namespace);
  if (namespaces.length > 1) {
    throw new KcrError('usage', `pod ${q.pod} has backups in several namespaces: ${namespaces.join(', ')}`, {
      hint: 'name one with -n NAMESPACE',
    });
  }
  const containers = distinct((r) => r.container);
  if (containers.length > 1) {
    throw new KcrError('usage', `pod ${q.pod} has backups of several containers: ${containers.join(', ')}`, {
      hint: 'a restore makes a pod from one container: name it with -c CONTAINER',
    });
  }
  // The catalog sorts newest first (created_at, then id, whose time part sorts the same way).
  return rows[0]!;
}

export interface RestoreBackupOptions extends Omit<RestoreOptions, 'source'> {
  /** For an encrypted backup: the cipher and the identities that open it. */
  decryption?: { cipher: StreamEncryption; identities: readonly string[] };
}

export interface RestoreBackupResult extends RestoreResult {
  backup: BackupRecord;
}

/** Restores backup `id` from `store` through ops' restore. */
export async function restoreBackup(
  store: Store,
  id: string,
  options: RestoreBackupOptions,
): Promise<RestoreBackupResult> {
  const entry = await store.getEntry(id, options);
  if (entry.kind === 'Tombstone') throw backupNotFound(id, store.url, entry);
  const { decryption, ...restoreOptions } = options;
  const image = await store.checkpointImage?.(entry, options);
  if (image) return { ...(await restore({ ...restoreOptions, source: { image } })), backup: entry };

  if (!options.repository) {
    // Checked before a byte is read: the node pulls a checkpoint as an image, which kcr pushes first.
    throw new KcrError(
      'usage',
      `restoring backup ${id} from ${store.url} needs --registry REGISTRY/REPOSITORY`,
      {
        hint: 'the node pulls the checkpoint as an image: kcr pushes it there first',
      },
    );
  }
  const pod = entry.podObject ? podSchema.safeParse(entry.podObject) : undefined;
  if (pod && !pod.success) {
    throw new KcrError('invalid-input', `backup ${id}: the saved Pod object is not a Pod`, {
      hint: 'restore the archive itself: kcr backup get ID --output-file FILE, then kcr restore FILE',
    });
  }
  const temp = await makeTempDir('restore', options.env ? { env: options.env } : {});
  try {
    // The record's file name is outside input: only its compression suffix is kept.
    const suffix = /\.tar(\.gz|\.zst)?$/.exec(entry.archive.name)?.[0] ?? '.tar';
    const archive = join(temp.dir, `checkpoint${suffix}`);
    const onProgress = transferEvents(options.onEvent, 'download', `backup ${id}`);
    await readBackup(store, id, archive, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(decryption ? { decryption } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    const source = { archive, ...(pod?.data ? { pod: pod.data } : {}) };
    return { ...(await restore({ ...restoreOptions, source })), backup: entry };
  } finally {
    await temp.remove();
  }
}
