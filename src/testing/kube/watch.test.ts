/**
 * The test cluster's watches behave as a real API server's do, for raw clients and for
 * @kubernetes/client-node's ListWatch informer (what kcr's agent and controller use): lists carry
 * a resourceVersion, a watch resumes after it, bookmarks come when allowed, an expired version is
 * a 410 that makes the informer list again, and a restart mid-watch loses nothing.
 */
import { CoreV1Api, KubeConfig, ListWatch, Watch, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, type RawWatch } from './raw-client.js';
import { startTestCluster, type TestCluster } from './test-cluster.js';

let c: TestCluster;
let raw: RawClient;
let core: CoreV1Api;
let kc: KubeConfig;

beforeAll(async () => {
  c = await startTestCluster({ nodes: ['node-1', 'node-2'] });
  raw = await RawClient.fromKubeconfig(c.kubeconfig);
  kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(() => c?.close());

const podBody = (name: string, node?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'watched' } },
  spec: { ...(node ? { nodeName: node } : {}), containers: [{ name: 'main', image: 'localhost/app:1' }] },
});

async function listVersion(path: string): Promise<string> {
  const r = await raw.request('GET', path);
  expect(r.status).toBe(200);
  return (r.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

describe('watch over raw HTTP', () => {
  it('resumes after a list resourceVersion with ADDED, MODIFIED and DELETED in order', async () => {
    const rv = await listVersion('/api/v1/namespaces/w1/pods');
    const w: RawWatch = await raw.watch(`/api/v1/namespaces/w1/pods?watch=true&resourceVersion=${rv}`);
    expect(w.status).toBe(200);
    await core.createNamespacedPod({ namespace: 'w1', body: podBody('a', 'node-1') });
    await core.patchNamespacedPod({
      namespace: 'w1',
      name: 'a',
      body: [{ op: 'add', path: '/metadata/annotations', value: { touched: 'yes' } }],
    });
    await core.deleteNamespacedPod({ namespace: 'w1', name: 'a' });
    const events = await w.next(4); // created, scheduled and started (status), patched, deleted
    w.close();
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
    expect(events[0]!.object).toMatchObject({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'a', namespace: 'w1' },
    });
    expect(events[1]!.object).toMatchObject({ status: { phase: 'Running' } });
    expect(events[2]!.object).toMatchObject({ metadata: { annotations: { touched: 'yes' } } });
    const versions = events.map((e) => Number(e.object.metadata!.resourceVersion));
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(versions[0]).toBeGreaterThan(Number(rv));
  });

  it('starts with the current objects as ADDED when no resourceVersion is given', async () => {
    await core.createNamespacedPod({ namespace: 'w2', body: podBody('existing', 'node-1') });
    const w = await raw.watch('/api/v1/namespaces/w2/pods?watch=1');
    const [first] = await w.next(1);
    w.close();
    expect(first).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'existing' } } });
  });

  it('filters a cluster-wide watch by spec.nodeName, as a node agent watches its pods', async () => {
    const rv = await listVersion('/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-2');
    const w = await raw.watch(
      `/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dnode-2&resourceVersion=${rv}`,
    );
    await core.createNamespacedPod({ namespace: 'w3', body: podBody('on-1', 'node-1') });
    await core.createNamespacedPod({ namespace: 'w3', body: podBody('on-2', 'node-2') });
    const events = await w.next(2);
    w.close();
    expect(events.map((e) => [e.type, e.object.metadata!.name])).toEqual([
      ['ADDED', 'on-2'],
      ['MODIFIED', 'on-2'],
    ]);
    const bad = await raw.request('GET', '/api/v1/pods?fieldSelector=spec.image%3Dx');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      reason: 'BadRequest',
      message: 'field label not supported: spec.image',
    });
  });

  it('sends bookmarks with only a resourceVersion when the client allows them', async () => {
    const rv = await listVersion('/api/v1/namespaces/w4/pods');
    const w = await raw.watch(
      `/api/v1/namespaces/w4/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`,
    );
    await core.createNamespacedPod({ namespace: 'other', body: podBody('elsewhere', 'node-1') });
    c.api.sendBookmarks();
    const [bookmark] = await w.next(1);
    w.close();
    expect(bookmark!.type).toBe('BOOKMARK');
    expect(Object.keys(bookmark!.object.metadata!)).toEqual(['resourceVersion']);
    expect(Number(bookmark!.object.metadata!.resourceVersion)).toBeGreaterThan(Number(rv));
  });

  it('answers a resourceVersion older than the history with the 410 Expired Status', async () => {
    const rv = await listVersion('/api/v1/namespaces/w5/pods');
    await core.createNamespacedPod({ namespace: 'w5', body: podBody('later', 'node-1') });
    const open = await raw.watch(`/api/v1/namespaces/w5/pods?watch=true&resourceVersion=${rv}`);
    c.api.expireHistory();
    // The open watch is ended (as at its timeout); resuming from the old version is refused.
    await open.ended();
    const w = await raw.watch(`/api/v1/namespaces/w5/pods?watch=true&resourceVersion=${rv}`);
    expect(w.status).toBe(200);
    const [error, ...rest] = await w.ended();
    expect(rest).toEqual([]);
    expect(error).toEqual({
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: expect.stringMatching(new RegExp(`^too old resource version: ${rv} \\(\\d+\\)$`)) as string,
        reason: 'Expired',
        code: 410,
      },
    });
    const exact = await raw.request(
      'GET',
      `/api/v1/namespaces/w5/pods?resourceVersion=${rv}&resourceVersionMatch=Exact`,
    );
    expect(exact.status).toBe(410);
    expect(exact.body).toMatchObject({ reason: 'Expired', code: 410 });
  });

  it('lists at an exact resourceVersion still in the history, and pages with limit and continue', async () => {
    await core.createNamespacedPod({ namespace: 'w6', body: podBody('one', 'node-1') });
    const rv = await listVersion('/api/v1/namespaces/w6/pods');
    await core.createNamespacedPod({ namespace: 'w6', body: podBody('two', 'node-1') });
    await core.createNamespacedPod({ namespace: 'w6', body: podBody('three', 'node-1') });
    const then = await raw.request(
      'GET',
      `/api/v1/namespaces/w6/pods?resourceVersion=${rv}&resourceVersionMatch=Exact`,
    );
    expect((then.body as { items: V1Pod[] }).items.map((p) => p.metadata!.name)).toEqual(['one']);
    const first = await core.listNamespacedPod({ namespace: 'w6', limit: 2 });
    expect(first.items.map((p) => p.metadata!.name)).toEqual(['one', 'three']);
    expect(first.metadata!.remainingItemCount).toBe(1);
    const second = await core.listNamespacedPod({
      namespace: 'w6',
      limit: 2,
      _continue: first.metadata!._continue!,
    });
    expect(second.items.map((p) => p.metadata!.name)).toEqual(['two']);
    expect(second.metadata!._continue).toBeUndefined();
  });
});

