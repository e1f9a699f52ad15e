/**
 * kcr in the cluster, end to end against the test cluster (watch with resourceVersions and 410s,
 * CRDs with status subresources, Leases, kubelets): schedules fire on time, the agent of the
 * right node stores the backups, the controller neither loses nor repeats a run across a crash,
 * one of two replicas leads, and an API server restart loses nothing. Crons run at second
 * granularity and archives are 200 KiB, so each case takes seconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type BackupRecord } from '../../src/backup/index.js';
import type { KcrApi } from '../../src/cluster/kcr-api.js';
import {
  API_VERSION,
  LABELS,
  type Checkpoint,
  type CheckpointSchedule,
} from '../../src/cluster/resources.js';
import { runId } from '../../src/cluster/schedule-runs.js';
import {
  eventually,
  SMALL_ARCHIVE,
  startKcrCluster,
  type KcrInCluster,
  type KcrTestCluster,
} from '../../src/testing/kcr-in-cluster.js';
import { startS3, type TestS3 } from '../../src/testing/s3.js';
import type { TestCluster } from '../../src/testing/kube/test-cluster.js';

let env: KcrTestCluster | undefined;
let cluster: TestCluster;
let kcr: KcrInCluster;
let api: KcrApi;
let s3: TestS3;
let work: string;
let n = 0;

beforeAll(async () => {
  [env, s3] = await Promise.all([startKcrCluster(), startS3('kcr-cluster')]);
  ({ cluster, kcr, api } = env);
  work = await mkdtemp(join(tmpdir(), 'kcr-in-cluster-'));
});
afterEach(() => kcr.stopAll());
afterAll(async () => {
  await Promise.all([env?.close(), s3?.close()]);
  if (work) await rm(work, { recursive: true, force: true });
});

function schedule(
  name: string,
  namespace: string,
  spec: Partial<CheckpointSchedule['spec']>,
): CheckpointSchedule {
  return {
    apiVersion: API_VERSION,
    kind: 'CheckpointSchedule',
    metadata: { name, namespace },
    spec: { selector: {}, triggers: {}, store: `file://${join(work, name)}`, ...spec },
  };
}

async function checkpointsOf(namespace: string, selector: string): Promise<Checkpoint[]> {
  return api.list('Checkpoint', { namespace, labelSelector: selector });
}

const done = (c: Checkpoint) => c.status?.phase === 'Succeeded' || c.status?.phase === 'Failed';

describe('a CheckpointSchedule', () => {
  it('fires on time; the agent of the Pod’s node stores the backup in S3 and the other agent ignores it', async () => {
    const ns = `s${++n}`;
    cluster.state.addPod({ name: 'web', namespace: ns, node: 'node-a', labels: { app: 'web' } });
    cluster.state.addPod({ name: 'db', namespace: ns, node: 'node-b', labels: { app: 'db' } });
    const [a, b] = [cluster.kubelets.get('node-a')!, cluster.kubelets.get('node-b')!];
    const [callsA, callsB] = [a.calls.length, b.calls.length];
    const storeOptions = { endpoint: s3.endpoint, pathStyle: true };
    await kcr.startAgent('node-a', { storeOptions });
    await kcr.startAgent('node-b', { storeOptions });
    await kcr.startController('controller-1', { storeOptions });
    const created = await api.create(
      'CheckpointSchedule',
      schedule('nightly', ns, {
        selector: { matchLabels: { app: 'web' } },
        triggers: { cron: { schedule: '*/2 * * * * *', timeZone: 'Europe/Berlin' } },
        store: `s3://${s3.bucket}/${ns}`,
      }),
    );
    const fired = await eventually(async () => {
      const s = await api.get('CheckpointSchedule', ns, 'nightly');
      return s.status?.runs?.find((r) => r.phase === 'Succeeded') ? s : undefined;
    });
    const run = fired.status!.runs!.find((r) => r.phase === 'Succeeded')!;
    // On time: on an even second, after the schedule was made, started within a second of it.
    const scheduled = new Date(run.scheduledTime);
    expect(scheduled.getUTCSeconds() % 2).toBe(0);
    expect(scheduled.getTime()).toBeGreaterThan(
      new Date(created.object.metadata.creationTimestamp!).getTime(),
    );
    expect(new Date(run.startTime!).getTime() - scheduled.getTime()).toBeLessThan(1500);
    expect(run).toMatchObject({ trigger: 'cron', checkpoints: 1, succeeded: 1, failed: 0 });
    const [cp] = await checkpointsOf(ns, `${LABELS.run}=${run.id}`);
    expect(cp!.spec).toMatchObject({ pod: 'web', nodeName: 'node-a' });
    expect(cp!.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    expect(a.calls.length).toBeGreaterThan(callsA);
    expect(b.calls.length).toBe(callsB);
    const store = await openStore(`s3://${s3.bucket}/${ns}`, { endpoint: s3.endpoint, pathStyle: true });
    const records = (await store.list()).filter((e): e is BackupRecord => e.kind === 'Backup');
    await store.close();
    expect(records.map((r) => r.id)).toContain(cp!.status!.containers![0]!.backupId);
    expect(new Set(records.map((r) => `${r.source.pod}@${r.source.node}`))).toEqual(new Set(['web@node-a']));
  }, 30_000);
});

