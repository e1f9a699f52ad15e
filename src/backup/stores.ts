/**
 * Stores by name: the catalog remembers `kcr store add NAME URL`, and every command that takes
 * `--store` accepts either such a name or a URL.
 */
import { KcrError } from '../errors.js';
import type { Catalog, StoreRow } from './catalog.js';
import { openStore } from './stores/open-store.js';
import type { Store } from './stores/store.js';
import { formatStoreUrl, parseStoreUrl, type StoreOptions } from './stores/store-url.js';

export interface NamedStore {
  /** The catalog name (a URL given directly is added under a name derived from it). */
  name: string;
  row: StoreRow;
  store: Store;
}

/** The store `--store` names, added to the catalog if it is a URL the catalog does not know. */
export async function resolveStore(
  catalog: Catalog,
  nameOrUrl: string,
  options: StoreOptions = {},
): Promise<NamedStore> {
  let row = catalog.getStore(nameOrUrl);
  if (!row) {
    if (!nameOrUrl.includes('://')) {
      throw new KcrError('not-found', `no store named "${nameOrUrl}"`, {
        hint: '`kcr store list` shows the names; a URL works too (file://, s3://, oci://)',
      });
    }
    const url = formatStoreUrl(parseStoreUrl(nameOrUrl));
    row =
      catalog.listStores().find((s) => s.url === url) ??
      catalog.addStore(nameFor(catalog, url), url, options);
  }
  return { name: row.name, row, store: await openStore(row.url, row.options) };
}

/** A catalog name for a URL used directly: its last path part, made unique. */
function nameFor(catalog: Catalog, url: string): string {
  const base =
    url
      .replace(/^[a-z0-9]+:\/\//, '')
      .split('/')
      .filter(Boolean)
      .at(-1)
      ?.toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'store';
  const taken = new Set(catalog.listStores().map((s) => s.name));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

/** Rebuilds the catalog's rows for one store from the store itself. */
export async function syncStore(
  catalog: Catalog,
  named: NamedStore,
  options: { signal?: AbortSignal } = {},
): Promise<{ store: string; backups: number; tombstones: number }> {
  const entries = await named.store.list(options);
  catalog.replaceEntries(named.name, entries);
  const tombstones = entries.filter((e) => e.kind === 'Tombstone').length;
  return { store: named.name, backups: entries.length - tombstones, tombstones };
}
