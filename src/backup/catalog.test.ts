import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { matchesSelector, parseSelector } from '../kube/selector.js';
import { tempDir } from '../testing/archive-builder.js';
import { syntheticHistory } from '../testing/backup-history.js';
import { Catalog } from './catalog.js';
import { entryToRow, type BackupRow } from './index.js';

const tmp = tempDir('kcr-catalog-');
afterAll(() => tmp.cleanup());

const HISTORY = syntheticHistory(240);

function filled(): Catalog {
  const catalog = Catalog.open(tmp.path(`${Math.random().toString(16).slice(2)}.db`));
  catalog.addStore('s', 'file:///nowhere');
  // Catalogued out of order: the order comes from the query, not from insertion.
  catalog.replaceEntries('s', HISTORY.filter((_e, i) => i % 2 === 0).reverse());
  for (const e of HISTORY.filter((_e, i) => i % 2 === 1)) catalog.upsertEntry('s', e);
  return catalog;
}

/** Every row, newest first, as the reference the SQL must agree with. */
const ALL: BackupRow[] = HISTORY.map((e) => entryToRow('s', e)).sort((a, b) =>
  a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt),
);
const BACKUPS = ALL.filter((r) => r.kind === 'Backup');

describe('Catalog.list and query', () => {
  const catalog = filled();
  afterAll(() => catalog.close());

  it('pages the newest first, ties in one second broken by id, and counts what the page leaves out', () => {
    const listing = catalog.list({ limit: 25 });
    expect([...listing.rows]).toEqual(BACKUPS.slice(0, 25));
    expect(listing.total).toBe(BACKUPS.length);
    expect(catalog.query({ limit: 25 })).toEqual(BACKUPS.slice(0, 25));
    expect(catalog.query()).toEqual(BACKUPS);
    expect(catalog.query({ tombstones: true })).toEqual(ALL);
  });

  it('walks every backup exactly once, in order, page after page with `after`', () => {
    const seen: BackupRow[] = [];
    let after: string | undefined;
    for (;;) {
      const listing = catalog.list({ limit: 37, ...(after ? { after } : {}) });
      const page = [...listing.rows];
      expect(listing.total).toBe(BACKUPS.length - seen.length);
      seen.push(...page);
      if (page.length < 37) break;
      after = page.at(-1)!.id;
    }
    expect(seen).toEqual(BACKUPS);
  });

  it.each([
    'app=pod-3',
    'app!=pod-3',
    'tier',
    '!tier',
    'tier in (db, web)',
    'tier notin (db)',
    'app.kubernetes.io/part-of=shop-1',
    'app.kubernetes.io/part-of=shop-1,tier=web',
    'app=',
    'tier in ()',
  ])('filters by the selector %s in SQL exactly as kubectl matches labels', (selector) => {
    const expected = BACKUPS.filter((r) => matchesSelector(r.labels, parseSelector(selector)));
    const listing = catalog.list({ selector, limit: 10 });
    expect([...listing.rows]).toEqual(expected.slice(0, 10));
    expect(listing.total).toBe(expected.length);
  });

  it('combines the filters', () => {
    const q = { namespace: 'ns-1', pod: 'pod-4', container: 'app', since: new Date(BACKUPS[150]!.createdAt) };
    const expected = BACKUPS.filter(
      (r) =>
        r.namespace === 'ns-1' &&
        r.pod === 'pod-4' &&
        r.container === 'app' &&
        r.createdAt >= q.since.toISOString(),
    );
    expect(expected.length).toBeGreaterThan(2);
    expect(catalog.query(q)).toEqual(expected);
    expect(catalog.list(q).total).toBe(expected.length);
  });

  it('describes the shape of the rows to come, so a table can be laid out before they are read', () => {
    const page = BACKUPS.slice(0, 12);
    const { shape } = catalog.list({ limit: 12 });
    expect(shape.longest.id).toBe(25);
    expect(shape.longest.image).toBe('registry.example/shop/app:1'.length);
    expect(shape.longest.container).toBe(Math.max(...page.map((r) => r.container.length)));
    expect(shape.missing.node).toBe(page.some((r) => r.node === undefined));
    expect(shape.missing.namespace).toBe(false);
    expect(shape.missing.checkpointedAt).toBe(true);
    expect(shape.pinned).toBe(page.some((r) => r.pinned));
    expect(shape.encrypted).toBe(page.some((r) => r.encrypted));
    expect(shape.removed).toBe(false);
    expect(catalog.list({ tombstones: true }).shape.removed).toBe(true);
  });

  it('is usable again once a listing has been read, and while one is only partly read', () => {
    const listing = catalog.list({ limit: 5 });
    expect(listing.rows.next().done).toBe(false);
    listing.rows.return();
    expect(catalog.list({ limit: 3 }).total).toBe(BACKUPS.length);
    expect(catalog.query({ limit: 2 })).toEqual(BACKUPS.slice(0, 2));
  });
});

describe('Catalog schema', () => {
  it('brings a catalog of an earlier kcr up to date on open, rows kept and old indexes gone', () => {
    const path = tmp.path('old.db');
    const catalog = Catalog.open(path);
    catalog.addStore('s', 'file:///nowhere');
    catalog.replaceEntries('s', HISTORY.slice(0, 30));
    catalog.close();
    // What an earlier kcr left: no schema version, and its own listing index.
    const raw = new Database(path);
    raw.pragma('user_version = 0');
    raw.exec('DROP INDEX backups_newest; CREATE INDEX backups_list ON backups (created_at DESC, id DESC)');
    raw.close();

    const reopened = Catalog.open(path);
    expect(reopened.list({ limit: 3 }).total).toBe(
      BACKUPS.filter((r) => HISTORY.slice(0, 30).some((e) => e.id === r.id)).length,
    );
    reopened.close();
    const check = new Database(path, { readonly: true });
    const indexes = check
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all();
    expect(check.pragma('user_version', { simple: true })).toBeGreaterThan(0);
    check.close();
    expect(indexes).toContain('backups_newest');
    expect(indexes).not.toContain('backups_list');
  });
});