describe('the controller', () => {
  it('finishes a run a crashed controller recorded but did not carry out, without doubling its Checkpoints', async () => {
    const ns = `s${++n}`;
    for (let i = 0; i < 3; i++)
      cluster.state.addPod({ name: `w${i}`, namespace: ns, node: 'node-a', labels: { app: 'w' } });
    // Yearly: no new run falls due during the test; the crashed controller's run is the only one.
    const s = (
      await api.create(
        'CheckpointSchedule',
        schedule('yearly', ns, {
          selector: { matchLabels: { app: 'w' } },
          triggers: { cron: { schedule: '0 0 1 1 *' } },
        }),
      )
    ).object;
    const slot = new Date(Date.UTC(new Date().getUTCFullYear(), 0, 1));
    const id = runId('cron', slot);
    // What a controller leaves when it dies after recording the run and creating one Checkpoint of three.
    const recorded = await api.writeStatus('CheckpointSchedule', s, () => ({
      lastScheduleTime: slot.toISOString(),
      runs: [
        {
          id,
          trigger: 'cron',
          scheduledTime: slot.toISOString(),
          startTime: slot.toISOString(),
          phase: 'Creating',
        },
      ],
      counts: { runs: 1 },
    }));
    const { checkpointName } = await import('../../src/cluster/schedule-runs.js');
    const w0 = cluster.state.pods.get(`${ns}/w0`)!;
    await api.create('Checkpoint', {
      apiVersion: API_VERSION,
      kind: 'Checkpoint',
      metadata: {
        name: checkpointName('yearly', id, w0.metadata.uid),
        namespace: ns,
        labels: { [LABELS.schedule]: 'yearly', [LABELS.run]: id, [LABELS.node]: 'node-a' },
      },
      spec: { pod: 'w0', nodeName: 'node-a', store: recorded.spec.store },
    });
    await kcr.startAgent('node-a');
    // Two replicas come up; whichever leads carries the run on.
    await kcr.startController('replica-1');
    await kcr.startController('replica-2');
    const finished = await eventually(async () => {
      const latest = await api.get('CheckpointSchedule', ns, 'yearly');
      return latest.status?.runs?.[0]?.phase === 'Succeeded' ? latest : undefined;
    });
    expect(finished.status!.runs).toHaveLength(1);
    expect(finished.status!.runs![0]).toMatchObject({ id, checkpoints: 3, succeeded: 3 });
    expect(finished.status!.counts?.runs).toBe(1);
    const cps = await checkpointsOf(ns, `${LABELS.run}=${id}`);
    expect(cps.map((c) => c.spec.pod).sort()).toEqual(['w0', 'w1', 'w2']);
    const store = await openStore(recorded.spec.store);
    expect((await store.list()).filter((e) => e.kind === 'Backup')).toHaveLength(3);
    await store.close();
  }, 30_000);

  it('runs with one leader among two replicas, and the other takes over when it stops', async () => {
    const one = await kcr.startController('replica-a');
    const two = await kcr.startController('replica-b');
    const leader = await eventually(() =>
      one.elector.isLeader !== two.elector.isLeader ? (one.elector.isLeader ? one : two) : undefined,
    );
    const standby = leader === one ? two : one;
    // Stays so over several renewals.
    await new Promise((r) => setTimeout(r, 700));
    expect([one.elector.isLeader, two.elector.isLeader].filter(Boolean)).toHaveLength(1);
    await leader.stop();
    await eventually(() => (standby.elector.isLeader ? true : undefined), 5000, 'the standby to lead');
    const lease = await kcr.raw.request(
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/kcr-system/leases/kcr-controller',
    );
    expect((lease.body as { spec: { holderIdentity: string } }).spec.holderIdentity).toBe(
      standby === one ? 'replica-a' : 'replica-b',
    );
  }, 20_000);
});

