/**
 * Backing up running pods: checkpoint through the API server, copy off the node, store with the
 * Pod object and the names the API server gave, against the in-repo test cluster.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupPods } from '../../src/backup/backup-pods.js';
import { readBackup } from '../../src/backup/read-backup.js';
import { FileStore } from '../../src/backup/stores/file-store.js';
import type { OpEvent } from '../../src/ops/index.js';
import { tempDir } from '../../src/testing/archive-builder.js';
import { fixture } from '../../src/testing/fixtures.js';
import { FIXTURE_ARCHIVE } from '../../src/testing/kube/kubelet-server.js';
import { kcrWithHome } from '../../src/testing/backup-cli.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';

let c: TestCluster | undefined;
const tmp = tempDir('kcr-backup-pods-');

beforeAll(async () => {
  c = await startTestCluster({ nodes: ['node-1'] });
});
afterAll(async () => {
  await c?.close();
  tmp.cleanup();
});

describe('backupPods', () => {
  it('stores one backup per container, named as the API server names them, chained and byte-exact', async () => {
    c!.state.addPod({
      name: 'shop-web',
      node: 'node-1',
      labels: { app: 'shop' },
      containers: [{ name: 'webserver', ports: [8080] }],
    });
    const store = new FileStore(tmp.path('store'));
    const access = { kubeconfig: c!.kubeconfig, env: { HOME: tmp.dir, KCR_TMPDIR: tmp.dir } };
    const events: OpEvent[] = [];
    const [first] = await backupPods(store, { ...access, pod: 'shop-web', onEvent: (e) => events.push(e) });
    expect(first!.error).toBeUndefined();
    // The store's upload is reported as ops' transfer events, ending on the archive's whole size.
    const uploads = events.flatMap((e) =>
      e.type === 'transfer' && e.progress.phase === 'upload' ? [e] : [],
    );
    expect(uploads.at(-1)).toMatchObject({
      target: { pod: 'shop-web', container: 'webserver' },
      progress: {
        label: 'default/shop-web/webserver',
        transferred: first!.record!.archive.size,
        total: first!.record!.archive.size,
        done: true,
      },
    });
    expect(events.findIndex((e) => e.type === 'copied')).toBeLessThan(events.indexOf(uploads[0]!));
    expect(first!.record!.source).toMatchObject({
      namespace: 'default',
      pod: 'shop-web',
      container: 'webserver',
      node: 'node-1',
    });
    expect(first!.record!.labels).toEqual({ app: 'shop' });
    expect(first!.record!.podObject).toMatchObject({ kind: 'Pod', metadata: { name: 'shop-web' } });

    const [second] = await backupPods(store, { ...access, pod: 'shop-web' });
    expect(second!.record!.chain.previousHash).toBe(first!.record!.hash);

    await readBackup(store, second!.record!.id, tmp.path('back.tar'));
    expect(readFileSync(tmp.path('back.tar')).equals(readFileSync(FIXTURE_ARCHIVE))).toBe(true);
  });

  it('reports a pod that does not exist as an error, not a crash', async () => {
    const store = new FileStore(tmp.path('store-2'));
    await expect(
      backupPods(store, {
        kubeconfig: c!.kubeconfig,
        env: { HOME: tmp.dir, KCR_TMPDIR: tmp.dir },
        pod: 'nope',
      }),
    ).rejects.toMatchObject({ code: 'not-found' });
    expect(await store.list()).toEqual([]);
  });

  it('kcr backup POD -n NS checkpoints, copies and stores in one command', async () => {
    c!.state.addPod({ name: 'cli-web', node: 'node-1', containers: [{ name: 'webserver', ports: [8080] }] });
    const kcr = kcrWithHome(tmp.path('home'), tmp.dir);
    const env = ['--kubeconfig', c!.kubeconfig];
    const r = await kcr('backup', 'cli-web', '-n', 'default', ...env, '-o', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({
        namespace: 'default',
        pod: 'cli-web',
        container: 'webserver',
        node: 'node-1',
        store: 'default',
      }),
    ]);
    const listed = JSON.parse((await kcr('backups', '--pod', 'cli-web', '-o', 'json')).stdout) as unknown[];
    expect(listed).toHaveLength(1);
    // The rows kcr backups lists, field for field (as kcr backup ARCHIVE prints them too).
    expect(JSON.parse(r.stdout)).toEqual(listed);
    const enc = await kcr(
      'backup',
      'cli-web',
      ...env,
      '--encrypt-to',
      fixture('keys', 'age-recipient.txt'),
      '-o',
      'json',
    );
    expect(enc.stderr).toBe('');
    const [sealed] = JSON.parse(enc.stdout) as { id: string; encrypted?: boolean }[];
    const opened = await kcr(
      'backup',
      'get',
      sealed!.id,
      '--output-file',
      tmp.path('opened.tar'),
      '--identity',
      fixture('keys', 'age-identity.txt'),
    );
    expect(opened.stderr).toBe('');
    expect(readFileSync(tmp.path('opened.tar')).equals(readFileSync(FIXTURE_ARCHIVE))).toBe(true);
    const locked = await kcr('backup', 'get', sealed!.id, '--output-file', tmp.path('locked.tar'));
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/^error: .*encrypted.*\nhint: .*--identity/);

    const missing = await kcr('backup', 'no-such-pod', ...env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: .*no-such-pod.*\nhint: /);
  });
});
