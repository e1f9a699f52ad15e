/**
 * KEP-5823 PodCheckpoints under kcr in the test cluster: a schedule's podCheckpointRetention
 * removes exactly the PodCheckpoints it should (never a pinned one, nor one a restore reads), the
 * agents of their nodes remove the data (the kubelets' real archives) before the objects go, a
 * controller stopped mid-prune neither loses nor repeats a removal, orphaned data is swept, and a
 * Restore from a PodCheckpoint creates the Pod on its node or is refused with the KEP's reason.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KcrApi } from '../../src/cluster/kcr-api.js';
import { Metrics } from '../../src/cluster/metrics.js';
import {
  API_VERSION,
  NODE_DATA_BYTES_ANNOTATION,
  NODE_DATA_FINALIZER,
  PINNED_ANNOTATION,
  type CheckpointSchedule,
  type Restore,
} from '../../src/cluster/resources.js';
import {
  eventually,
  SMALL_ARCHIVE,
  startKcrCluster,
  type KcrInCluster,
  type KcrTestCluster,
} from '../../src/testing/kcr-in-cluster.js';
import { POD_CHECKPOINT_DIR } from '../../src/testing/kube/pod-checkpoints.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';
import type { TestCluster } from '../../src/testing/kube/test-cluster.js';

let env: KcrTestCluster | undefined;
let cluster: TestCluster;
let kcr: KcrInCluster;
let api: KcrApi;
let n = 0;

beforeAll(async () => {
  env = await startKcrCluster({ podCheckpoints: true });
  ({ cluster, kcr, api } = env);
});
afterEach(() => kcr.stopAll());
afterAll(() => env?.close());

interface PcJson {
  metadata: {
    name: string;
    uid: string;
    finalizers?: string[];
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  status?: {
    nodeName?: string;
    checkpointLocation?: { nodeLocal: { path: string } };
    conditions?: { reason: string }[];
  };
}

const collection = (ns: string) => `/apis/node.k8s.io/v1alpha1/namespaces/${ns}/podcheckpoints`;
const HOUR = 3_600_000;

/** A completed PodCheckpoint of `pod`, backdated `hoursAgo` (a synthetic history). */
async function take(ns: string, name: string, pod: string, hoursAgo: number): Promise<void> {
  const res = await kcr.raw.request('POST', collection(ns), {
    apiVersion: 'node.k8s.io/v1alpha1',
    kind: 'PodCheckpoint',
    metadata: { name },
    spec: { sourcePod: { name: pod } },
  });
  expect(res.status).toBe(201);
  const pcs = cluster.state.podCheckpoints!;
  await eventually(() => {
    const s = pcs.store.get(`${ns}/${name}`)?.status as PcJson['status'];
    return s?.conditions?.[0]?.reason === 'CheckpointCompleted' ? true : undefined;
  });
  pcs.backdate(`${ns}/${name}`, new Date(Date.now() - hoursAgo * HOUR));
}

const object = (ns: string, name: string) =>
  cluster.state.podCheckpoints!.store.get(`${ns}/${name}`) as unknown as PcJson | undefined;
const names = (ns: string) =>
  [...cluster.state.podCheckpoints!.store.values()]
    .filter((o) => o.metadata.namespace === ns)
    .map((o) => o.metadata.name)
    .sort();

/** Where a PodCheckpoint's data is on its node's disk. */
function dataDir(ns: string, name: string): string {
  const o = object(ns, name)!;
  const node = cluster.state.nodes.get(o.status!.nodeName!)!;
  return join(
    node.root,
    node.kubeletRootDir,
    POD_CHECKPOINT_DIR,
    o.status!.checkpointLocation!.nodeLocal.path,
  );
}

async function startAgents(metrics?: Metrics) {
  for (const node of ['node-a', 'node-b']) {
    const fake = cluster.state.nodes.get(node)!;
    await kcr.startAgent(node, {
      podCheckpointDir: `${fake.kubeletRootDir}/${POD_CHECKPOINT_DIR}`,
      ...(metrics ? { metrics } : {}),
    });
  }
}