describe('the node agent', () => {
  it('loses no Checkpoint across an API server restart that expires the watch history', async () => {
    const ns = `s${++n}`;
    cluster.state.addPod({ name: 'api', namespace: ns, node: 'node-b' });
    const agent = await kcr.startAgent('node-b', { defaultStore: `file://${join(work, ns)}` });
    const make = (name: string) =>
      api.create('Checkpoint', {
        apiVersion: API_VERSION,
        kind: 'Checkpoint',
        metadata: { name, namespace: ns },
        spec: { pod: 'api', nodeName: 'node-b' },
      });
    await make('before');
    await cluster.api.restart({ downMs: 300, expireHistory: true });
    await make('after');
    const all = await eventually(async () => {
      const list = await api.list('Checkpoint', { namespace: ns });
      return list.length === 2 && list.every(done) ? list : undefined;
    });
    expect(all.map((c) => [c.metadata.name, c.status?.phase]).sort()).toEqual([
      ['after', 'Succeeded'],
      ['before', 'Succeeded'],
    ]);
    expect(agent.notReady()).toBeUndefined();
  }, 30_000);

  it('is given the node of a Checkpoint made without one by the controller', async () => {
    const ns = `s${++n}`;
    cluster.state.addPod({ name: 'lonely', namespace: ns, node: 'node-b' });
    await kcr.startAgent('node-b', { defaultStore: `file://${join(work, ns)}` });
    await kcr.startController('replica-x');
    await api.create('Checkpoint', {
      apiVersion: API_VERSION,
      kind: 'Checkpoint',
      metadata: { name: 'now', namespace: ns },
      spec: { pod: 'lonely' },
    });
    const cp = await eventually(async () => {
      const c = await api.get('Checkpoint', ns, 'now');
      return done(c) ? c : undefined;
    });
    expect(cp.spec.nodeName).toBe('node-b');
    expect(cp.metadata.labels?.[LABELS.node]).toBe('node-b');
    expect(cp.status?.phase).toBe('Succeeded');
  }, 20_000);
});

