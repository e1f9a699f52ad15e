/**
 * `kcr restore` onto containerd nodes of the test cluster: a containerd 2.3 node that pulls the
 * checkpoint image from a real registry and restores it as containerd does (containerd-restore.ts),
 * a containerd 2.4 node without restore in CreateContainer, and a CRI-O node. Cross-runtime restores
 * are refused before anything is pushed or created.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../src/testing/archive-builder.js';
import { CONTAINERD_REAL_ARCHIVE, fixture } from '../../src/testing/fixtures.js';
import { containerdRestoreFate } from '../../src/testing/kube/containerd-restore.js';
import { FIXTURE_ARCHIVE } from '../../src/testing/kube/kubelet-server.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';
import { startRegistry, type TestRegistry } from '../../src/testing/registry.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

const CONTAINERD_ARCHIVE = fixture(CONTAINERD_REAL_ARCHIVE);
let c: TestCluster;
let registry: TestRegistry;
const tmp = tempDir('kcr-restore-containerd-');

beforeAll(async () => {
  [c, registry] = await Promise.all([startTestCluster({ nodes: ['crio-1'] }), startRegistry()]);
  await c.addNode('ctrd-23', {
    runtime: 'containerd://2.3.4',
    containerd: { enableExperimentalRestoreViaCreate: true },
  });
  await c.addNode('ctrd-off', {
    runtime: 'containerd://2.3.4',
    containerd: { enableExperimentalRestoreViaCreate: false },
  });
  await c.addNode('ctrd-24', { runtime: 'containerd://2.4.0' });
  c.state.podFate = containerdRestoreFate(c.state);
});
afterAll(async () => {
  await Promise.all([c?.close(), registry?.stop()]);
  tmp.cleanup();
});
afterEach(() => c.state.settled());

const kcr = (argv: string[]) => runCliCaptured(argv, { env: { KUBECONFIG: c.kubeconfig, HOME: tmp.dir } });
const toTestRegistry = () => ['--registry', `${registry.host}/checkpoints`, '--insecure'];
/** `kcr restore ARCHIVE --node NODE` through the test registry, with more flags. */
const restoreOn = (archive: string, node: string, ...flags: string[]) =>
  kcr(['restore', archive, ...toTestRegistry(), '--node', node, ...flags]);

async function repositories(): Promise<string[]> {
  const res = await fetch(`http://${registry.host}/v2/_catalog`);
  return ((await res.json()) as { repositories: string[] }).repositories;
}

describe('kcr restore onto containerd', () => {
  it('refuses a CRI-O checkpoint for a containerd node before pushing or creating anything', async () => {
    const before = c.state.createdPods.length;
    for (const dryRun of [['--dry-run'], []]) {
      const r = await restoreOn(FIXTURE_ARCHIVE, 'ctrd-23', ...dryRun);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        'error: node ctrd-23 runs containerd 2.3.4, which cannot restore this CRI-O checkpoint: there is no status.dump, which only containerd writes',
      );
      expect(r.stderr).toMatch(
        /hint: CRI-O and containerd each restore only the checkpoints they wrote .*restore it on a CRI-O node with --node/,
      );
    }
    expect(c.state.createdPods.length).toBe(before);
    expect(await repositories()).toEqual([]);
  });

  it('refuses a containerd checkpoint for a CRI-O node', async () => {
    const r = await restoreOn(CONTAINERD_ARCHIVE, 'crio-1', '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: node crio-1 runs CRI-O 1.31.2, which cannot restore this containerd checkpoint: spec.dump has no io.kubernetes.cri-o.Annotations, which only CRI-O writes',
    );
    expect(r.stderr).toContain('restore it on a containerd node with --node');
  });

  it('refuses containerd 2.4, which restores only through RestorePod', async () => {
    const r = await restoreOn(CONTAINERD_ARCHIVE, 'ctrd-24', '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: node ctrd-24 cannot restore this checkpoint: containerd 2.4.0 removed restore in CreateContainer',
    );
    expect(r.stderr).toContain('hint: pick a node whose runtime restores in CreateContainer');
  });

  it('restores a containerd checkpoint on containerd 2.3, which reads the pushed image as containerd does', async () => {
    const r = await restoreOn(
      CONTAINERD_ARCHIVE,
      'ctrd-23',
      '--name',
      'counter-restored',
      '--wait',
      '--timeout',
      '20',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'warning: node ctrd-23: containerd 2.3.4 restores a Pod whose image is a checkpoint image only with enable_experimental_restore_via_create = true',
    );
    const pod = c.state.pods.get('default/counter-restored')!;
    expect(pod.spec.nodeName).toBe('ctrd-23');
    expect(pod.status.phase).toBe('Running');
    expect(pod.spec.containers[0]!.image).toMatch(
      new RegExp(`^${registry.host}/checkpoints@sha256:[0-9a-f]{64}$`),
    );
  });

  it("explains containerd's CreateContainerError when restore in CreateContainer is off", async () => {
    const r = await restoreOn(
      CONTAINERD_ARCHIVE,
      'ctrd-off',
      '--name',
      'counter-off',
      '--wait',
      '--timeout',
      '20',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: pod default/counter-off did not restore: CreateContainerError: checkpoint restore via CreateContainer is disabled by configuration',
    );
    expect(r.stderr).toContain(
      'hint: containerd on ctrd-off has restore in CreateContainer turned off: set enable_experimental_restore_via_create = true',
    );
  });

  it('migrates a pod between containerd nodes: the node writes a containerd archive, the other restores it', async () => {
    c.state.addPod({ name: 'counter-pod', node: 'ctrd-off', containers: [{ name: 'counter' }] });
    const r = await kcr([
      'migrate',
      'counter-pod',
      '--to',
      'ctrd-23',
      ...toTestRegistry(),
      '--delete-source',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(c.kubelets.get('ctrd-off')!.calls.map((call) => call.path)).toEqual([
      '/checkpoint/default/counter-pod/counter',
    ]);
    const moved = c.state.pods.get('default/counter-pod-ctrd-23')!;
    expect(moved.spec.nodeName).toBe('ctrd-23');
    expect(moved.status.phase).toBe('Running');
    expect(c.state.pods.has('default/counter-pod')).toBe(false);
  });

  it('refuses to migrate from a containerd node to a CRI-O node before checkpointing', async () => {
    c.state.addPod({ name: 'stay', node: 'ctrd-23', containers: [{ name: 'counter' }] });
    const calls = c.kubelets.get('ctrd-23')!.calls.length;
    const r = await kcr(['migrate', 'stay', '--to', 'crio-1', ...toTestRegistry()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: node crio-1 runs CRI-O 1.31.2, which cannot restore this containerd checkpoint',
    );
    expect(c.kubelets.get('ctrd-23')!.calls.length).toBe(calls);
  });

  it('refuses an image made from a CRI-O archive for a containerd node from its manifest, before pulling it', async () => {
    const ref = `${registry.host}/checkpoints/web:crio`;
    const built = await kcr(['image', 'build', FIXTURE_ARCHIVE, '-t', ref, '--push', '--insecure']);
    expect(built.code, built.stderr).toBe(0);
    const r = await kcr(['restore', ref, '--insecure', '--node', 'ctrd-23', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: node ctrd-23 runs containerd 2.3.4, which cannot restore this CRI-O checkpoint',
    );
  });
});
