/** `kcr migrate`: checkpoint, push, restore on the target node, wait, then delete the source. */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive, readMetadata, type SpecDump } from '../../src/archive/index.js';
import { tempDir } from '../../src/testing/archive-builder.js';
import { crioRestoreFate } from '../../src/testing/kube/crio-restore.js';
import { FIXTURE_ARCHIVE } from '../../src/testing/kube/kubelet-server.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';
import { startRegistry, type TestRegistry } from '../../src/testing/registry.js';
import { runKcr } from '../../src/testing/cli.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

let c: TestCluster;
let registry: TestRegistry;
const home = tempDir('kcr-home-');

beforeAll(async () => {
  [c, registry] = await Promise.all([startTestCluster({ nodes: ['node-1', 'node-2'] }), startRegistry()]);
  await c.addNode('old-node', { runtime: 'containerd://1.7.22' });
  const archive = await CheckpointArchive.open(FIXTURE_ARCHIVE);
  const spec: SpecDump = (await readMetadata(archive)).spec;
  await archive.close();
  c.state.podFate = crioRestoreFate((image) => (image.startsWith(registry.host) ? spec : undefined));
});
afterAll(async () => {
  await Promise.all([c?.close(), registry?.stop()]);
  home.cleanup();
});

const kcr = (argv: string[]) => runCliCaptured(argv, { env: { KUBECONFIG: c.kubeconfig, HOME: home.dir } });
const migrateDirs = () => readdirSync(tmpdir()).filter((f) => f.startsWith('kcr-migrate-'));

