/**
 * Restore from the dashboard against the in-repo test cluster and a real registry: the page's
 * POST starts ops' restore, and the operation's OpEvents arrive as server-sent events, in order,
 * exactly as the library sent them; a cancelled restore ends as `failed` with code `cancelled`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive, readMetadata } from '../archive/index.js';
import { tempDir } from '../testing/archive-builder.js';
import { crioRestoreFate } from '../testing/kube/crio-restore.js';
import { FIXTURE_ARCHIVE } from '../testing/kube/kubelet-server.js';
import { startTestCluster, type TestCluster } from '../testing/kube/test-cluster.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import type { OperationCreated, RestoreStatusBody } from './api-types.js';
import { startDashboard, type Dashboard } from './dashboard.js';

const TOKEN = 'restore-token-0123456789abcdef';
const ARCHIVE_ID = `f0/${FIXTURE_ARCHIVE.split('/').pop()!}`;
const home = tempDir('kcr-ui-restore-');
let cluster: TestCluster | undefined;
let registry: TestRegistry | undefined;
let ui: Dashboard | undefined;

const auth = { authorization: `Bearer ${TOKEN}` };

async function post<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${ui!.url}api/v1${path}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function events(operation: string): Promise<Array<[string, Record<string, unknown>]>> {
  const response = await fetch(`${ui!.url}api/v1/operations/${operation}/events`, { headers: auth });
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((b) => [/^event: (.*)$/m.exec(b)![1]!, JSON.parse(/^data: (.*)$/m.exec(b)![1]!)]);
}

beforeAll(async () => {
  registry = await startRegistry();
  cluster = await startTestCluster({ nodes: ['node-1'] });
  const archive = await CheckpointArchive.open(FIXTURE_ARCHIVE);
  const { spec } = await readMetadata(archive);
  await archive.close();
  cluster.state.podFate = crioRestoreFate((image) => (image.startsWith(registry!.host) ? spec : undefined));
  ui = await startDashboard({
    paths: [FIXTURE_ARCHIVE],
    port: 0,
    token: TOKEN,
    env: { HOME: home.dir },
    kube: { kubeconfig: cluster.kubeconfig },
  });
});

afterAll(async () => {
  await ui?.close();
  await Promise.all([cluster?.close(), registry?.stop()]);
  home.cleanup();
});

describe('restore from the dashboard', () => {
  it('says which cluster it would restore to', async () => {
    const response = await fetch(`${ui!.url}api/v1/restore`, { headers: auth });
    const body = (await response.json()) as RestoreStatusBody;
    expect(body).toMatchObject({ available: true, namespace: 'default' });
    expect(body.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+/);
  });

  it('pushes, creates the Pod and streams every step until it runs', async () => {
    const started = await post<OperationCreated>(`/checkpoints/${encodeURIComponent(ARCHIVE_ID)}/restore`, {
      registry: `${registry!.host}/checkpoints`,
      name: 'from-ui',
      node: 'node-1',
      insecure: true,
    });
    expect(started.status).toBe(202);
    const got = await events(started.body.operation);
    const types = got
      .filter(([e]) => e === 'event')
      .map(([, d]) => d.type)
      .filter((t, i, all) => t !== 'transfer' || all[i - 1] !== 'transfer');
    expect(types).toEqual(['publishing', 'transfer', 'published', 'created', 'waiting', 'running']);
    expect(got.at(-1)).toEqual([
      'done',
      expect.objectContaining({ name: 'from-ui', namespace: 'default', node: 'node-1', running: true }),
    ]);
    expect(cluster!.state.pods.get('default/from-ui')).toBeDefined();
    // A late subscriber (a page reloaded) replays the same stream.
    expect(await events(started.body.operation)).toEqual(got);
  });

  it('cancels a restore on request: the stream ends with code cancelled', async () => {
    const started = await post<OperationCreated>(`/checkpoints/${encodeURIComponent(ARCHIVE_ID)}/restore`, {
      registry: `${registry!.host}/checkpoints`,
      name: 'cancelled',
      node: 'node-1',
      insecure: true,
    });
    await post(`/operations/${started.body.operation}/cancel`, {});
    const got = await events(started.body.operation);
    expect(got.at(-1)).toEqual(['failed', expect.objectContaining({ code: 'cancelled' })]);
  });

  it('refuses a request that is not a restore request', async () => {
    const bad = await post<{ error: { code: string; message: string } }>(
      `/checkpoints/${encodeURIComponent(ARCHIVE_ID)}/restore`,
      { registry: `${registry!.host}/checkpoints`, node: 'Not A Node!' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('node');
  });
});
