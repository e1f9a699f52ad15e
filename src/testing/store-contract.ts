/**
 * The contract every store keeps (DESIGN: one shared contract suite runs against every
 * implementation). Each store's test file calls `storeContract` with a factory for a fresh, empty
 * store of its kind, backed by the real thing (a directory, s3rver, a registry).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../backup/catalog.js';
import { backupArchive } from '../backup/backup-archive.js';
import { readBackup, verifyBackupData } from '../backup/read-backup.js';
import {
  newBackupId,
  RECORD_API_VERSION,
  sealRecord,
  toTombstone,
  type BackupRecord,
} from '../backup/record.js';
import { syncStore } from '../backup/stores.js';
import { fixture } from './fixtures.js';
import type { Store, WrittenData } from '../backup/stores/store.js';

export const CRIO_ARCHIVE = fixture(
  'crio',
  'checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar',
);
export const CRIO_ARCHIVE_2 = fixture(
  'crio',
  'checkpoint-webserver_default-webserver-2026-11-28T16:03:10Z.tar',
);
export const CTHREADS_ARCHIVE = fixture('crio', 'checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar');

/** A record for synthetic data (no archive needed), as backupArchive would seal it. */
export function syntheticRecord(id: string, written: WrittenData, container = 'app'): BackupRecord {
  return sealRecord({
    apiVersion: RECORD_API_VERSION,
    kind: 'Backup',
    id,
    createdAt: new Date().toISOString(),
    source: { namespace: 'ns', pod: 'pod', container, engine: 'cri-o' },
    labels: { app: 'demo' },
    archive: { name: 'synthetic.tar', ...written },
    data: { ...written },
    chain: { key: `ns/pod/${container}`, previousHash: null },
    pinned: false,
  });
}

/** A source that yields `bytes` bytes and then fails: a connection dropped mid-upload. */
function failingSource(bytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) {
        this.destroy(new Error('connection reset by peer'));
        return;
      }
      const chunk = Buffer.alloc(Math.min(64 * 1024, bytes - sent), 7);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface ContractHooks {
  /** A fresh, empty store; called once per test. */
  create(): Promise<Store>;
  /** Bytes large enough to make the store use its multi-part path, if it has one. */
  largeSize?: number;
}

