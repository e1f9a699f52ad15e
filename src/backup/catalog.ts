/**
 * The catalog: an embedded SQLite database (better-sqlite3) that indexes the stores the user
 * added, so `kcr backups` answers without reading any store. It holds nothing a store does not:
 * `syncStore` rebuilds a store's rows from the store, and deleting the file loses nothing but the
 * list of store names.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { tempNameFor } from '../util/atomic-file.js';
import { KcrError } from '../errors.js';
import { isJsonObject } from '../util/json.js';
import {
  limitClause,
  ROW_COLUMNS,
  ROW_ORDER,
  shapeSql,
  toBackupRow,
  toShape,
  whereClause,
  type BackupQuery,
  type BackupRow,
  type RawBackupRow,
  type RowsShape,
} from './catalog-query.js';
import { storeEntrySchema, type StoreEntry } from './record.js';
export type { BackupQuery, BackupRow, RowsShape, TextField } from './catalog-query.js';
import { storeOptionsSchema, type StoreOptions } from './stores/store-url.js';

export interface StoreRow {
  name: string;
  url: string;
  options: StoreOptions;
  addedAt: string;
}

/**
 * Raised whenever SCHEMA changes; 2: the listing indexes (kind first) for paged `kcr backups`;
 * 3: the counting index on kind alone.
 */