/** Until every named PodCheckpoint carries its agent's finalizer and measured size. */
async function claimed(ns: string, list: string[]): Promise<void> {
  await eventually(
    () =>
      list.every((name) => object(ns, name)?.metadata.finalizers?.includes(NODE_DATA_FINALIZER)) || undefined,
    15_000,
    'the agents’ finalizers',
  );
}

function schedule(ns: string, name: string, spec: Partial<CheckpointSchedule['spec']>): CheckpointSchedule {
  return {
    apiVersion: API_VERSION,
    kind: 'CheckpointSchedule',
    metadata: { name, namespace: ns },
    spec: { selector: {}, triggers: {}, store: `file://${join(cluster.dir, 'store', ns)}`, ...spec },
  };
}

describe('PodCheckpoint retention', () => {
  it('removes exactly the PodCheckpoints and node data the policy selects, never a pinned or in-use one', async () => {
    const ns = `r${++n}`;
    cluster.state.addPod({ name: 'web', namespace: ns, node: 'node-a', labels: { app: 'web' } });
    cluster.state.addPod({ name: 'db', namespace: ns, node: 'node-b', labels: { app: 'db' } });
    cluster.state.addPod({ name: 'cache', namespace: ns, node: 'node-a', labels: { app: 'cache' } });
    const history: [string, string, number][] = [
      ['web-1', 'web', 50],
      ['web-2', 'web', 40],
      ['web-3', 'web', 30],
      ['web-4', 'web', 20],
      ['db-1', 'db', 45],
      ['db-2', 'db', 25],
      ['db-3', 'db', 5],
      ['cache-1', 'cache', 60],
      ['cache-2', 'cache', 10],
    ];
    for (const [name, pod, hours] of history) await take(ns, name, pod, hours);
    // web-1 is pinned; web-2 is what a Pod still starting restores from.
    const pinned = await kcr.raw.request(
      'PATCH',
      `${collection(ns)}/web-1`,
      { metadata: { annotations: { [PINNED_ANNOTATION]: 'true' } } },
      'application/merge-patch+json',
    );
    expect(pinned.status).toBe(200);
    cluster.state.addPod({
      name: 'web-back',
      namespace: ns,
      node: 'node-a',
      phase: 'Pending',
      spec: { restoreFrom: 'web-2' },
    });
    const metrics = new Metrics({ processMetrics: false });
    await startAgents(metrics);
    await claimed(
      ns,
      history.map(([name]) => name),
    );
    expect(Number(object(ns, 'db-1')!.metadata.annotations![NODE_DATA_BYTES_ANNOTATION])).toBe(
      (await readFile(SMALL_ARCHIVE)).length,
    );
    const dirs = Object.fromEntries(history.map(([name]) => [name, dataDir(ns, name)]));

    const controllerMetrics = new Metrics({ processMetrics: false });
    await kcr.startController('retention-1', {
      podCheckpointRetentionIntervalMs: 200,
      metrics: controllerMetrics,
    });
    await api.create(
      'CheckpointSchedule',
      schedule(ns, 'keep-one', {
        selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] },
        podCheckpointRetention: { keepLast: 1, per: 'pod' },
      }),
    );
    const s = await eventually(async () => {
      const x = await api.get('CheckpointSchedule', ns, 'keep-one');
      return x.status?.podCheckpoints?.pruned === 3 && !x.status.podCheckpoints.pending?.length
        ? x
        : undefined;
    }, 15_000);
    // The objects go once their agents removed the data (the finalizer).
    await eventually(() => (names(ns).length === 6 ? true : undefined));
    expect(names(ns)).toEqual(['cache-1', 'cache-2', 'db-3', 'web-1', 'web-2', 'web-4']);
    for (const [name] of history) {
      const kept = names(ns).includes(name);
      expect([name, existsSync(join(dirs[name]!, `${name.split('-')[0]}.tar`))]).toEqual([name, kept]);
      expect([name, existsSync(dirs[name]!)]).toEqual([name, kept]);
    }
    // What stays is the kubelet's archive, byte for byte.
    expect(await readFile(join(dirs['db-3']!, 'db.tar'))).toEqual(await readFile(SMALL_ARCHIVE));
    // Oldest first: db-1 (45 h), web-3 (30 h), db-2 (25 h).
    expect(s.status!.podCheckpoints!.lastPruned!.map((e) => [e.name, e.node, e.reason])).toEqual([
      ['db-1', 'node-b', 'keep-last 1 (per pod): pod ' + ns + '/db has 2 newer'],
      ['web-3', 'node-a', 'keep-last 1 (per pod): pod ' + ns + '/web has 1 newer'],
      ['db-2', 'node-b', 'keep-last 1 (per pod): pod ' + ns + '/db has 1 newer'],
    ]);
    const condition = s.status!.conditions!.find((c) => c.type === 'PodCheckpointsPruned')!;
    expect(condition).toMatchObject({ status: 'True', reason: 'Pruned' });
    expect(condition.message).toContain('web-3 (pod web on node-a): keep-last 1');
    expect((await controllerMetrics.podCheckpointsPruned.get()).values).toEqual([
      expect.objectContaining({ labels: { limit: 'keep-last' }, value: 3 }),
    ]);
    expect((await metrics.podCheckpointDataRemoved.get()).values).toEqual([
      expect.objectContaining({ labels: { cause: 'finalizer' }, value: 3 }),
    ]);
    // Later passes find nothing more to remove, and count nothing twice.
    await new Promise((r) => setTimeout(r, 600));
    expect((await api.get('CheckpointSchedule', ns, 'keep-one')).status!.podCheckpoints!.pruned).toBe(3);
    expect(names(ns)).toHaveLength(6);
  }, 30_000);

  it('finishes a prune a stopped controller recorded, checking each entry again, counting each once', async () => {
    const ns = `r${++n}`;
    const deleted: string[] = [];
    const unsubscribe = cluster.state.history.subscribe((e) => {
      if (e.type === 'DELETED' && e.resource.endsWith('podcheckpoints') && e.key.startsWith(`${ns}/`))
        deleted.push(e.key);
    });
    cluster.state.addPod({ name: 'api', namespace: ns, node: 'node-b', labels: { app: 'api' } });
    for (const [i, hours] of [40, 30, 20, 10].entries()) await take(ns, `api-${i + 1}`, 'api', hours);
    await startAgents();
    await claimed(ns, ['api-1', 'api-2', 'api-3', 'api-4']);
    const created = (
      await api.create(
        'CheckpointSchedule',
        schedule(ns, 'keep-one', { podCheckpointRetention: { keepLast: 1 } }),
      )
    ).object;
    const [uid1, uid2, uid3] = ['api-1', 'api-2', 'api-3'].map((x) => object(ns, x)!.metadata.uid);
    const reason = 'keep-last 1 (per pod)';
    // What a controller leaves when it stops after recording its choice and deleting the first one.
    await api.writeStatus('CheckpointSchedule', created, () => ({
      podCheckpoints: {
        pending: [
          { name: 'api-1', uid: uid1, pod: 'api', node: 'node-b', reason },
          { name: 'api-2', uid: uid2, pod: 'api', node: 'node-b', reason },
          { name: 'api-3', uid: uid3, pod: 'api', node: 'node-b', reason },
        ],
      },
    }));
    expect((await kcr.raw.request('DELETE', `${collection(ns)}/api-1`)).status).toBe(200);
    // Meanwhile someone pins api-3: the recorded choice is checked again, not trusted.
    await kcr.raw.request(
      'PATCH',
      `${collection(ns)}/api-3`,
      { metadata: { annotations: { [PINNED_ANNOTATION]: 'true' } } },
      'application/merge-patch+json',
    );
    await kcr.startController('retention-2', { podCheckpointRetentionIntervalMs: 200 });
    const s = await eventually(async () => {
      const x = await api.get('CheckpointSchedule', ns, 'keep-one');
      return x.status?.podCheckpoints?.lastPruneTime && !x.status.podCheckpoints.pending?.length
        ? x
        : undefined;
    });
    expect(s.status!.podCheckpoints!.pruned).toBe(2);
    // Oldest first: db-1 (45 h), web-3 (30 h), db-2 (25 h).
    expect(s.status!.podCheckpoints!.lastPruned!.map((e) => e.name)).toEqual(['api-1', 'api-2']);
    await eventually(() => (names(ns).length === 2 ? true : undefined));
    expect(names(ns)).toEqual(['api-3', 'api-4']);
    await new Promise((r) => setTimeout(r, 600));
    unsubscribe();
    expect(deleted).toEqual([`${ns}/api-1`, `${ns}/api-2`]);
    expect((await api.get('CheckpointSchedule', ns, 'keep-one')).status!.podCheckpoints!.pruned).toBe(2);
  }, 30_000);

  it('sweeps node data no PodCheckpoint names once it is old enough, and nothing else', async () => {
    const ns = `r${++n}`;
    cluster.state.addPod({ name: 'job', namespace: ns, node: 'node-a' });
    await take(ns, 'job-1', 'job', 1);
    await startAgents();
    await claimed(ns, ['job-1']);
    const fake = cluster.state.nodes.get('node-a')!;
    const root = join(fake.root, fake.kubeletRootDir, POD_CHECKPOINT_DIR);
    const [old, fresh] = [join(root, 'checkpoint-gone_x-old'), join(root, 'checkpoint-gone_x-new')];
    for (const dir of [old, fresh]) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'gone.tar'), await readFile(SMALL_ARCHIVE));
    }
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
    await utimes(old, twoHoursAgo, twoHoursAgo);
    await utimes(dataDir(ns, 'job-1'), twoHoursAgo, twoHoursAgo);
    const agent = await kcr.startAgent('node-b');
    expect(agent.podCheckpointData).toBeUndefined();
    const a = await kcr.startAgent('node-a', {
      podCheckpointDir: `${fake.kubeletRootDir}/${POD_CHECKPOINT_DIR}`,
      podCheckpointSweep: { minAgeMs: HOUR },
    });
    await eventually(() => (a.podCheckpointData!.synced ? true : undefined));
    expect(await a.podCheckpointData!.sweepOnce()).toEqual(['checkpoint-gone_x-old']);
    expect([existsSync(old), existsSync(fresh), existsSync(dataDir(ns, 'job-1'))]).toEqual([
      false,
      true,
      true,
    ]);
  }, 20_000);
});