describe('retention and on-demand runs', () => {
  it('keeps exactly the newest backups of each covered Pod after each run, and deletes the pruned Checkpoints', async () => {
    const ns = `s${++n}`;
    cluster.state.addPod({ name: 'kept', namespace: ns, node: 'node-a', labels: { app: 'r' } });
    // A backup of a Pod the schedule does not cover, in the same store: retention leaves it alone.
    cluster.state.addPod({ name: 'other', namespace: ns, node: 'node-a', labels: { app: 'x' } });
    const storeUrl = `file://${join(work, ns)}`;
    await kcr.startAgent('node-a', { defaultStore: storeUrl });
    await api.create('Checkpoint', {
      apiVersion: API_VERSION,
      kind: 'Checkpoint',
      metadata: { name: 'manual', namespace: ns },
      spec: { pod: 'other', nodeName: 'node-a' },
    });
    await kcr.startController('replica-r');
    await api.create(
      'CheckpointSchedule',
      schedule('every-second', ns, {
        selector: { matchLabels: { app: 'r' } },
        triggers: { cron: { schedule: '* * * * * *' } },
        store: storeUrl,
        retention: { keepLast: 2 },
      }),
    );
    const s = await eventually(async () => {
      const latest = await api.get('CheckpointSchedule', ns, 'every-second');
      return (latest.status?.counts?.pruned ?? 0) >= 2 ? latest : undefined;
    }, 20_000);
    await api.patch('CheckpointSchedule', ns, 'every-second', { spec: { suspend: true } });
    // A run started before the suspend still stores its backup, and its retention follows once the
    // run is recorded done: wait for both before reading the store (on a loaded machine a backup
    // can land between the prune seen above and the suspend).
    const entries = await eventually(
      async () => {
        const latest = await api.get('CheckpointSchedule', ns, 'every-second');
        if (latest.status?.runs?.some((r) => r.phase === 'Running')) return undefined;
        const store = await openStore(storeUrl);
        const listed = await store.list().finally(() => store.close());
        const keptNow = listed.filter((e) => e.kind === 'Backup' && e.source.pod === 'kept');
        return keptNow.length <= 2 ? listed : undefined;
      },
      10_000,
      'the last run and its retention',
    );
    await kcr.stopAll();
    const live = entries.filter((e): e is BackupRecord => e.kind === 'Backup');
    const kept = live
      .filter((r) => r.source.pod === 'kept')
      .sort((x, y) => x.createdAt.localeCompare(y.createdAt));
    const gone = entries.filter((e) => e.kind === 'Tombstone');
    expect(kept).toHaveLength(2);
    expect(live.filter((r) => r.source.pod === 'other')).toHaveLength(1);
    // The removed ones are older than every kept one, and each says why.
    expect(gone.length).toBeGreaterThanOrEqual(2);
    for (const t of gone) {
      expect(t.kind === 'Tombstone' && t.reason).toMatch(/^pruned: keep-last 2 \(per container\)/);
      expect(t.createdAt <= kept[0]!.createdAt).toBe(true);
    }
    // Checkpoints left name only backups that exist.
    const ids = new Set(live.map((r) => r.id));
    const cps = await checkpointsOf(ns, `${LABELS.schedule}=every-second`);
    for (const c of cps.filter(done))
      for (const x of c.status?.containers ?? []) if (x.backupId) expect(ids.has(x.backupId)).toBe(true);
    expect(s.status!.counts!.pruned).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('checkpoints a Pod annotated kcr.dev/checkpoint-now=true once, then removes the annotation', async () => {
    const ns = `s${++n}`;
    const pod = cluster.state.addPod({
      name: 'ask',
      namespace: ns,
      node: 'node-b',
      labels: { app: 'a' },
      annotations: { 'kcr.dev/checkpoint-now': 'true' },
    });
    cluster.state.addPod({ name: 'quiet', namespace: ns, node: 'node-b', labels: { app: 'a' } });
    await kcr.startAgent('node-b');
    await api.create(
      'CheckpointSchedule',
      schedule('on-demand', ns, {
        selector: { matchLabels: { app: 'a' } },
        triggers: { onAnnotation: true },
      }),
    );
    await kcr.startController('replica-n');
    const s = await eventually(async () => {
      const latest = await api.get('CheckpointSchedule', ns, 'on-demand');
      return latest.status?.runs?.some((r) => r.phase === 'Succeeded') ? latest : undefined;
    });
    expect(s.status!.runs).toHaveLength(1);
    expect(s.status!.runs![0]).toMatchObject({
      trigger: 'annotation',
      target: 'ask',
      checkpoints: 1,
      succeeded: 1,
    });
    expect(
      cluster.state.pods.get(`${ns}/ask`)!.metadata.annotations?.['kcr.dev/checkpoint-now'],
    ).toBeUndefined();
    // Some passes later there is still one run: the request was taken once.
    await new Promise((r) => setTimeout(r, 600));
    const after = await api.get('CheckpointSchedule', ns, 'on-demand');
    expect(after.status!.runs).toHaveLength(1);
    expect((await checkpointsOf(ns, `${LABELS.schedule}=on-demand`)).map((c) => c.spec.pod)).toEqual([
      pod.metadata.name,
    ]);
  }, 20_000);
});

describe('at scale', () => {
  it('checkpoints 200 Pods on 20 nodes under one schedule within the window, at most 2 at a time per node', async () => {
    const ns = `s${++n}`;
    const nodes = Array.from({ length: 20 }, (_, i) => `big-${i}`);
    for (const node of nodes) (await cluster.addNode(node)).archiveFor = () => SMALL_ARCHIVE;
    for (let i = 0; i < 200; i++)
      cluster.state.addPod({ name: `p${i}`, namespace: ns, node: nodes[i % 20], labels: { app: 'fleet' } });
    const agents = await Promise.all(
      nodes.map((node) =>
        kcr.startAgent(node, { maxConcurrent: 2, defaultStore: `file://${join(work, ns)}` }),
      ),
    );
    await kcr.startController('replica-big');
    const heapBefore = process.memoryUsage().heapUsed;
    // Once a day, two seconds from now: the run fires once during the test.
    const at = new Date(Date.now() + 2000);
    const cron = `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
    await api.create(
      'CheckpointSchedule',
      schedule('fleet', ns, {
        selector: { matchLabels: { app: 'fleet' } },
        triggers: { cron: { schedule: cron } },
        store: `file://${join(work, ns)}`,
      }),
    );
    const first = await eventually(async () => {
      const s = await api.get('CheckpointSchedule', ns, 'fleet');
      return s.status?.runs?.[0];
    }, 10_000);
    expect(first.scheduledTime).toBe(new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString());
    const window = 60_000;
    const run = await eventually(
      async () => {
        const s = await api.get('CheckpointSchedule', ns, 'fleet');
        const r = s.status?.runs?.find((x) => x.id === first.id);
        return r?.phase === 'Succeeded' ? r : undefined;
      },
      window,
      'all 200 checkpoints',
    );
    expect(run).toMatchObject({ checkpoints: 200, succeeded: 200, failed: 0 });
    expect(new Date(run.completionTime!).getTime() - new Date(run.scheduledTime).getTime()).toBeLessThan(
      window,
    );
    for (const node of nodes) {
      const kubelet = cluster.kubelets.get(node)!;
      expect(kubelet.calls.length).toBe(10);
      expect(kubelet.maxInFlight).toBeLessThanOrEqual(2);
    }
    expect(Math.max(...agents.map((a) => a.maxRunning))).toBe(2);
    // The controller keeps no per-Pod state beyond the Checkpoint objects: heap stays bounded.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 1024 * 1024);
  }, 90_000);
});

