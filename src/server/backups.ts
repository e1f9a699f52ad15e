/**
 * Backups as dashboard checkpoints (`kcr ui --store NAME…`): the catalog lists them, and opening
 * one reads it out of its store once (size and sha256 checked, as `kcr backup get` does) into
 * kcr's private temp directory, where it is read by offset like any archive. Ids are
 * `backup/<store>/<backup id>`, both checked against the catalog, so a name never becomes a path.
 * An encrypted backup is listed but not opened: that needs its key, which the dashboard never holds.
 */
import { join } from 'node:path';
import type { Catalog } from '../backup/index.js';
import { KcrError } from '../errors.js';
import type { CheckpointListItem } from './api-types.js';

export const BACKUP_ROOT = 'backup';
const BACKUP_ID = /^\d{8}t\d{6}z-[0-9a-f]{8}$/;

export interface BackupSourceOptions {
  /** The catalog database (the CLI's `catalogPath`). */
  catalog: string;
  storesFile?: string;
  /** Store names from the catalog whose backups are served. */
  stores: string[];
}

export class BackupSource {
  private readonly fetched = new Map<string, Promise<string>>();

  private constructor(
    private readonly catalog: Catalog,
    readonly stores: string[],
    private readonly cacheDir: string,
  ) {}

  static async open(options: BackupSourceOptions, cacheDir: string): Promise<BackupSource> {
    const { Catalog } = await import('../backup/index.js');
    const catalog = Catalog.open(
      options.catalog,
      options.storesFile ? { storesFile: options.storesFile } : {},
    );
    for (const name of options.stores) {
      if (!catalog.getStore(name)) {
        catalog.close();
        throw new KcrError('not-found', `no store named "${name}"`, {
          hint: 'run `kcr store list`; add one with `kcr store add NAME URL`',
        });
      }
    }
    return new BackupSource(catalog, options.stores, cacheDir);
  }

  list(): CheckpointListItem[] {
    return this.stores.flatMap((store) =>
      this.catalog.query({ store }).map((row) => {
        const item: CheckpointListItem = {
          id: `${BACKUP_ROOT}/${row.store}/${row.id}`,
          name: row.id,
          origin: 'backup',
          container: row.container,
          engine: row.engine,
          time: row.checkpointedAt ?? row.createdAt,
          size: row.size,
          encrypted: row.encrypted,
          store: row.store,
        };
        if (row.namespace !== undefined) item.namespace = row.namespace;
        if (row.pod !== undefined) item.pod = row.pod;
        if (row.node !== undefined) item.node = row.node;
        return item;
      }),
    );
  }

  /** The archive of `backup/<store>/<id>` as a local file, read out of its store on first use. */
  path(rest: string): Promise<string> {
    const [store, id, ...more] = rest.split('/');
    if (!store || !id || more.length > 0 || !this.stores.includes(store) || !BACKUP_ID.test(id)) {
      throw new KcrError('invalid-input', `${BACKUP_ROOT}/${rest}: not a backup this dashboard serves`, {
        hint: 'use the ids GET /api/v1/checkpoints lists',
      });
    }
    const key = `${store}/${id}`;
    let fetching = this.fetched.get(key);
    if (!fetching) {
      fetching = this.fetch(store, id);
      this.fetched.set(key, fetching);
      // A failed read (a store away, a damaged backup) is tried again next time.
      fetching.catch(() => this.fetched.delete(key));
    }
    return fetching;
  }

  private async fetch(storeName: string, id: string): Promise<string> {
    const { readBackup, resolveStore } = await import('../backup/index.js');
    const named = await resolveStore(this.catalog, storeName);
    try {
      const target = join(this.cacheDir, `${storeName}-${id}.tar`);
      await readBackup(named.store, id, target);
      return target;
    } finally {
      await named.store.close();
    }
  }

  close(): void {
    this.catalog.close();
  }
}