describe('kcr migrate', () => {
  it('moves a pod to another node and deletes the original once the new one runs', async () => {
    c.state.addPod({
      name: 'web',
      node: 'node-1',
      labels: { app: 'web' },
      containers: [{ name: 'webserver', ports: [8080] }],
    });
    const before = migrateDirs();
    const r = await kcr([
      'migrate',
      'web',
      '--to',
      'node-2',
      '--registry',
      `${registry.host}/checkpoints`,
      '--insecure',
      '--delete-source',
    ]);
    expect(r.code).toBe(0);
    const moved = c.state.pods.get('default/web-node-2');
    expect(moved?.spec.nodeName).toBe('node-2');
    expect(moved?.status.phase).toBe('Running');
    expect(moved?.metadata.labels).toMatchObject({ app: 'web', 'kcr.dev/restored-from': 'web' });
    expect(c.state.pods.has('default/web')).toBe(false);
    expect(r.stdout).toMatch(
      /^checkpointed default\/web\/webserver on node-1\npushed 127\.0\.0\.1:\d+\/checkpoints@sha256:[0-9a-f]{64}\npod\/web-node-2 running on node-2\npod\/web deleted\n$/,
    );
    // The archive travelled through a private temp directory that is gone now.
    expect(migrateDirs()).toEqual(before);
    // Deleting came last: after the helper pod and the new pod.
    expect(c.state.deletedPods.at(-1)).toBe('default/web');
  });

  it('refuses --delete-source for a pod a controller owns, unless --force', async () => {
    const owned = c.state.addPod({ name: 'owned', node: 'node-1', containers: [{ name: 'webserver' }] });
    owned.metadata.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'owned-7d4f9', uid: 'rs-uid', controller: true },
    ];
    const calls = c.kubelets.get('node-1')!.calls.length;
    const argv = [
      'migrate',
      'owned',
      '--to',
      'node-2',
      '--registry',
      `${registry.host}/checkpoints`,
      '--insecure',
      '--delete-source',
    ];
    const refused = await kcr(argv);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'error: pod default/owned belongs to ReplicaSet owned-7d4f9: deleting it makes the ReplicaSet create a new pod, so the workload would run twice',
    );
    expect(refused.stderr).toContain('or pass --force to delete the pod anyway');
    expect(c.kubelets.get('node-1')!.calls.length).toBe(calls);
    const forced = await kcr([...argv, '--force']);
    expect(forced.code).toBe(0);
    expect(c.state.pods.has('default/owned')).toBe(false);
  });

  it('refuses a target node that lacks a label the pod requires, before checkpointing', async () => {
    c.state.addPod({
      name: 'ssd-only',
      node: 'node-1',
      containers: [{ name: 'webserver' }],
      spec: { nodeSelector: { disktype: 'ssd' } },
    });
    const calls = c.kubelets.get('node-1')!.calls.length;
    const r = await kcr([
      'migrate',
      'ssd-only',
      '--to',
      'node-2',
      '--registry',
      `${registry.host}/checkpoints`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "error: node node-2 does not match the saved pod's node constraints: disktype=ssd",
    );
    expect(c.kubelets.get('node-1')!.calls.length).toBe(calls);
  });

  it('shows the checkpoint, copy and push on a terminal, and keeps the archive under KCR_TMPDIR', async () => {
    c.state.addPod({ name: 'shown', node: 'node-1', containers: [{ name: 'webserver' }] });
    const work = tempDir('kcr-tmpdir-');
    let during: string[] = [];
    c.api.execHooks.afterFirstChunk = async () => {
      during = readdirSync(work.dir);
    };
    try {
      const r = await runKcr(
        ['migrate', 'shown', '--to', 'node-2', '--registry', `${registry.host}/checkpoints`, '--insecure'],
        { env: { KUBECONFIG: c.kubeconfig, HOME: home.dir, KCR_TMPDIR: work.dir }, tty: true },
      );
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('checkpointing default/shown/webserver on node-1: waiting for the kubelet');
      expect(r.stderr).toMatch(
        /copying +default\/shown\/webserver \[=* *\] +\d+% [\d.]+ (B|KiB|MiB)\/3\.29 MiB/,
      );
      expect(r.stderr).toContain(`pushing the checkpoint image to ${registry.host}/checkpoints:webserver-`);
      expect(during).toEqual([expect.stringMatching(/^kcr-migrate-/)]);
      expect(readdirSync(work.dir)).toEqual([]);
    } finally {
      c.api.execHooks.afterFirstChunk = undefined;
      work.cleanup();
    }
  });

  it('keeps the original without --delete-source', async () => {
    c.state.addPod({ name: 'keep', node: 'node-1', containers: [{ name: 'webserver' }] });
    const r = await kcr([
      'migrate',
      'keep',
      '--to',
      'node-2',
      '--registry',
      `${registry.host}/checkpoints`,
      '--insecure',
      '-o',
      'json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      pod: { name: 'keep-node-2', node: 'node-2' },
      deletedSource: false,
    });
    expect(c.state.pods.has('default/keep')).toBe(true);
  });

  it('refuses a target node that cannot restore before checkpointing anything', async () => {
    c.state.addPod({ name: 'stay', node: 'node-1', containers: [{ name: 'webserver' }] });
    const calls = c.kubelets.get('node-1')!.calls.length;
    const r = await kcr([
      'migrate',
      'stay',
      '--to',
      'old-node',
      '--registry',
      `${registry.host}/checkpoints`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: node old-node cannot restore checkpoints');
    expect(c.kubelets.get('node-1')!.calls.length).toBe(calls);
  });

  it('refuses to move a CRI-O pod to a containerd node before checkpointing anything', async () => {
    await c.addNode('ctrd-node', { runtime: 'containerd://2.3.4' });
    c.state.addPod({ name: 'crossing', node: 'node-1', containers: [{ name: 'webserver' }] });
    const calls = c.kubelets.get('node-1')!.calls.length;
    const r = await kcr([
      'migrate',
      'crossing',
      '--to',
      'ctrd-node',
      '--registry',
      `${registry.host}/checkpoints`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: node ctrd-node runs containerd 2.3.4, which cannot restore this CRI-O checkpoint: it was written by CRI-O',
    );
    expect(r.stderr).toContain('restore it on a CRI-O node with --to');
    expect(c.kubelets.get('node-1')!.calls.length).toBe(calls);
  });

  it('refuses an invalid --name before checkpointing anything', async () => {
    c.state.addPod({ name: 'named', node: 'node-1', containers: [{ name: 'webserver' }] });
    const calls = c.kubelets.get('node-1')!.calls.length;
    const r = await kcr([
      'migrate',
      'named',
      '--to',
      'node-2',
      '--registry',
      `${registry.host}/checkpoints`,
      '--name',
      'Named_2',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: --name Named_2: not a valid pod name');
    expect(c.kubelets.get('node-1')!.calls.length).toBe(calls);
  });

  it('shortens POD-NODE with a hash when it would pass 253 characters', async () => {
    const node = `${'n'.repeat(45)}.${'m'.repeat(44)}`;
    await c.addNode(node);
    const pod = `long-${'p'.repeat(165)}`;
    c.state.addPod({ name: pod, node: 'node-1', containers: [{ name: 'webserver' }] });
    const r = await kcr([
      'migrate',
      pod,
      '--to',
      node,
      '--registry',
      `${registry.host}/checkpoints`,
      '--insecure',
      '-o',
      'json',
    ]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const name = (JSON.parse(r.stdout) as { pod: { name: string } }).pod.name;
    expect(name).toHaveLength(253);
    expect(name).toMatch(new RegExp(`^${pod}-n+\\.m+-[0-9a-f]{8}$`));
    expect(c.state.pods.get(`default/${name}`)?.spec.nodeName).toBe(node);
  });

  it('refuses the node the pod already runs on', async () => {
    c.state.addPod({ name: 'here', node: 'node-1', containers: [{ name: 'webserver' }] });
    const r = await kcr(['migrate', 'here', '--to', 'node-1', '--registry', `${registry.host}/checkpoints`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: the pod already runs on node-1');
  });

  it('keeps the original when the new pod fails, and says why', async () => {
    c.state.addPod({ name: 'fragile', node: 'node-1', containers: [{ name: 'webserver' }] });
    const fate = c.state.podFate;
    c.state.podFate = (pod) =>
      pod.metadata.name === 'fragile-node-2'
        ? {
            kind: 'waiting',
            reason: 'CreateContainerError',
            message: 'failed to restore container: criu failed: type NOTIFY errno 0',
          }
        : fate(pod);
    try {
      const r = await kcr([
        'migrate',
        'fragile',
        '--to',
        'node-2',
        '--registry',
        `${registry.host}/checkpoints`,
        '--insecure',
        '--delete-source',
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('CreateContainerError: failed to restore container: criu failed');
      expect(r.stderr).toContain('hint: CRIU could not restore on node-2');
      expect(c.state.pods.has('default/fragile')).toBe(true);
    } finally {
      c.state.podFate = fate;
    }
  });
});