describe('kcr drain', () => {
  it('checkpoints what beforeDrain schedules cover on the node, and only that, before anything is cordoned', async () => {
    const ns = `s${++n}`;
    cluster.state.addPod({ name: 'on-b', namespace: ns, node: 'node-b', labels: { app: 'd' } });
    cluster.state.addPod({ name: 'on-a', namespace: ns, node: 'node-a', labels: { app: 'd' } });
    await kcr.startAgent('node-a');
    await kcr.startAgent('node-b');
    await api.create(
      'CheckpointSchedule',
      schedule('pre-drain', ns, { selector: { matchLabels: { app: 'd' } }, triggers: { beforeDrain: true } }),
    );
    const { runKcr } = await import('../../src/testing/cli.js');
    const run = await runKcr([
      'drain',
      'node-b',
      '--checkpoint-only',
      '-o',
      'json',
      '--kubeconfig',
      cluster.kubeconfig,
    ]);
    expect(run.stderr).toMatch(/checkpoint s\d+\/on-b: Succeeded/);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      checkpoints: { pod: string; phase: string; backups: string[] }[];
      cordoned: boolean;
    };
    expect(result.cordoned).toBe(false);
    expect(result.checkpoints.map((c) => [c.pod, c.phase, c.backups.length])).toEqual([
      ['on-b', 'Succeeded', 1],
    ]);
    const s = await api.get('CheckpointSchedule', ns, 'pre-drain');
    expect(s.status!.runs!.map((r) => [r.trigger, r.target, r.checkpoints])).toEqual([
      ['drain', 'node-b', 1],
    ]);
  }, 20_000);
});

describe('a Restore', () => {
  it('creates the Pod from a stored backup, through a checkpoint image in a real registry', async () => {
    const { startRegistry } = await import('../../src/testing/registry.js');
    const registry = await startRegistry();
    try {
      const ns = `s${++n}`;
      cluster.state.addPod({
        name: 'cthreads',
        namespace: ns,
        node: 'node-a',
        containers: [{ name: 'server' }],
      });
      const storeUrl = `file://${join(work, ns)}`;
      await kcr.startAgent('node-a', { defaultStore: storeUrl });
      await kcr.startController('replica-restore', {
        restore: { kubeconfig: { kubeconfig: kcr.controllerKubeconfig }, wait: true, timeoutSeconds: 20 },
      });
      await api.create('Checkpoint', {
        apiVersion: API_VERSION,
        kind: 'Checkpoint',
        metadata: { name: 'src', namespace: ns },
        spec: { pod: 'cthreads', nodeName: 'node-a' },
      });
      const stored = await eventually(async () => {
        const c = await api.get('Checkpoint', ns, 'src');
        return done(c) ? c : undefined;
      });
      expect(stored.status?.phase).toBe('Succeeded');
      const backupId = stored.status!.containers![0]!.backupId!;
      await api.create('Restore', {
        apiVersion: API_VERSION,
        kind: 'Restore',
        metadata: { name: 'back', namespace: ns },
        spec: {
          source: { backup: { id: backupId, store: storeUrl } },
          name: 'cthreads-restored',
          node: 'node-b',
          repository: `${registry.host}/restores`,
        },
      });
      const r = await eventually(async () => {
        const x = await api.get('Restore', ns, 'back');
        return x.status?.phase === 'Succeeded' || x.status?.phase === 'Failed' ? x : undefined;
      }, 30_000);
      expect(r.status?.conditions?.at(-1)?.message).not.toMatch(/^error/);
      expect(r.status).toMatchObject({
        phase: 'Succeeded',
        podName: 'cthreads-restored',
        podNamespace: ns,
        nodeName: 'node-b',
      });
      const pod = cluster.state.pods.get(`${ns}/cthreads-restored`)!;
      expect(pod.spec.nodeName).toBe('node-b');
      expect(pod.spec.containers[0]!.image).toBe(r.status!.image);
      expect(r.status!.image).toMatch(new RegExp(`^${registry.host}/restores@sha256:[0-9a-f]{64}$`));
    } finally {
      await registry.stop();
    }
  }, 45_000);
});