describe('kcr prune --pod-checkpoints', () => {
  it('shows with --dry-run what the same policy removes, then removes exactly that', async () => {
    const ns = `r${++n}`;
    cluster.state.addPod({ name: 'svc', namespace: ns, node: 'node-b' });
    for (const [i, hours] of [30, 20, 10, 5].entries()) await take(ns, `svc-${i + 1}`, 'svc', hours);
    await kcr.raw.request(
      'PATCH',
      `${collection(ns)}/svc-1`,
      { metadata: { annotations: { [PINNED_ANNOTATION]: 'true' } } },
      'application/merge-patch+json',
    );
    const prune = (...flags: string[]) =>
      runCliCaptured(['prune', '--pod-checkpoints', '-n', ns, '--keep-last', '2', ...flags], {
        env: { KUBECONFIG: cluster.kubeconfig, HOME: cluster.dir },
      });
    const dry = await prune('--dry-run', '-o', 'json');
    expect(dry.stderr).toBe('');
    const shown = JSON.parse(dry.stdout) as { dryRun: boolean; removed: Record<string, unknown>[] };
    expect(shown.dryRun).toBe(true);
    expect(shown.removed.map((r) => [r.id, r.pod, r.node, r.reason])).toEqual([
      ['svc-2', 'svc', 'node-b', `keep-last 2 (per pod): pod ${ns}/svc has 2 newer`],
    ]);
    expect(names(ns)).toEqual(['svc-1', 'svc-2', 'svc-3', 'svc-4']);
    const real = await prune();
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^PODCHECKPOINT +NAMESPACE +POD +NODE +TAKEN +SIZE +REASON\nsvc-2 /);
    expect(real.stdout).toMatch(/removed 1 \(/);
    expect(names(ns)).toEqual(['svc-1', 'svc-3', 'svc-4']);
  });
});