/** Waits until `check` passes (informers are eventually consistent by design). */
async function eventually(check: () => void, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe("client-node's ListWatch against the test cluster", () => {
  function informer(namespace: string) {
    const path = `/api/v1/namespaces/${namespace}/pods`;
    const lw = new ListWatch<V1Pod>(path, new Watch(kc), () => core.listNamespacedPod({ namespace }), false);
    const seen: string[] = [];
    let lists = 0;
    let errors = 0;
    lw.on('add', (p) => seen.push(`add ${p.metadata!.name}`));
    lw.on('update', (p) => seen.push(`update ${p.metadata!.name} ${p.metadata!.annotations?.step ?? ''}`));
    lw.on('delete', (p) => seen.push(`delete ${p.metadata!.name}`));
    lw.on('connect', () => lists++);
    // The documented pattern: after an error, start again (here at once; a controller backs off).
    let stopped = false;
    lw.on('error', () => {
      if (stopped) return; // stop() aborts the watch, which ListWatch reports as an error too
      errors++;
      setTimeout(() => void (stopped || lw.start()), 50);
    });
    const stop = async () => {
      stopped = true;
      await lw.stop();
    };
    return { lw, seen, stop, counts: () => ({ lists, errors }) };
  }

  const step = (namespace: string, name: string, value: string) =>
    core.patchNamespacedPod({
      namespace,
      name,
      body: [{ op: 'add', path: '/metadata/annotations', value: { step: value } }],
    });

  it('lists, then watches adds, updates and deletes', async () => {
    await core.createNamespacedPod({ namespace: 'i1', body: podBody('before', 'node-1') });
    const { lw, seen, stop } = informer('i1');
    await lw.start();
    await eventually(() => expect(lw.list().map((p) => p.metadata!.name)).toEqual(['before']));
    await core.createNamespacedPod({ namespace: 'i1', body: podBody('after', 'node-1') });
    await step('i1', 'before', 'one');
    await core.deleteNamespacedPod({ namespace: 'i1', name: 'after' });
    await eventually(() => expect(seen).toContain('delete after'));
    await stop();
    expect(seen).toEqual(['add before', 'add after', 'update after ', 'update before one', 'delete after']);
  });

  it('lists again after a 410 and ends up with what changed meanwhile', async () => {
    await core.createNamespacedPod({ namespace: 'i2', body: podBody('keep', 'node-1') });
    await core.createNamespacedPod({ namespace: 'i2', body: podBody('gone', 'node-1') });
    const { lw, seen, stop, counts } = informer('i2');
    await lw.start();
    await eventually(() => expect(lw.list()).toHaveLength(2));
    const listsBefore = counts().lists;
    // Cut the watch with the history gone, and change things before the informer is back.
    c.api.expireHistory();
    await core.deleteNamespacedPod({ namespace: 'i2', name: 'gone' });
    await step('i2', 'keep', 'two');
    await eventually(() => expect(seen).toContain('delete gone'));
    await eventually(() => expect(lw.get('keep', 'i2')?.metadata?.annotations?.step).toBe('two'));
    await stop();
    expect(counts().lists).toBeGreaterThan(listsBefore);
    expect(counts().errors).toBe(0); // a 410 is no error for the informer: it lists again
    expect(lw.list().map((p) => p.metadata!.name)).toEqual(['keep']);
  });

  it('reconnects after an API server restart and loses no change made while it was down', async () => {
    const { lw, seen, stop, counts } = informer('i3');
    await lw.start();
    await core.createNamespacedPod({ namespace: 'i3', body: podBody('first', 'node-1') });
    await eventually(() => expect(seen).toContain('add first'));
    // A write while the API server is down goes straight to the state (etcd), as another API
    // server replica would take it.
    const restarting = c.api.restart({ downMs: 300 });
    c.state.addPod({ name: 'during', namespace: 'i3', node: 'node-1' });
    await restarting;
    await step('i3', 'first', 'three');
    await eventually(() => expect(lw.get('during', 'i3')).toBeDefined());
    await eventually(() => expect(lw.get('first', 'i3')?.metadata?.annotations?.step).toBe('three'));
    await stop();
    expect(counts().errors).toBeGreaterThan(0);
    expect(seen.filter((s) => s.startsWith('add'))).toEqual(['add first', 'add during']);
  });
});
