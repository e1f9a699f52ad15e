/**
 * `kcr drain NODE` against the test cluster: the checkpoints of what the beforeDrain schedules
 * cover come first, then the cordon, then the evictions through pods/eviction (policy/v1), with
 * DaemonSet Pods left in place; an eviction a PodDisruptionBudget refuses (429) is reported and
 * retried as kubectl drain does; `--dry-run=client` changes nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { drain, type DrainEvent, type DrainResult } from '../../src/cluster/drain.js';
import { KcrApi } from '../../src/cluster/kcr-api.js';
import { API_VERSION } from '../../src/cluster/resources.js';
import { runKcr } from '../../src/testing/cli.js';
import { installKcr, SMALL_ARCHIVE, type KcrInCluster } from '../../src/testing/kcr-in-cluster.js';
import type { ChangeEvent } from '../../src/testing/kube/history.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';

let cluster: TestCluster;
let kcr: KcrInCluster;
let api: KcrApi;
let work: string;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: ['node-a', 'node-b', 'node-c'] });
  for (const k of cluster.kubelets.values()) k.archiveFor = () => SMALL_ARCHIVE;
  kcr = await installKcr(cluster);
  api = new KcrApi(kcr.admin);
  work = await mkdtemp(join(tmpdir(), 'kcr-drain-'));
  await kcr.startAgent('node-a');
  await kcr.startAgent('node-b');
});
afterEach(() => {
  // Uncordon both nodes for the next case.
  for (const node of cluster.state.nodes.values()) delete node.spec.unschedulable;
  cluster.state.syncNodes();
});
afterAll(async () => {
  await kcr?.stopAll();
  await cluster?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function beforeDrainSchedule(namespace: string, app: string): Promise<void> {
  await api.create('CheckpointSchedule', {
    apiVersion: API_VERSION,
    kind: 'CheckpointSchedule',
    metadata: { name: 'pre-drain', namespace },
    spec: {
      selector: { matchLabels: { app } },
      triggers: { beforeDrain: true },
      store: `file://${join(work, namespace)}`,
    },
  });
}

function daemonSetPod(namespace: string, node: string): void {
  const pod = cluster.state.addPod({ name: `agent-${node}`, namespace, node, labels: { app: 'ds' } });
  pod.metadata.ownerReferences = [
    { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u-ds', controller: true },
  ];
  cluster.state.pods.set(`${namespace}/${pod.metadata.name}`, pod);
}

async function budget(namespace: string, name: string, app: string, spec: Record<string, unknown>) {
  const res = await kcr.raw.request('POST', `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace },
    spec: { selector: { matchLabels: { app } }, ...spec },
  });
  expect(res.status).toBe(201);
}

describe('kcr drain', () => {
  it('--dry-run=client reports what it would checkpoint, cordon and evict, and changes nothing', async () => {
    const ns = 'd0';
    cluster.state.addPod({ name: 'web', namespace: ns, node: 'node-a', labels: { app: 'web' } });
    daemonSetPod(ns, 'node-a');
    await beforeDrainSchedule(ns, 'web');
    // A budget that would refuse: a client-side dry run sends no eviction, so it is not asked.
    await budget(ns, 'web-pdb', 'web', { minAvailable: 1 });
    const changes: ChangeEvent[] = [];
    const stop = cluster.state.history.subscribe((e) => changes.push(e));
    const run = await runKcr([
      'drain',
      'node-a',
      '--dry-run=client',
      '-o',
      'json',
      '--kubeconfig',
      cluster.kubeconfig,
    ]);
    stop();
    expect(run.stderr).toContain('node/node-a cordoned (dry run)\n');
    expect(run.stderr).toContain(`evicting pod ${ns}/web (dry run)\n`);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as DrainResult;
    expect(result).toMatchObject({ dryRun: true, cordoned: true, checkpoints: [] });
    expect(result.covered).toEqual([{ namespace: ns, schedule: 'pre-drain', pod: 'web' }]);
    expect(result.evicted).toContain(`${ns}/web`);
    expect(result.skipped).toContainEqual({ pod: `${ns}/agent-node-a`, reason: 'DaemonSet-managed' });
    // Nothing was written: no run, no Checkpoint, no cordon, no Pod gone.
    const written = changes.filter(
      (e) => !e.resource.startsWith('coordination.k8s.io') && e.resource !== 'policy/poddisruptionbudgets',
    );
    expect(
      written.filter((e) => e.resource !== '/nodes').map((e) => `${e.type} ${e.resource} ${e.key}`),
    ).toEqual([]);
    expect(written.filter((e) => (e.object.spec as { unschedulable?: boolean }).unschedulable)).toEqual([]);
    expect(cluster.state.pods.has(`${ns}/web`)).toBe(true);
    await kcr.raw.request('DELETE', `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/web-pdb`);
  });

  it('checkpoints what the schedules cover first, then cordons, then evicts, leaving DaemonSet Pods', async () => {
    const ns = 'd1';
    cluster.state.addPod({ name: 'web', namespace: ns, node: 'node-b', labels: { app: 'web' } });
    cluster.state.addPod({ name: 'elsewhere', namespace: ns, node: 'node-a', labels: { app: 'web' } });
    daemonSetPod(ns, 'node-b');
    await beforeDrainSchedule(ns, 'web');
    const changes: ChangeEvent[] = [];
    const stop = cluster.state.history.subscribe((e) => changes.push(e));
    const run = await runKcr(['drain', 'node-b', '-o', 'json', '--kubeconfig', cluster.kubeconfig]);
    stop();
    expect(run.stderr).toMatch(
      /checkpoint d1\/web: Succeeded\n[\s\S]*node\/node-b cordoned\n[\s\S]*evicting pod d1\/web\n/,
    );
    expect(run.stderr).toContain('ignoring pod d1/agent-node-b: DaemonSet-managed\n');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as DrainResult;
    expect(result.checkpoints.map((c) => [c.namespace, c.pod, c.phase, c.backups.length])).toEqual([
      [ns, 'web', 'Succeeded', 1],
    ]);
    expect(result).toMatchObject({ cordoned: true, dryRun: false });
    expect(result.evicted.filter((p) => p.startsWith(`${ns}/`))).toEqual([`${ns}/web`]);
    // The order as the API server saw it: the Checkpoint stored, then the cordon, then the eviction.
    const at = (match: (e: ChangeEvent) => boolean, what: string) => {
      const i = changes.findIndex(match);
      expect(i, what).toBeGreaterThanOrEqual(0);
      return i;
    };
    const stored = at(
      (e) =>
        e.resource.endsWith('checkpoints') && (e.object.status as { phase?: string })?.phase === 'Succeeded',
      'the Checkpoint succeeded',
    );
    const cordoned = at(
      (e) =>
        e.resource === '/nodes' &&
        e.key === 'node-b' &&
        (e.object.spec as { unschedulable?: boolean }).unschedulable === true,
      'the cordon',
    );
    const evicted = at((e) => e.type === 'DELETED' && e.key === `${ns}/web`, 'the eviction');
    expect(stored).toBeLessThan(cordoned);
    expect(cordoned).toBeLessThan(evicted);
    expect(cluster.state.pods.has(`${ns}/agent-node-b`)).toBe(true);
    expect(cluster.state.pods.has(`${ns}/elsewhere`)).toBe(true);
  });

  it('reports an eviction a PodDisruptionBudget refuses and retries it until the budget allows it', async () => {
    const ns = 'd2';
    cluster.state.addPod({ name: 'api-1', namespace: ns, node: 'node-a', labels: { app: 'api' } });
    await budget(ns, 'api-pdb', 'api', { minAvailable: 1 });
    const events: DrainEvent[] = [];
    const result = await drain({
      kc: kcr.admin,
      node: 'node-a',
      evictionRetryMs: 100,
      timeoutMs: 10_000,
      pollMs: 50,
      onEvent: (e) => {
        events.push(e);
        // A second healthy replica elsewhere lets the budget allow one disruption.
        if (e.type === 'eviction-refused' && !cluster.state.pods.has(`${ns}/api-2`))
          cluster.state.addPod({ name: 'api-2', namespace: ns, node: 'node-b', labels: { app: 'api' } });
      },
    });
    const refused = events.find((e) => e.type === 'eviction-refused');
    expect(refused).toEqual({
      type: 'eviction-refused',
      namespace: ns,
      pod: 'api-1',
      message:
        "Cannot evict pod as it would violate the pod's disruption budget. (The disruption budget api-pdb needs 1 healthy pods and has 1 currently)",
      retryMs: 100,
    });
    expect(result.evicted).toContain(`${ns}/api-1`);
    expect(events.findIndex((e) => e.type === 'evicted' && e.pod === 'api-1')).toBeGreaterThan(
      events.indexOf(refused!),
    );
    expect(cluster.state.pods.has(`${ns}/api-1`)).toBe(false);
  });

  it('gives up at the timeout (whole seconds, as kcr’s other --timeout flags take) with the budget’s words, leaving the node cordoned and the Pod running', async () => {
    const ns = 'd3';
    cluster.state.addPod({ name: 'db', namespace: ns, node: 'node-c', labels: { app: 'db' } });
    await budget(ns, 'db-pdb', 'db', { maxUnavailable: 0 });
    const run = await runKcr(['drain', 'node-c', '--timeout', '1', '--kubeconfig', cluster.kubeconfig]);
    expect(run.stderr).toContain(
      `error when evicting pods/"db" -n "${ns}" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget. (The disruption budget db-pdb needs 1 healthy pods and has 1 currently)\n`,
    );
    expect(run.stderr).toMatch(
      /error: drain node-c: 1 pod\(s\) not evicted in time, refused by their disruption budget: d3\/db: Cannot evict pod[^\n]*\nhint: node\/node-c stays cordoned/,
    );
    expect(run.code).toBe(2);
    expect(cluster.state.nodes.get('node-c')!.spec.unschedulable).toBe(true);
    expect(cluster.state.pods.has(`${ns}/db`)).toBe(true);
  });
});
