/** Pin, unpin and remove one backup: the store changes first, then the catalog follows. */
import { KcrError } from '../errors.js';
import type { Catalog } from './catalog.js';
import { sealRecord, toTombstone, type BackupRecord, type Tombstone } from './record.js';
import type { NamedStore } from './stores.js';
import { backupNotFound } from './stores/store-errors.js';

/** The store that holds backup `id`, per the catalog. */
export function locateBackup(catalog: Catalog, id: string): string {
  const found = catalog.findEntry(id);
  if (found.length === 0) {
    throw new KcrError('not-found', `backup ${id} is not in the catalog`, {
      hint: 'see `kcr backups`; run `kcr catalog sync` if the store changed elsewhere',
    });
  }
  if (found.length > 1) {
    throw new KcrError(
      'conflict',
      `backup ${id} is in several stores: ${found.map((f) => f.store).join(', ')}`,
      {
        hint: 'name one with --store',
      },
    );
  }
  return found[0]!.store;
}

async function liveRecord(named: NamedStore, id: string): Promise<BackupRecord> {
  const entry = await named.store.getEntry(id);
  if (entry.kind === 'Tombstone') throw backupNotFound(id, named.store.url, entry);
  return entry;
}

export async function setPinned(
  catalog: Catalog,
  named: NamedStore,
  id: string,
  pinned: boolean,
): Promise<BackupRecord> {
  const record = await liveRecord(named, id);
  // `pinned` is outside the hash, so pinning keeps the chain intact; sealRecord re-derives the same hash.
  const updated = sealRecord({ ...record, pinned });
  if (record.pinned !== pinned) await named.store.updateRecord(updated);
  catalog.upsertEntry(named.name, updated);
  return updated;
}

/** Removes a backup's data, leaving a tombstone that says why (pruned backups say which rule). */
export async function removeBackup(
  catalog: Catalog,
  named: NamedStore,
  id: string,
  reason: string,
  options: { force?: boolean; now?: Date } = {},
): Promise<Tombstone> {
  const record = await liveRecord(named, id);
  if (record.pinned && !options.force) {
    throw new KcrError('conflict', `backup ${id} is pinned`, {
      hint: `unpin it first: kcr backup unpin ${id}`,
    });
  }
  const tombstone = toTombstone(record, reason, options.now);
  await named.store.remove(tombstone);
  catalog.upsertEntry(named.name, tombstone);
  return tombstone;
}