describe('a Restore from a PodCheckpoint', () => {
  let ns: string;
  beforeAll(async () => {
    ns = `r${++n}`;
    cluster.state.addPod({ name: 'web', namespace: ns, node: 'node-a', containers: [{ name: 'server' }] });
    cluster.state.addPod({
      name: 'duo',
      namespace: ns,
      node: 'node-a',
      containers: [{ name: 'app' }, { name: 'sidecar' }],
    });
    await take(ns, 'web-ckpt', 'web', 1);
    await take(ns, 'duo-ckpt', 'duo', 1);
  });

  function restore(name: string, spec: Partial<Restore['spec']>): Restore {
    return {
      apiVersion: API_VERSION,
      kind: 'Restore',
      metadata: { name, namespace: ns },
      spec: { source: {}, ...spec },
    };
  }
  const finished = (name: string) =>
    eventually(async () => {
      const r = await api.get('Restore', ns, name);
      return r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed' ? r : undefined;
    }, 20_000);

  it('creates the restoreFrom Pod on the checkpoint’s node and records it', async () => {
    await kcr.startController('restore-pc', {
      restore: { kubeconfig: { kubeconfig: kcr.controllerKubeconfig }, wait: true, timeoutSeconds: 15 },
    });
    await api.create('Restore', restore('back', { source: { podCheckpoint: 'web-ckpt' }, name: 'web-back' }));
    const r = await finished('back');
    expect(r.status).toMatchObject({
      phase: 'Succeeded',
      podName: 'web-back',
      podNamespace: ns,
      nodeName: 'node-a',
      method: 'restoreFrom',
    });
    expect(r.status!.conditions!.at(-1)).toMatchObject({ type: 'Ready', status: 'True', reason: 'Restored' });
    expect(r.status!.conditions!.at(-1)!.message).toBe(
      'pod web-back runs on node-a from podcheckpoint web-ckpt (spec.restoreFrom)',
    );
    const pod = cluster.state.pods.get(`${ns}/web-back`)!;
    expect([pod.spec.nodeName, pod.spec.restoreFrom]).toEqual(['node-a', 'web-ckpt']);
    expect(cluster.state.podCheckpoints!.restores).toContainEqual({
      pod: `${ns}/web-back`,
      checkpoint: `${ns}/web-ckpt`,
      node: 'node-a',
    });
  }, 30_000);

  it('is refused on another node with the KEP’s reason, and a multi-container one with kcr’s', async () => {
    await kcr.startController('restore-pc-2', {
      restore: { kubeconfig: { kubeconfig: kcr.controllerKubeconfig }, wait: true, timeoutSeconds: 15 },
    });
    await api.create(
      'Restore',
      restore('elsewhere', { source: { podCheckpoint: 'web-ckpt' }, node: 'node-b' }),
    );
    await api.create(
      'Restore',
      restore('duo-elsewhere', {
        source: { podCheckpoint: 'duo-ckpt' },
        node: 'node-b',
        repository: '127.0.0.1:1/never-pushed',
      }),
    );
    const wrong = await finished('elsewhere');
    expect(wrong.status!.phase).toBe('Failed');
    const c = wrong.status!.conditions!.at(-1)!;
    expect(c).toMatchObject({ type: 'Ready', status: 'False', reason: 'ConflictError' });
    expect(c.message).toContain(
      'spec.nodeName: Invalid value: "node-b": must be "node-a", the node of PodCheckpoint "web-ckpt": restoring on another node is not supported',
    );
    expect(c.message).toMatch(
      /\nhint: a PodCheckpoint restores on its own node \(node-a\) only; leave spec\.node out, or add spec\.repository/,
    );
    expect(cluster.state.pods.has(`${ns}/web-restored`)).toBe(false);
    const duo = await finished('duo-elsewhere');
    expect(duo.status!.phase).toBe('Failed');
    expect(duo.status!.conditions!.at(-1)!.message).toMatch(
      new RegExp(
        `^podcheckpoint ${ns}/duo-ckpt holds 2 containers \\(app, sidecar\\); restoring on another node goes through a checkpoint image`,
      ),
    );
  }, 30_000);
});
