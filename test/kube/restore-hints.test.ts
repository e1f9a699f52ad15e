/**
 * `kcr restore ARCHIVE` without --node, for an archive that does not say where it ran: the hint
 * names the runtime that can restore it (each restores only its own), or says that none can.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../../src/testing/fixtures.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';
import { runCliCaptured } from '../../src/testing/run-cli.js';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ nodes: ['node-1'] });
});
afterAll(async () => {
  await c?.close();
});

const restore = (archive: string) =>
  runCliCaptured([
    'restore',
    archive,
    '--registry',
    '127.0.0.1:1/r',
    '--dry-run',
    '--kubeconfig',
    c.kubeconfig,
  ]);

describe('kcr restore without --node', () => {
  it('names the runtime that restores a CRI-O archive', async () => {
    const archive = fixture('crio', 'checkpoint-webserver_default-webserver-2026-11-28T16:01:40Z.tar');
    const r = await restore(archive);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: which node should restore ${archive}? it does not say where it ran\nhint: pass --node NODE (a node with CRI-O >= 1.25)\n`,
    );
  });

  it('says no Kubernetes node restores a Podman export, instead of asking for one', async () => {
    const archive = fixture('podman', 'busybox-counter.tar');
    const r = await restore(archive);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: no Kubernetes runtime can restore ${archive}: Podman wrote it\nhint: a Podman checkpoint restores with \`podman container restore --import\`, not in Kubernetes\n`,
    );
  });
});
