/**
 * Where the backup commands keep their state, decided here and not in the library: the catalog at
 * `$KCR_CATALOG`, else `$XDG_DATA_HOME/kcr/catalog.db` (default `~/.local/share/kcr/catalog.db`), and
 * the default store `file://…/kcr/store` beside it, added to the catalog as `default` on first use.
 * The list of stores is mirrored to `stores.json` beside the database, so deleting the database
 * loses nothing: `kcr catalog sync` rebuilds it.
 */
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Catalog, NamedStore } from '../backup/index.js';
import type { CliContext } from './context.js';

export const DEFAULT_STORE = 'default';

export function dataHome(ctx: CliContext): string {
  const xdg = ctx.io.env.XDG_DATA_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(ctx.io.env.HOME || homedir(), '.local', 'share');
  return join(base, 'kcr');
}

export function catalogPath(ctx: CliContext): string {
  const explicit = ctx.io.env.KCR_CATALOG;
  return explicit ? resolve(ctx.io.cwd, explicit) : join(dataHome(ctx), 'catalog.db');
}

/** A `--store` value: a catalog name, a URL, or a local directory path (made a file:// URL). */
export function storeArgument(ctx: CliContext, value: string): string {
  if (value.includes('://')) return value;
  if (value.startsWith('/') || value.startsWith('.') || value.startsWith('~/')) {
    const path = value.startsWith('~/')
      ? join(ctx.io.env.HOME || homedir(), value.slice(2))
      : resolve(ctx.io.cwd, value);
    return pathToFileURL(path).href;
  }
  return value;
}

/** Opens the catalog for the length of `fn`, and closes it (and any store opened) afterwards. */
export async function withCatalog<T>(ctx: CliContext, fn: (catalog: Catalog) => Promise<T>): Promise<T> {
  // The catalog alone, not backup/index.js: that one loads ops, and with it the Kubernetes client,
  // which `kcr backups` (a query) has no use for and would spend most of its time loading.
  const { Catalog } = await import('../backup/catalog.js');
  const path = catalogPath(ctx);
  const catalog = Catalog.open(path, { storesFile: join(dirname(path), 'stores.json') });
  try {
    return await fn(catalog);
  } finally {
    catalog.close();
  }
}

/** The store `--store` names (default: the `default` store, created on first use). */
export async function openNamedStore(
  ctx: CliContext,
  catalog: Catalog,
  value: string | undefined,
): Promise<NamedStore> {
  // The stores alone (S3 and OCI load only when the store is one): see withCatalog.
  const { resolveStore } = await import('../backup/stores.js');
  if (value !== undefined) return resolveStore(catalog, storeArgument(ctx, value));
  if (!catalog.getStore(DEFAULT_STORE)) {
    catalog.addStore(DEFAULT_STORE, pathToFileURL(join(dataHome(ctx), 'store')).href);
  }
  return resolveStore(catalog, DEFAULT_STORE);
}
