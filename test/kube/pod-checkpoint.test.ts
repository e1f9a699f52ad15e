/**
 * KEP-5823 pod-level checkpoints through kcr against the test cluster: `kcr checkpoint
 * --pod-level`, `kcr restore podcheckpoint/NAME` (same node by restoreFrom, another node through
 * a checkpoint image in a real registry), and `kcr doctor`'s pod-level finding.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { crioRestoreFate } from '../../src/testing/kube/crio-restore.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';
import { startRegistry, type TestRegistry } from '../../src/testing/registry.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';
import { CheckpointArchive, readMetadata } from '../../src/archive/index.js';
import { FIXTURE_ARCHIVE } from '../../src/testing/kube/kubelet-server.js';

const tmp = tempDir('kcr-podckpt-');
let c: TestCluster;
let registry: TestRegistry;

beforeAll(async () => {
  [c, registry] = await Promise.all([
    startTestCluster({ nodes: ['node-1', 'node-2'], podCheckpoints: true }),
    startRegistry(),
  ]);
  await c.addNode('old-node', { runtime: 'containerd://1.7.22' });
});
afterAll(async () => {
  await Promise.all([c?.close(), registry?.stop()]);
  tmp.cleanup();
});

function kcr(argv: string[], kubeconfig = c.kubeconfig) {
  return runCliCaptured(argv, { env: { KUBECONFIG: kubeconfig, HOME: tmp.dir } });
}

interface PodCheckpointJson {
  metadata: { name: string };
  status: { nodeName: string; conditions: { type: string; status: string; reason: string }[] };
}

async function podLevel(pod: string, name: string): Promise<PodCheckpointJson> {
  const r = await kcr(['checkpoint', '--pod-level', pod, '--name', name, '-o', 'json']);
  // Each reason kcr saw, in order (polling may miss the short ones), ending Ready.
  const seen = r.stderr.trimEnd().split('\n');
  const order = ['Pending', 'CheckpointInProgress', 'CheckpointCompleted'].map(
    (x) => `podcheckpoint default/${name}: ${x}`,
  );
  expect(seen.at(-1)).toBe(order[2]);
  expect(seen.map((l) => order.indexOf(l))).toEqual([...seen.map((l) => order.indexOf(l))].sort());
  expect(seen.every((l) => order.includes(l))).toBe(true);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as PodCheckpointJson;
}

describe('kcr checkpoint --pod-level', () => {
  it('creates a PodCheckpoint, waits for Ready and shows where the data is', async () => {
    const pod = c.state.addPod({
      name: 'web',
      node: 'node-2',
      containers: [{ name: 'app' }, { name: 'sidecar' }],
    });
    const r = await kcr(['checkpoint', '--pod-level', 'web', '--name', 'web-ckpt']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+PODCHECKPOINT\s+POD\s+NODE\s+CONTAINERS\s+DATA ON NODE$/);
    expect(lines[1]).toMatch(
      /^default\s+web-ckpt\s+web\s+node-2\s+app,sidecar\s+\/var\/lib\/kubelet\/pod-checkpoints\/checkpoint-web_default-\S+$/,
    );
    const stored = c.state.podCheckpoints!.store.get('default/web-ckpt')!;
    // kcr pins the checkpoint to the pod it saw, so a replaced pod is never checkpointed by mistake.
    expect(stored.spec).toEqual({ sourcePod: { name: 'web', uid: pod.metadata.uid } });
  });

  it('prints the PodCheckpoint object with -o json', async () => {
    c.state.addPod({ name: 'json-pod', node: 'node-1' });
    const pc = await podLevel('json-pod', 'json-ckpt');
    expect(pc.status.nodeName).toBe('node-1');
    expect(pc.status.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'CheckpointCompleted' }),
    ]);
  });

  it("reports the kubelet's CheckpointFailed reason as an error with a hint", async () => {
    c.state.addPod({ name: 'fragile', node: 'node-1' });
    c.state.nodes.get('node-1')!.failures.push({ status: 500, body: 'criu failed: type NOTIFY errno 0' });
    const r = await kcr(['checkpoint', '--pod-level', 'fragile', '--name', 'fragile-ckpt', '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: podcheckpoint default/fragile-ckpt: CheckpointFailed: criu failed: type NOTIFY errno 0\n' +
        'hint: the kubelet on node-1 could not checkpoint the pod; `kcr doctor --node node-1` checks that node\n',
    );
  });

  it('reports SourcePodReplaced when the pod is replaced while it is checkpointed', async () => {
    c.state.addPod({ name: 'flaky', node: 'node-1' });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const pc = c.state.podCheckpoints!;
    pc.gate = () => held;
    const run = kcr(['checkpoint', '--pod-level', 'flaky', '--name', 'flaky-ckpt', '-q']);
    while (!pc.writers.some((w) => w.checkpoint === 'default/flaky-ckpt'))
      await new Promise((r) => setTimeout(r, 20));
    c.state.pods.delete('default/flaky');
    c.state.addPod({ name: 'flaky', node: 'node-1' });
    pc.gate = undefined;
    release();
    const r = await run;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: podcheckpoint default\/flaky-ckpt: the source pod was replaced \(pod default\/flaky was replaced while it was being checkpointed\)\n/,
    );
    expect(r.stderr).toContain(
      'hint: pod flaky is a new pod now; checkpoint it again with `kcr checkpoint --pod-level flaky -n default`',
    );
  });

  it('refuses flags that make no sense for a whole pod', async () => {
    const r = await kcr(['checkpoint', '--pod-level', 'web', '-c', 'app']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --pod-level does not go with -c\n/);
  });
});

describe('kcr restore podcheckpoint/NAME', () => {
  it("creates the restoreFrom pod on the checkpoint's node and waits for it", async () => {
    c.state.addPod({ name: 'shop', node: 'node-2', labels: { app: 'shop' } });
    await podLevel('shop', 'shop-ckpt');
    const r = await kcr(['restore', 'podcheckpoint/shop-ckpt', '--wait']);
    expect(r.stdout).toBe(
      'pod/shop-restored created on node-2 (restoreFrom podcheckpoint/shop-ckpt)\npod/shop-restored running\n',
    );
    expect(r.code).toBe(0);
    const pod = c.state.pods.get('default/shop-restored')!;
    expect(pod.spec).toMatchObject({ restoreFrom: 'shop-ckpt', nodeName: 'node-2' });
    expect(pod.metadata.labels).toEqual({ app: 'shop' });
    expect(c.state.podCheckpoints!.restores).toContainEqual({
      pod: 'default/shop-restored',
      checkpoint: 'default/shop-ckpt',
      node: 'node-2',
    });
  });

  it('says which permission is missing when the user may not restore', async () => {
    const kubeconfig = await c.kubeconfigFor({
      user: 'dev',
      rules: [
        { verbs: ['get', 'create'], resources: ['pods'] },
        { verbs: ['get'], resources: ['podcheckpoints'], apiGroups: ['node.k8s.io'] },
      ],
    });
    const r = await kcr(['restore', 'podcheckpoint/shop-ckpt', '--name', 'dev-restore'], kubeconfig);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot restore resource "podcheckpoints" in API group "node.k8s.io"');
    expect(r.stderr).toContain('hint: ask for RBAC that allows verb "restore" on "podcheckpoints"');
  });

  it('says plainly that a multi-container pod cannot go to another node', async () => {
    const r = await kcr([
      'restore',
      'podcheckpoint/web-ckpt',
      '--to-node',
      'node-1',
      '--registry',
      `${registry.host}/x`,
      '--insecure',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: podcheckpoint default\/web-ckpt holds 2 containers \(app, sidecar\); restoring on another node goes through a checkpoint image, which restores one container per pod\n/,
    );
  });

  it('refuses a target node whose runtime cannot restore, before copying anything', async () => {
    const execsBefore = c.api.execs.length;
    const r = await kcr([
      'restore',
      'podcheckpoint/json-ckpt',
      '--to-node',
      'old-node',
      '--registry',
      `${registry.host}/x`,
      '--insecure',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: node old-node cannot restore checkpoints/);
    expect(c.api.execs.length).toBe(execsBefore);
  });

  it('copies the data off its node and restores it on another through a checkpoint image', async () => {
    const archive = await CheckpointArchive.open(FIXTURE_ARCHIVE);
    const { spec } = await readMetadata(archive).finally(() => archive.close());
    c.state.podFate = crioRestoreFate((image) => (image.startsWith(registry.host) ? spec : undefined));
    try {
      c.state.addPod({ name: 'mover', node: 'node-1', containers: [{ name: 'webserver' }] });
      await podLevel('mover', 'mover-ckpt');
      const r = await kcr([
        'restore',
        'podcheckpoint/mover-ckpt',
        '--to-node',
        'node-2',
        '--registry',
        `${registry.host}/podckpt`,
        '--insecure',
        '--wait',
      ]);
      expect(r.code).toBe(0);
      const pod = c.state.pods.get('default/mover-restored')!;
      expect(pod.spec.nodeName).toBe('node-2');
      expect(pod.spec.restoreFrom).toBeUndefined();
      expect(pod.spec.containers[0]!.image).toMatch(
        new RegExp(`^${registry.host}/podckpt@sha256:[0-9a-f]{64}$`),
      );
      expect(r.stdout).toBe(
        `pod/mover-restored created on node-2 (podcheckpoint/mover-ckpt through ${pod.spec.containers[0]!.image})\npod/mover-restored running\n`,
      );
      // The copy went through a helper pod on the checkpoint's node, which is gone again.
      expect(
        c.api.execs.some((e) => e.command[0] === 'cat' && e.command[1]!.endsWith('/webserver.tar')),
      ).toBe(true);
      expect([...c.state.pods.keys()].filter((k) => k.includes('kcr-copy'))).toEqual([]);
    } finally {
      c.state.podFate = () => ({ kind: 'running' });
    }
  });
});

describe('kcr backup podcheckpoint/NAME', () => {
  it('copies each container off the node and stores it in the chain of that container, byte-exact', async () => {
    c.state.addPod({ name: 'bak', node: 'node-2', containers: [{ name: 'app' }, { name: 'sidecar' }] });
    await podLevel('bak', 'bak-ckpt');
    const store = tmp.path('store');
    const r = await kcr(['backup', 'podcheckpoint/bak-ckpt', '--store', store, '-o', 'json', '-q']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const listed = await kcr(['backups', '-l', 'kcr.dev/podcheckpoint=bak-ckpt', '-o', 'json']);
    const rows = JSON.parse(listed.stdout) as { id: string; container: string; pod: string; node: string }[];
    expect(rows.map((x) => [x.pod, x.container, x.node]).sort()).toEqual([
      ['bak', 'app', 'node-2'],
      ['bak', 'sidecar', 'node-2'],
    ]);
    const back = tmp.path('back.tar');
    const got = await kcr(['backup', 'get', rows[0]!.id, '--output-file', back]);
    expect(got.code).toBe(0);
    expect(readFileSync(back).equals(readFileSync(FIXTURE_ARCHIVE))).toBe(true);
  });
});

describe('without the API', () => {
  let plain: TestCluster;
  beforeAll(async () => {
    plain = await startTestCluster();
    plain.state.addPod({ name: 'web' });
  });
  afterAll(() => plain?.close());

  it('kcr checkpoint --pod-level says the server does not serve it and how to turn it on', async () => {
    const r = await kcr(['checkpoint', '--pod-level', 'web'], plain.kubeconfig);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: the API server does not serve node\.k8s\.io\/v1alpha1 podcheckpoints \(KEP-5823 pod-level checkpoints\)\nhint: pod-level checkpoints need Kubernetes 1\.37\+ with the PodLevelCheckpointRestore feature gate .*--runtime-config=node\.k8s\.io\/v1alpha1=true/,
    );
  });

  it('kcr doctor reports it: absent before 1.37, off (warn) on 1.37, on when served', async () => {
    const finding = async (kubeconfig: string) => {
      const r = await kcr(['doctor', '-o', 'json'], kubeconfig);
      return (
        JSON.parse(r.stdout) as { findings: { check: string; status: string; message: string }[] }
      ).findings.find((f) => f.check === 'pod-level');
    };
    expect(await finding(plain.kubeconfig)).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('arrive in Kubernetes 1.37') as string,
    });
    plain.state.version = { major: '1', minor: '37', gitVersion: 'v1.37.0' };
    expect(await finding(plain.kubeconfig)).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('are off') as string,
    });
    expect(await finding(c.kubeconfig)).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('are served') as string,
    });
  });
});
