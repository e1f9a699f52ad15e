/**
 * Backups in the dashboard (`kcr ui --store NAME`): the catalog's backups are listed beside the
 * archives, and one opens like any archive, read out of its store with its sha256 checked.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupArchive, Catalog, resolveStore, type BackupRecord } from '../backup/index.js';
import { tempDir } from '../testing/archive-builder.js';
import { fixture, loadFacts } from '../testing/fixtures.js';
import type { CheckpointList, InspectionBody } from './api-types.js';
import { startDashboard, type Dashboard } from './dashboard.js';

const TOKEN = 'backup-token-0123456789abcdef';
const work = tempDir('kcr-ui-backups-');
const catalogFile = join(work.dir, 'catalog.db');
const facts = loadFacts('nginx-webserver-1.facts.json');
let record: BackupRecord;
let ui: Dashboard | undefined;

const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const response = await fetch(`${ui!.url}api/v1${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: response.status, body: (await response.json()) as T };
};

beforeAll(async () => {
  const catalog = Catalog.open(catalogFile);
  try {
    catalog.addStore('local', pathToFileURL(join(work.dir, 'store')).href);
    const named = await resolveStore(catalog, 'local');
    record = await backupArchive(named.store, fixture('podman', 'nginx-webserver-1.tar'));
    catalog.upsertEntry('local', record);
    await named.store.close();
  } finally {
    catalog.close();
  }
  ui = await startDashboard({
    paths: [],
    port: 0,
    token: TOKEN,
    backups: { catalog: catalogFile, stores: ['local'] },
  });
});

afterAll(async () => {
  await ui?.close();
  work.cleanup();
});

describe('backups in the dashboard', () => {
  it('lists the backups of the stores given, with their store', async () => {
    const { body } = await get<CheckpointList>('/checkpoints');
    expect(body.checkpoints).toEqual([
      expect.objectContaining({
        id: `backup/local/${record.id}`,
        origin: 'backup',
        store: 'local',
        container: 'webserver',
        encrypted: false,
        size: record.data.size,
      }),
    ]);
  });

  it('opens a backup like an archive', async () => {
    const { status, body } = await get<InspectionBody>(
      `/checkpoints/${encodeURIComponent(`backup/local/${record.id}`)}`,
    );
    expect(status).toBe(200);
    expect(body.processes?.map((p) => p.pid)).toEqual(facts.processes.list.map((p) => p.pid));
  });

  it('refuses a backup id it does not serve', async () => {
    for (const bad of ['backup/local/../../x', 'backup/other/' + record.id, 'backup/local/nope']) {
      const { status } = await get(`/checkpoints/${encodeURIComponent(bad)}`);
      expect(status).toBe(400);
    }
  });

  it('refuses to start with a store the catalog does not have', async () => {
    await expect(
      startDashboard({ paths: [], port: 0, backups: { catalog: catalogFile, stores: ['nope'] } }),
    ).rejects.toMatchObject({ code: 'not-found', message: 'no store named "nope"' });
  });
});
