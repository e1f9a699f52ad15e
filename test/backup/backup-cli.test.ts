/**
 * The backup commands as a user runs them: an archive into the default store and a named one,
 * listed, filtered, fetched back, verified, pinned and removed; the catalog rebuilt from the store.
 */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { CTHREADS, kcrWithHome, WEB_1, WEB_2 } from '../../src/testing/backup-cli.js';

const tmp = tempDir('kcr-backup-cli-');
afterAll(() => tmp.cleanup());

const kcrIn = (home: string) => kcrWithHome(home, tmp.dir);

interface Row {
  id: string;
  namespace: string;
  pod: string;
  container: string;
  store: string;
  pinned: boolean;
  kind: string;
  labels: Record<string, string>;
}

async function backupIds(kcr: ReturnType<typeof kcrIn>, ...args: string[]): Promise<Row[]> {
  const r = await kcr('backups', '-o', 'json', ...args);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Row[];
}

describe('kcr backup, backups, store, catalog sync, verify', () => {
  it('stores archives in the default store and lists them newest first, filtered', async () => {
    const kcr = kcrIn(tmp.path('home-list'));
    const first = await kcr('backup', WEB_1);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^ID\s+NAMESPACE\s+POD\s+CONTAINER\s+CREATED\s+SIZE\s+STORE/);
    expect(first.stdout).toMatch(/default\s+webserver\s+webserver\s+.*3\.29 MiB\s+default/);
    expect((await kcr('backup', CTHREADS, '-o', 'json')).code).toBe(0);

    const all = await backupIds(kcr);
    expect(all.map((r) => `${r.namespace}/${r.pod}/${r.container}`)).toEqual([
      'apps/cthreads/server',
      'default/webserver/webserver',
    ]);
    expect((await backupIds(kcr, '-n', 'apps')).map((r) => r.pod)).toEqual(['cthreads']);
    expect((await backupIds(kcr, '--pod', 'webserver')).map((r) => r.pod)).toEqual(['webserver']);
    expect(await backupIds(kcr, '-l', 'app=web')).toEqual([]);
    expect(await backupIds(kcr, '--since', '1h')).toHaveLength(2);

    const stores = await kcr('store', 'list');
    expect(stores.stdout).toContain(`default   file://${tmp.path('home-list')}/kcr/store`);
  });

  it('takes the labels and node from the Pod object kcr checkpoint saved beside the archive', async () => {
    const kcr = kcrIn(tmp.path('home-labels'));
    const archive = tmp.path('web.tar');
    writeFileSync(archive, readFileSync(WEB_1));
    writeFileSync(
      `${archive}.pod.json`,
      JSON.stringify({
        kind: 'Pod',
        metadata: { name: 'webserver', labels: { app: 'web' } },
        spec: { nodeName: 'worker-1' },
      }),
    );
    expect((await kcr('backup', archive)).code).toBe(0);
    const [row] = await backupIds(kcr, '-l', 'app=web');
    expect(row).toMatchObject({ pod: 'webserver', labels: { app: 'web' }, node: 'worker-1' });
  });

  it('gets a backup back byte for byte, and its record', async () => {
    const kcr = kcrIn(tmp.path('home-get'));
    await kcr('backup', WEB_1);
    const [row] = await backupIds(kcr);
    const out = tmp.path('restored.tar');
    const r = await kcr('backup', 'get', row!.id, '--output-file', out);
    expect(r.stderr).toBe('');
    expect(readFileSync(out).equals(readFileSync(WEB_1))).toBe(true);
    const record = JSON.parse((await kcr('backup', 'get', row!.id, '-o', 'json')).stdout) as {
      kind: string;
      archive: { name: string };
    };
    expect(record).toMatchObject({
      store: 'default',
      kind: 'Backup',
      archive: { name: 'checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar' },
    });
  });

  it('rebuilds the catalog from a named store after the database is deleted', async () => {
    const home = tmp.path('home-sync');
    const kcr = kcrIn(home);
    const storeDir = tmp.path('offsite');
    expect((await kcr('store', 'add', 'offsite', storeDir)).stdout).toBe(
      `store offsite added (file://${storeDir}): 0 backups\n`,
    );
    await kcr('backup', WEB_1, '--store', 'offsite');
    await kcr('backup', WEB_2, '--store', 'offsite');
    const before = await backupIds(kcr);
    rmSync(join(home, 'kcr', 'catalog.db'));
    rmSync(join(home, 'kcr', 'catalog.db-wal'), { force: true });
    rmSync(join(home, 'kcr', 'catalog.db-shm'), { force: true });
    // The store list survives in stores.json; the backups come back from the store itself.
    expect((await kcr('store', 'list')).stdout).toContain(`offsite   file://${storeDir}`);
    expect(await backupIds(kcr)).toEqual([]);
    expect((await kcr('catalog', 'sync')).stdout).toBe('offsite: 2 backups, 0 removed\n');
    expect(await backupIds(kcr)).toEqual(before);
    // A store added again under its URL is refused, by name or by URL.
    const again = await kcr('store', 'add', 'other', `file://${storeDir}`);
    expect(again.stderr).toMatch(/^error: file:\/\/.* is already store "offsite"\n/);
  });

  it('verify finds a tampered backup (exit 3); rm leaves a tombstone that keeps the chain intact', async () => {
    const home = tmp.path('home-verify');
    const kcr = kcrIn(home);
    await kcr('backup', WEB_1);
    await kcr('backup', WEB_2);
    const [newest, oldest] = await backupIds(kcr);
    const ok = await kcr('verify', '--chain');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok      default: 1 chain, 2 records (0 tombstones) intact');

    const rm = await kcr('backup', 'rm', oldest!.id);
    expect(rm.stdout).toBe(`backup ${oldest!.id} removed from default\n`);
    expect((await backupIds(kcr)).map((r) => r.id)).toEqual([newest!.id]);
    expect((await backupIds(kcr, '--removed')).map((r) => r.kind)).toEqual(['Backup', 'Tombstone']);
    expect((await kcr('verify', '--chain')).stdout).toContain('2 records (1 tombstone) intact');

    appendFileSync(join(home, 'kcr', 'store', 'backups', newest!.id, 'data'), 'x');
    const bad = await kcr('verify', newest!.id);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(
      new RegExp(
        `FAILED  ${newest!.id}: backup ${newest!.id} in file://.* is damaged: 3450881 bytes, the record says 3450880`,
      ),
    );
    const get = await kcr('backup', 'get', newest!.id, '--output-file', tmp.path('damaged.tar'));
    expect(get.code).toBe(2);
    expect(get.stderr).toMatch(/^error: backup .* is damaged/);
    expect(() => readFileSync(tmp.path('damaged.tar'))).toThrow();
  });

  it('a pinned backup is not removed without --force', async () => {
    const kcr = kcrIn(tmp.path('home-pin'));
    await kcr('backup', CTHREADS);
    const [row] = await backupIds(kcr);
    expect((await kcr('backup', 'pin', row!.id)).stdout).toBe(`backup ${row!.id} pinned\n`);
    expect((await backupIds(kcr))[0]!.pinned).toBe(true);
    const refused = await kcr('backup', 'rm', row!.id);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `error: backup ${row!.id} is pinned\nhint: unpin it first: kcr backup unpin ${row!.id}\n`,
    );
    expect((await kcr('verify', '--chain')).code).toBe(0);
    await kcr('backup', 'unpin', row!.id);
    expect((await kcr('backup', 'rm', row!.id)).code).toBe(0);
  });

  it.each([
    [
      ['store', 'add', 'x', 'ftp://host/dir'],
      1,
      /^error: store URL "ftp:\/\/host\/dir": unknown scheme "ftp"\nhint: use file:\/\/\/absolute\/path/,
    ],
    [
      ['store', 'add', 'x', 's3://A_b/prefix'],
      1,
      /^error: store URL "s3:\/\/A_b\/prefix": "A_b" is not an S3 bucket name/,
    ],
    [
      ['backup', 'get', '20261206t000000z-00000000', '--output-file', 'x.tar'],
      2,
      /^error: backup 20261206t000000z-00000000 is not in the catalog\nhint: see `kcr backups`; run `kcr catalog sync`/,
    ],
    [
      ['backups', '--since', 'yesterday'],
      1,
      /^error: --since yesterday: not a duration\nhint: use a number and a unit/,
    ],
    [
      ['backup', 'no-such.tar'],
      2,
      /^error: no-such.tar: no such archive\nhint: name an archive file, or a running pod by its name/,
    ],
    [['backups', '--store', 'nowhere'], 2, /^error: no store named "nowhere"\nhint: run `kcr store list`/],
  ])('bad input %j: one error and a hint', async (argv, code, message) => {
    const r = await kcrIn(tmp.path('home-bad'))(...argv);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    expect(r.stdout).toBe('');
  });
});