const SCHEMA_VERSION = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS stores (
  name TEXT PRIMARY KEY,
  url TEXT NOT NULL UNIQUE,
  options TEXT NOT NULL,
  added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS backups (
  store TEXT NOT NULL REFERENCES stores(name) ON DELETE CASCADE,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  namespace TEXT,
  pod TEXT,
  container TEXT NOT NULL,
  node TEXT,
  image TEXT,
  engine TEXT NOT NULL,
  created_at TEXT NOT NULL,
  checkpointed_at TEXT,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  pinned INTEGER NOT NULL,
  encrypted INTEGER NOT NULL,
  labels TEXT NOT NULL,
  entry TEXT NOT NULL,
  PRIMARY KEY (store, id)
);
CREATE INDEX IF NOT EXISTS backups_by_id ON backups (id);
-- The indexes of earlier catalogs, replaced by those below.
DROP INDEX IF EXISTS backups_by_time;
DROP INDEX IF EXISTS backups_by_pod;
DROP INDEX IF EXISTS backups_list;
-- Covers \`kcr backups\` (and --since) in its order, newest first: a page is the first rows of one
-- index range that never reads the table, whose \`entry\` column (the whole record, Pod object
-- included) is most of the file.
CREATE INDEX IF NOT EXISTS backups_newest ON backups (kind, created_at DESC, id DESC, store, namespace,
  pod, container, node, image, engine, checkpointed_at, size, sha256, pinned, encrypted, labels);
-- As slim as an index gets, for counting what a page leaves out ("N more"): a count walks every
-- entry, and a third of the pages of (kind, created_at) made it three times faster (measured).
DROP INDEX IF EXISTS backups_by_kind;
CREATE INDEX IF NOT EXISTS backups_count ON backups (kind);
-- -n and --pod: their backups in order, without walking everyone else's.
CREATE INDEX IF NOT EXISTS backups_in_namespace ON backups (namespace, kind, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS backups_of_pod ON backups (pod, kind, created_at DESC, id DESC);
`;

/** The row `kcr backups` shows for an entry, as the catalog would return it. */
export function entryToRow(store: string, e: StoreEntry): BackupRow {
  const s = e.source;
  const row: BackupRow = {
    store,
    id: e.id,
    kind: e.kind,
    container: s.container,
    engine: s.engine,
    createdAt: e.createdAt,
    size: e.archive.size,
    sha256: e.archive.sha256,
    pinned: e.pinned,
    encrypted: e.encryption !== undefined,
    labels: e.labels,
  };
  if (s.namespace !== undefined) row.namespace = s.namespace;
  if (s.pod !== undefined) row.pod = s.pod;
  if (s.node !== undefined) row.node = s.node;
  if (s.image !== undefined) row.image = s.image;
  if (s.checkpointedAt !== undefined) row.checkpointedAt = s.checkpointedAt;
  return row;
}

const storesFileSchema = z.array(
  z.object({ name: z.string(), url: z.string(), options: storeOptionsSchema, addedAt: z.string() }).strict(),
);

/** A query's answer as a stream (`Catalog.list`). */
export interface BackupListing {
  /** How many backups match the query, the limit aside. */
  total: number;
  /** How the rows to come are laid out: the longest value of each field, and more. */
  shape: RowsShape;
  /** The rows, newest first, read from the catalog as they are consumed. */
  rows: Generator<BackupRow, void, undefined>;
}

export interface CatalogOptions {
  /**
   * A small JSON file that mirrors the list of stores, kept apart from the database: after the
   * database is deleted, the stores come back from it and `catalog sync` rebuilds the rest.
   */
  storesFile?: string;
}

export class Catalog {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
    private readonly storesFile: string | undefined,
  ) {}

  static open(path: string, options: CatalogOptions = {}): Catalog {
    let db: Database.Database;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      // The schema is (re)applied only when it changed: a listing opens the catalog for reading.
      if (db.pragma('user_version', { simple: true }) !== SCHEMA_VERSION) {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }
    } catch (err) {
      throw new KcrError('io', `catalog ${path}: cannot open: ${(err as Error).message}`, {
        hint: 'the catalog is only an index: move the file away and run `kcr store add` and `kcr catalog sync` again',
        cause: err,
      });
    }
    const catalog = new Catalog(db, path, options.storesFile);
    catalog.restoreStores();
    return catalog;
  }

  /** Adds the stores the mirror file names and the database does not know (it was deleted). */
  private restoreStores(): void {
    if (!this.storesFile) return;
    let text: string;
    try {
      text = readFileSync(this.storesFile, 'utf8');
    } catch {
      return;
    }
    let saved: z.infer<typeof storesFileSchema>;
    try {
      saved = storesFileSchema.parse(JSON.parse(text));
    } catch (err) {
      throw new KcrError(
        'invalid-input',
        `${this.storesFile}: not a list of stores: ${(err as Error).message}`,
        {
          hint: 'remove the file; `kcr store add` writes it again',
          cause: err,
        },
      );
    }
    const known = this.listStores();
    const insert = this.db.prepare('INSERT INTO stores (name, url, options, added_at) VALUES (?, ?, ?, ?)');
    for (const s of saved) {
      if (known.some((k) => k.name === s.name || k.url === s.url)) continue;
      insert.run(s.name, s.url, JSON.stringify(s.options), s.addedAt);
    }
  }

  /** Rewrites the mirror file (temporary name, then rename: never half-written). */
  private saveStores(): void {
    if (!this.storesFile) return;
    const temp = tempNameFor(this.storesFile);
    try {
      writeFileSync(temp, JSON.stringify(this.listStores(), null, 2) + '\n', { mode: 0o600 });
      renameSync(temp, this.storesFile);
    } catch (err) {
      rmSync(temp, { force: true });
      throw new KcrError('io', `${this.storesFile}: cannot write: ${(err as Error).message}`, { cause: err });
    }
  }

  close(): void {
    // Keeps the planner's statistics fresh (it analyzes only what changed much), so that -n and
    // --pod use their own indexes; almost free when nothing did.
    try {
      this.db.pragma('optimize');
    } catch {
      // A read-only or busy database keeps its old statistics: only speed is at stake.
    }
    this.db.close();
  }

  addStore(name: string, url: string, options: StoreOptions = {}, now = new Date()): StoreRow {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
      throw new KcrError('usage', `store name "${name}": use lower-case letters, digits and '-'`, {
        hint: 'for example: kcr store add offsite s3://bucket/kcr',
      });
    }
    const clash = this.db
      .prepare<[string, string], { name: string; url: string }>(
        'SELECT name, url FROM stores WHERE name = ? OR url = ?',
      )
      .get(name, url);
    if (clash) {
      throw new KcrError(
        'conflict',
        clash.name === name
          ? `store "${name}" exists (${clash.url})`
          : `${url} is already store "${clash.name}"`,
        {
          hint: 'run `kcr store list`; `kcr store rm NAME` forgets a store (its backups stay where they are)',
        },
      );
    }
    const row: StoreRow = { name, url, options, addedAt: now.toISOString() };
    this.db
      .prepare('INSERT INTO stores (name, url, options, added_at) VALUES (?, ?, ?, ?)')
      .run(name, url, JSON.stringify(options), row.addedAt);
    this.saveStores();
    return row;
  }

  listStores(): StoreRow[] {
    const rows = this.db
      .prepare<[], { name: string; url: string; options: string; added_at: string }>(
        'SELECT name, url, options, added_at FROM stores ORDER BY name',
      )
      .all();
    return rows.map((r) => ({
      name: r.name,
      url: r.url,
      options: storeOptionsSchema.parse(JSON.parse(r.options)),
      addedAt: r.added_at,
    }));
  }

  getStore(name: string): StoreRow | undefined {
    return this.listStores().find((s) => s.name === name);
  }

  /** Forgets a store and its rows; the store's backups are not touched. */
  removeStore(name: string): boolean {
    const removed = this.db.prepare('DELETE FROM stores WHERE name = ?').run(name).changes > 0;
    if (removed) this.saveStores();
    return removed;
  }

  private upsertStatement() {
    return this.db.prepare(`INSERT OR REPLACE INTO backups
      (store, id, kind, namespace, pod, container, node, image, engine, created_at, checkpointed_at,
       size, sha256, pinned, encrypted, labels, entry)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  private entryValues(store: string, e: StoreEntry): unknown[] {
    const s = e.source;
    return [
      store,
      e.id,
      e.kind,
      s.namespace ?? null,
      s.pod ?? null,
      s.container,
      s.node ?? null,
      s.image ?? null,
      s.engine,
      e.createdAt,
      s.checkpointedAt ?? null,
      e.archive.size,
      e.archive.sha256,
      e.pinned ? 1 : 0,
      e.encryption ? 1 : 0,
      JSON.stringify(e.labels),
      JSON.stringify(e),
    ];
  }

  upsertEntry(store: string, entry: StoreEntry): void {
    this.upsertStatement().run(...this.entryValues(store, entry));
  }

  /** Replaces everything known about `store` with `entries`, in one transaction. */
  replaceEntries(store: string, entries: readonly StoreEntry[]): void {
    const insert = this.upsertStatement();
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM backups WHERE store = ?').run(store);
      for (const entry of entries) insert.run(...this.entryValues(store, entry));
    })();
  }

  /** The backups `q` names, newest first, as an array: for callers that want them all at hand. */
  query(q: BackupQuery = {}): BackupRow[] {
    const { sql, args } = whereClause(q);
    return this.db
      .prepare<unknown[], RawBackupRow>(
        `SELECT ${ROW_COLUMNS} FROM backups ${sql} ${ROW_ORDER} ${limitClause(q)}`,
      )
      .raw(true)
      .all(...args)
      .map(toBackupRow);
  }

  /**
   * The backups `q` names as a stream: how many match (the limit aside), the shape of the rows to
   * come (to lay out a table before reading them), and the rows themselves, newest first, read from
   * SQLite one by one as they are consumed (100,000 rows never sit in memory together). While the
   * rows are being read the catalog runs no other statement: read them to the end, or call
   * `rows.return()`, first.
   */
  list(q: BackupQuery = {}): BackupListing {
    const { sql, args } = whereClause(q);
    const select = `SELECT ${ROW_COLUMNS} FROM backups ${sql} ${ROW_ORDER} ${limitClause(q)}`;
    const total = this.db
      .prepare<unknown[], number>(`SELECT count(*) FROM backups ${sql}`)
      .pluck()
      .get(...args)!;
    const shape = toShape(
      this.db
        .prepare<unknown[], (number | null)[]>(shapeSql(select))
        .raw(true)
        .get(...args)!,
    );
    const statement = this.db.prepare<unknown[], RawBackupRow>(select).raw(true);
    const rows = function* (): Generator<BackupRow, void, undefined> {
      for (const raw of statement.iterate(...args)) yield toBackupRow(raw);
    };
    return { total, shape, rows: rows() };
  }

  /** The stores holding a backup by this id (normally one). */
  findEntry(id: string): { store: string; entry: StoreEntry }[] {
    const rows = this.db
      .prepare<[string], { store: string; entry: string }>('SELECT store, entry FROM backups WHERE id = ?')
      .all(id);
    return rows.map((r) => {
      const json: unknown = JSON.parse(r.entry);
      if (!isJsonObject(json))
        throw new KcrError('invalid-input', `catalog ${this.path}: damaged row for ${id}`);
      return { store: r.store, entry: storeEntrySchema.parse(json) };
    });
  }
}
