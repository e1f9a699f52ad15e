/**
 * The operations as a library user (backup, the server, the controller) sees them: typed results,
 * and one stream of events that survive JSON as they are, in the order the work happens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointArchive, readMetadata } from '../../src/archive/index.js';
import { parseRepository } from '../../src/oci/index.js';
import { checkpoint, migrate, restore, type OpEvent } from '../../src/ops/index.js';
import { tempDir } from '../../src/testing/archive-builder.js';
import { crioRestoreFate } from '../../src/testing/kube/crio-restore.js';
import { FIXTURE_ARCHIVE } from '../../src/testing/kube/kubelet-server.js';
import { startTestCluster, type TestCluster } from '../../src/testing/kube/test-cluster.js';
import { startRegistry, type TestRegistry } from '../../src/testing/registry.js';

let c: TestCluster | undefined;
let registry: TestRegistry | undefined;
const home = tempDir('kcr-ops-home-');

beforeAll(async () => {
  // Started one after the other, so that a failure of one leaves nothing of the other running.
  registry = await startRegistry();
  c = await startTestCluster({ nodes: ['node-1', 'node-2'] });
  const archive = await CheckpointArchive.open(FIXTURE_ARCHIVE);
  const { spec } = await readMetadata(archive);
  await archive.close();
  c.state.podFate = crioRestoreFate((image) => (image.startsWith(registry!.host) ? spec : undefined));
});
afterAll(async () => {
  await Promise.all([c?.close(), registry?.stop()]);
  home.cleanup();
});

const access = () => ({ kubeconfig: c!.kubeconfig, env: { HOME: home.dir } });

/** The event types in order, with each run of `transfer` events shown once. */
function steps(events: OpEvent[]): string[] {
  return events.map((e) => e.type).filter((t, i, all) => t !== 'transfer' || all[i - 1] !== 'transfer');
}

describe('operations', () => {
  it('migrate reports checkpoint, copy, push, restore and delete as one stream of plain events', async () => {
    c!.state.addPod({ name: 'evt', node: 'node-1', containers: [{ name: 'webserver', ports: [8080] }] });
    const events: OpEvent[] = [];
    const result = await migrate({
      ...access(),
      pod: 'evt',
      to: 'node-2',
      repository: parseRepository(`${registry!.host}/checkpoints`),
      registry: { insecure: true, env: { HOME: home.dir } },
      deleteSource: true,
      onEvent: (e) => events.push(e),
    });
    // What the server streams over SSE is exactly what the library sent.
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
    expect(steps(events)).toEqual([
      'checkpointing',
      'checkpointed',
      'helper-pod',
      'transfer',
      'copied',
      'publishing',
      'transfer',
      'published',
      'created',
      'waiting',
      'running',
      'deleted',
    ]);
    const target = { namespace: 'default', pod: 'evt', container: 'webserver', node: 'node-1' };
    expect(events[0]).toEqual({ type: 'checkpointing', target });
    const phases = new Set(events.flatMap((e) => (e.type === 'transfer' ? [e.progress.phase] : [])));
    expect(phases).toContain('copy');
    expect(phases).toContain('upload');
    const published = events.find((e) => e.type === 'published');
    expect(published).toEqual({ type: 'published', image: result.restore.image });
    expect(result.restore.image).toMatch(/^127\.0\.0\.1:\d+\/checkpoints@sha256:[0-9a-f]{64}$/);
    // The Pod object travels with the outcome, for callers that store it (backup).
    expect(result.checkpoint.pod.metadata?.name).toBe('evt');
    expect(result.checkpoint.copy?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result).toMatchObject({ deletedSource: true, restore: { running: true, node: 'node-2' } });
  });

  it('reports a container that cannot be checkpointed as a failed event carrying its error as data', async () => {
    c!.state.addPod({
      name: 'evt-ok',
      node: 'node-1',
      labels: { app: 'evt' },
      containers: [{ name: 'web' }],
    });
    c!.state.addPod({
      name: 'evt-pending',
      node: 'node-1',
      labels: { app: 'evt' },
      containers: [{ name: 'web' }],
      phase: 'Pending',
    });
    const events: OpEvent[] = [];
    const outcomes = await checkpoint({ ...access(), selector: 'app=evt', onEvent: (e) => events.push(e) });
    expect(outcomes.map((o) => [o.target.pod, Boolean(o.archive), o.error?.code])).toEqual([
      ['evt-ok', true, undefined],
      ['evt-pending', false, 'conflict'],
    ]);
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
    const of = (pod: string) => events.filter((e) => 'target' in e && e.target?.pod === pod);
    expect(of('evt-ok').map((e) => e.type)).toEqual(['checkpointing', 'checkpointed']);
    expect(of('evt-pending')).toEqual([
      {
        type: 'failed',
        target: { namespace: 'default', pod: 'evt-pending', container: 'web', node: 'node-1' },
        error: {
          code: 'conflict',
          message: 'container default/evt-pending/web is not running (ContainerCreating)',
          hint: 'only a running container can be checkpointed',
        },
      },
    ]);
  });

  it('restores an archive with the Pod object the caller kept, instead of a file beside the archive', async () => {
    const result = await restore({
      ...access(),
      source: {
        archive: FIXTURE_ARCHIVE,
        pod: {
          metadata: { name: 'kept', namespace: 'default', labels: { app: 'kept' } },
          spec: { nodeName: 'node-2', containers: [{ name: 'webserver', image: 'localhost/nginx:latest' }] },
        },
      },
      repository: parseRepository(`${registry!.host}/checkpoints`),
      dryRun: true,
    });
    expect(result.node).toBe('node-2');
    expect(result.pod.metadata).toMatchObject({ name: 'kept', labels: { app: 'kept' } });
    expect(result.image).toMatch(/^127\.0\.0\.1:\d+\/checkpoints:webserver-\d{8}-\d{6}$/);
  });

  it('does nothing once its signal is aborted, and says it was cancelled', async () => {
    c!.state.addPod({ name: 'evt-cancel', node: 'node-1', containers: [{ name: 'web' }] });
    const calls = c!.kubelets.get('node-1')!.calls.length;
    await expect(
      checkpoint({ ...access(), pod: 'evt-cancel', signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(c!.kubelets.get('node-1')!.calls.length).toBe(calls);
  });
});
