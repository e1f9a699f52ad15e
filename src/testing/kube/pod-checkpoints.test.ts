/**
 * The test cluster's KEP-5823 PodCheckpoints: served only when enabled, the kubelet of the source
 * pod's node writes the Ready transitions, and a restoreFrom Pod is admitted only with the
 * `restore` verb, once ready, on the checkpoint's node.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './raw-client.js';
import { POD_CHECKPOINT_DIR } from './pod-checkpoints.js';
import { startTestCluster, type TestCluster } from './test-cluster.js';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface PodCheckpointJson {
  metadata: { name: string; resourceVersion: string };
  status?: {
    nodeName?: string;
    sourcePodUID?: string;
    checkpointLocation?: { type: string; nodeLocal: { path: string } };
    checkpointedPodTemplate?: { spec: Record<string, unknown> };
    checkpointedContainers?: { name: string }[];
    conditions?: Condition[];
  };
}

const base = '/apis/node.k8s.io/v1alpha1/namespaces/default/podcheckpoints';
const reasons = (events: { object: unknown }[]) =>
  events.map((e) => (e.object as PodCheckpointJson).status?.conditions?.[0]?.reason);

describe('without the gate', () => {
  it('serves no podcheckpoints and drops spec.restoreFrom', async () => {
    const c = await startTestCluster();
    try {
      const raw = await RawClient.fromKubeconfig(c.kubeconfig);
      expect((await raw.request('GET', '/apis/node.k8s.io/v1alpha1')).status).toBe(404);
      expect((await raw.request('GET', base)).status).toBe(404);
      const created = await raw.request('POST', '/api/v1/namespaces/default/pods', {
        metadata: { name: 'plain' },
        spec: { restoreFrom: 'x', containers: [{ name: 'a', image: 'localhost/a:1' }] },
      });
      expect(created.status).toBe(201);
      expect((created.body as { spec: Record<string, unknown> }).spec.restoreFrom).toBeUndefined();
    } finally {
      await c.close();
    }
  });
});

describe('with the gate', () => {
  let c: TestCluster;
  let raw: RawClient;
  beforeAll(async () => {
    c = await startTestCluster({ nodes: ['node-1', 'node-2'], podCheckpoints: true });
    raw = await RawClient.fromKubeconfig(c.kubeconfig);
  });
  afterAll(() => c?.close());

  async function checkpointOf(pod: string, name: string, uid?: string) {
    const w = await raw.watch(`${base}?watch=true&fieldSelector=metadata.name%3D${name}`);
    const created = await raw.request('POST', base, {
      apiVersion: 'node.k8s.io/v1alpha1',
      kind: 'PodCheckpoint',
      metadata: { name },
      spec: { sourcePod: { name: pod, ...(uid ? { uid } : {}) } },
    });
    expect(created.status).toBe(201);
    return { created: created.body as PodCheckpointJson, w };
  }

  it('is in discovery', async () => {
    const list = await raw.request('GET', '/apis/node.k8s.io/v1alpha1');
    expect((list.body as { resources: { name: string }[] }).resources.map((r) => r.name)).toEqual([
      'podcheckpoints',
      'podcheckpoints/status',
    ]);
  });

  it("goes Pending → CheckpointInProgress → CheckpointCompleted, written by the pod node's kubelet", async () => {
    const pod = c.state.addPod({
      name: 'web',
      node: 'node-2',
      containers: [{ name: 'app' }, { name: 'sidecar' }],
    });
    const { created, w } = await checkpointOf('web', 'web-ckpt');
    expect(created.status?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'Pending',
    });
    const events = await w.next(3);
    w.close();
    expect(reasons(events)).toEqual(['Pending', 'CheckpointInProgress', 'CheckpointCompleted']);
    const done = events[2]!.object as PodCheckpointJson;
    expect(done.status).toMatchObject({
      nodeName: 'node-2',
      sourcePodUID: pod.metadata.uid,
      checkpointLocation: { type: 'NodeLocal' },
      checkpointedContainers: [{ name: 'app' }, { name: 'sidecar' }],
    });
    expect(done.status!.conditions![0]!.status).toBe('True');
    const node = c.state.nodes.get('node-2')!;
    const dir = join(
      node.root,
      node.kubeletRootDir,
      POD_CHECKPOINT_DIR,
      done.status!.checkpointLocation!.nodeLocal.path,
    );
    expect(existsSync(join(dir, 'app.tar')) && existsSync(join(dir, 'sidecar.tar'))).toBe(true);
    expect(
      c.state.podCheckpoints!.writers.filter((x) => x.checkpoint === 'default/web-ckpt').map((x) => x.node),
    ).toEqual(['node-2', 'node-2']);
  });

  it('reports SourcePodReplaced when the pod is not the one asked for', async () => {
    c.state.addPod({ name: 'replaced', node: 'node-1' });
    const { w } = await checkpointOf('replaced', 'replaced-ckpt', '00000000-0000-0000-0000-000000000000');
    const events = await w.next(2);
    w.close();
    expect(reasons(events)).toEqual(['Pending', 'SourcePodReplaced']);
  });

  it('reports SourcePodReplaced when the pod is replaced mid-checkpoint', async () => {
    c.state.addPod({ name: 'moving', node: 'node-1' });
    let release!: () => void;
    c.state.podCheckpoints!.gate = () => new Promise<void>((resolve) => (release = resolve));
    const { w } = await checkpointOf('moving', 'moving-ckpt');
    await w.next(2);
    c.state.pods.delete('default/moving');
    c.state.addPod({ name: 'moving', node: 'node-1' });
    c.state.podCheckpoints!.gate = undefined;
    release();
    const [last] = await w.next(1);
    w.close();
    expect(reasons([last!])).toEqual(['SourcePodReplaced']);
  });

  it("reports CheckpointFailed with the runtime's text", async () => {
    c.state.addPod({ name: 'fails', node: 'node-1' });
    c.state.nodes.get('node-1')!.failures.push({ status: 500, body: 'criu failed: type NOTIFY errno 0' });
    const { w } = await checkpointOf('fails', 'fails-ckpt');
    const events = await w.next(3);
    w.close();
    expect(reasons(events)).toEqual(['Pending', 'CheckpointInProgress', 'CheckpointFailed']);
    expect((events[2]!.object as PodCheckpointJson).status!.conditions![0]!.message).toBe(
      'criu failed: type NOTIFY errno 0',
    );
  });

  describe('restoreFrom', () => {
    let template: Record<string, unknown>;
    beforeAll(async () => {
      c.state.addPod({ name: 'src', node: 'node-2' });
      const { w } = await checkpointOf('src', 'src-ckpt');
      const events = await w.next(3);
      w.close();
      template = (events[2]!.object as PodCheckpointJson).status!.checkpointedPodTemplate!.spec;
    });
    const restorePod = (name: string, extra: Record<string, unknown> = {}) => ({
      metadata: { name },
      spec: { ...template, restoreFrom: 'src-ckpt', ...extra },
    });

    it("admits the pod on the checkpoint's node and the kubelet restores it", async () => {
      const r = await raw.request('POST', '/api/v1/namespaces/default/pods', restorePod('restored'));
      expect(r.status).toBe(201);
      expect(c.state.pods.get('default/restored')).toMatchObject({
        spec: { nodeName: 'node-2' },
        status: { phase: 'Running' },
      });
      expect(c.state.podCheckpoints!.restores).toContainEqual({
        pod: 'default/restored',
        checkpoint: 'default/src-ckpt',
        node: 'node-2',
      });
    });

    it('refuses another node', async () => {
      const r = await raw.request(
        'POST',
        '/api/v1/namespaces/default/pods',
        restorePod('elsewhere', { nodeName: 'node-1' }),
      );
      expect(r.status).toBe(422);
      expect((r.body as { message: string }).message).toBe(
        'Pod "elsewhere" is invalid: spec.nodeName: Invalid value: "node-1": must be "node-2", the node of PodCheckpoint "src-ckpt": restoring on another node is not supported',
      );
    });

    it('needs the restore verb on podcheckpoints', async () => {
      const kubeconfig = await c.kubeconfigFor({
        user: 'dev',
        rules: [{ verbs: ['create'], resources: ['pods'] }],
      });
      const dev = await RawClient.fromKubeconfig(kubeconfig);
      const refused = await dev.request('POST', '/api/v1/namespaces/default/pods', restorePod('sneaky'));
      expect(refused.status).toBe(403);
      expect((refused.body as { message: string }).message).toMatch(
        /^pods "sneaky" is forbidden: User "dev" cannot restore resource "podcheckpoints" in API group "node.k8s.io"/,
      );
      const allowedConfig = await c.kubeconfigFor({
        user: 'restorer',
        rules: [
          { verbs: ['create'], resources: ['pods'] },
          { verbs: ['restore'], resources: ['podcheckpoints'], apiGroups: ['node.k8s.io'] },
        ],
      });
      const restorer = await RawClient.fromKubeconfig(allowedConfig);
      expect(
        (await restorer.request('POST', '/api/v1/namespaces/default/pods', restorePod('allowed'))).status,
      ).toBe(201);
    });

    it('refuses a spec that is not the template, and an unknown checkpoint', async () => {
      const changed = await raw.request(
        'POST',
        '/api/v1/namespaces/default/pods',
        restorePod('changed', { hostNetwork: true }),
      );
      expect(changed.status).toBe(422);
      const missing = await raw.request(
        'POST',
        '/api/v1/namespaces/default/pods',
        restorePod('missing', { restoreFrom: 'nope' }),
      );
      expect((missing.body as { message: string }).message).toBe(
        'Pod "missing" is invalid: spec.restoreFrom: Not found: "nope"',
      );
    });
  });
});