export function storeContract(name: string, hooks: ContractHooks): void {
  describe(`store contract: ${name}`, () => {
    let scratch: string;
    const opened: Store[] = [];
    const fresh = async () => {
      const store = await hooks.create();
      opened.push(store);
      return store;
    };
    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'kcr-contract-'));
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    afterAll(async () => {
      await rm(scratch, { recursive: true, force: true });
    });

    it('puts an archive with its record, lists it, and gives back the same bytes', async () => {
      const store = await fresh();
      const record = await backupArchive(store, CRIO_ARCHIVE);
      const original = await readFile(CRIO_ARCHIVE);
      const sha = createHash('sha256').update(original).digest('hex');
      expect(record.archive).toMatchObject({ size: original.length, sha256: sha });
      expect(record.data).toEqual({ size: original.length, sha256: sha });
      expect(record.source).toMatchObject({
        namespace: 'default',
        pod: 'webserver',
        container: 'webserver',
        engine: 'cri-o',
      });

      const listed = await store.list();
      expect(listed).toEqual([record]);
      expect(await store.getEntry(record.id)).toEqual(record);
      expect((await collect(await store.openData(record.id))).equals(original)).toBe(true);

      const out = join(scratch, `${record.id}.tar`);
      await readBackup(store, record.id, out);
      expect((await readFile(out)).equals(original)).toBe(true);
      expect(await verifyBackupData(store, record.id)).toEqual({ id: record.id, ok: true });
    });

    it('chains the backups of one container: each record holds the previous hash', async () => {
      const store = await fresh();
      const first = await backupArchive(store, CRIO_ARCHIVE);
      const second = await backupArchive(store, CRIO_ARCHIVE_2);
      const other = await backupArchive(store, CTHREADS_ARCHIVE);
      expect(first.chain.previousHash).toBeNull();
      expect(second.chain.previousHash).toBe(first.hash);
      expect(other.chain).toEqual({ key: 'apps/cthreads/server', previousHash: null });
    });

    it('removes a backup: its data is gone, a tombstone with the sealed facts stays listed', async () => {
      const store = await fresh();
      const record = await backupArchive(store, CRIO_ARCHIVE);
      await store.remove(toTombstone(record, 'test'));
      const [entry] = await store.list();
      expect(entry).toMatchObject({ kind: 'Tombstone', id: record.id, hash: record.hash, reason: 'test' });
      await expect(store.openData(record.id)).rejects.toMatchObject({ code: 'not-found' });
      await expect(store.getEntry(newBackupId())).rejects.toMatchObject({ code: 'not-found' });
    });

    it('replaces a record atomically (pinning) without changing its hash', async () => {
      const store = await fresh();
      const record = await backupArchive(store, CTHREADS_ARCHIVE);
      const pinned = sealRecord({ ...record, pinned: true });
      expect(pinned.hash).toBe(record.hash);
      await store.updateRecord(pinned);
      expect(await store.getEntry(record.id)).toEqual(pinned);
    });

    it('an interrupted put leaves nothing listed', async () => {
      const store = await fresh();
      const size = hooks.largeSize ?? 256 * 1024;
      await expect(
        store.put(newBackupId(), failingSource(size), (w) => syntheticRecord('x', w)),
      ).rejects.toThrow();
      expect(await store.list()).toEqual([]);
    });

    it('a put whose record refuses the data (wrong sha256) leaves nothing listed', async () => {
      const store = await fresh();
      await expect(
        backupArchive(store, CRIO_ARCHIVE, { expectedSha256: 'sha256:' + '0'.repeat(64) }),
      ).rejects.toMatchObject({ code: 'integrity' });
      expect(await store.list()).toEqual([]);
    });

    it('takes two puts at once, each whole', async () => {
      const store = await fresh();
      const size = hooks.largeSize ?? 300_000;
      const put = (fill: number) => {
        const id = newBackupId();
        return store.put(id, Readable.from([Buffer.alloc(size, fill)]), (w) =>
          syntheticRecord(id, w, `c${fill}`),
        );
      };
      const [a, b] = await Promise.all([put(1), put(2)]);
      const listed = (await store.list()).map((e) => e.id).sort();
      expect(listed).toEqual([a.id, b.id].sort());
      expect((await collect(await store.openData(a.id))).equals(Buffer.alloc(size, 1))).toBe(true);
      expect((await collect(await store.openData(b.id))).equals(Buffer.alloc(size, 2))).toBe(true);
    });

    it('is enough to rebuild the catalog after the database is deleted', async () => {
      const store = await fresh();
      const record = await backupArchive(store, CRIO_ARCHIVE);
      const dbPath = join(scratch, `catalog-${record.id}.db`);
      const named = (catalog: Catalog) => ({ name: 'main', row: catalog.getStore('main')!, store });
      let catalog = Catalog.open(dbPath);
      catalog.addStore('main', store.url);
      await syncStore(catalog, named(catalog));
      const before = catalog.query();
      catalog.close();
      await rm(dbPath);
      await rm(`${dbPath}-wal`, { force: true });
      await rm(`${dbPath}-shm`, { force: true });
      catalog = Catalog.open(dbPath);
      expect(catalog.query()).toEqual([]);
      catalog.addStore('main', store.url);
      expect(await syncStore(catalog, named(catalog))).toEqual({ store: 'main', backups: 1, tombstones: 0 });
      expect(catalog.query()).toEqual(before);
      expect(catalog.findEntry(record.id)).toEqual([{ store: 'main', entry: record }]);
      catalog.close();
    });
  });
}
