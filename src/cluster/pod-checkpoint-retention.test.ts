/**
 * Which PodCheckpoints a retention policy removes, over a synthetic history across namespaces,
 * pods and nodes: the backup model's limits and rule precedence, and nothing pinned, in use, being
 * taken or being deleted.
 */
import { describe, expect, it } from 'vitest';
import type { PodCheckpoint } from '../kube/index.js';
import { podCheckpointsInUse, selectPodCheckpoints, type PodView } from './pod-checkpoint-retention.js';
import { NODE_DATA_BYTES_ANNOTATION, PINNED_ANNOTATION, type Restore } from './resources.js';

const NOW = new Date('2026-12-06T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

function pc(
  name: string,
  o: {
    ns?: string;
    pod: string;
    node?: string;
    hours: number;
    reason?: string;
    annotations?: Record<string, string>;
    deleting?: boolean;
  },
): PodCheckpoint {
  const reason = o.reason ?? 'CheckpointCompleted';
  return {
    metadata: {
      name,
      namespace: o.ns ?? 'shop',
      uid: `uid-${name}`,
      creationTimestamp: hoursAgo(o.hours),
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.deleting ? { deletionTimestamp: NOW.toISOString() } : {}),
    },
    spec: { sourcePod: { name: o.pod } },
    status: {
      nodeName: o.node ?? 'node-a',
      ...(reason === 'CheckpointCompleted'
        ? {
            completionTime: hoursAgo(o.hours),
            checkpointLocation: { type: 'NodeLocal', nodeLocal: { path: `checkpoint-${name}` } },
          }
        : {}),
      conditions: [
        { type: 'Ready', status: reason === 'CheckpointCompleted' ? 'True' : 'False', reason, message: '' },
      ],
    },
  };
}

const removed = (d: { podCheckpoint: PodCheckpoint; reason: string }[]) =>
  d.map((x) => [x.podCheckpoint.metadata.name, x.reason]);

describe('selectPodCheckpoints', () => {
  const history = [
    pc('web-1', { pod: 'web', hours: 50, annotations: { [PINNED_ANNOTATION]: 'true' } }),
    pc('web-2', { pod: 'web', hours: 40 }),
    pc('web-3', { pod: 'web', hours: 30, node: 'node-b' }),
    pc('web-4', { pod: 'web', hours: 20 }),
    pc('web-5', { pod: 'web', hours: 10, node: 'node-b' }),
    pc('web-6', { pod: 'web', hours: 0, reason: 'CheckpointInProgress' }),
    pc('db-1', { pod: 'db', hours: 45 }),
    pc('db-fail', { pod: 'db', hours: 44, reason: 'CheckpointFailed' }),
    pc('db-2', { pod: 'db', hours: 5 }),
    pc('db-old', { pod: 'db', hours: 60, deleting: true }),
    pc('x-1', { ns: 'other', pod: 'x', hours: 72 }),
    pc('x-2', { ns: 'other', pod: 'x', hours: 60, reason: 'SourcePodReplaced' }),
    pc('x-3', { ns: 'other', pod: 'x', hours: 1 }),
  ];

  it('keeps the newest per pod, leaving pinned, in-use, unfinished and deleting ones alone', () => {
    const inUse = new Set(['shop/web-3']);
    const out = selectPodCheckpoints(history, [{ per: 'pod', keepLast: 1 }], { inUse, now: NOW });
    // Oldest first; web-1 pinned, web-3 in use, web-6 in progress and db-old being deleted stay.
    expect(removed(out)).toEqual([
      ['x-1', 'keep-last 1 (per pod): pod other/x has 1 newer'],
      ['x-2', 'SourcePodReplaced: superseded by podcheckpoint x-3, completed later'],
      ['db-1', 'keep-last 1 (per pod): pod shop/db has 1 newer'],
      ['db-fail', 'CheckpointFailed: superseded by podcheckpoint db-2, completed later'],
      ['web-2', 'keep-last 1 (per pod): pod shop/web has 2 newer'],
      ['web-4', 'keep-last 1 (per pod): pod shop/web has 1 newer'],
    ]);
    expect(out.map((d) => d.limit)).toEqual([
      'keep-last',
      'failed',
      'keep-last',
      'failed',
      'keep-last',
      'keep-last',
    ]);
  });

  it('lets the most specific rule govern, and counts per namespace when asked', () => {
    const rules = [
      { per: 'namespace' as const, keepLast: 3 },
      { namespace: 'shop', pod: 'db', per: 'pod' as const, keepLast: 2 },
      { namespace: 'other', per: 'pod' as const, maxAge: 48 * 3_600_000 },
    ];
    const out = selectPodCheckpoints(history, rules, { now: NOW });
    // shop, by namespace: web-2..web-5 count (db has its own rule, web-1 is pinned): 3 kept.
    // db keeps its 2 and loses its superseded failure; other/x: x-1 is older than 2d.
    expect(removed(out)).toEqual([
      ['x-1', 'max-age 2d: taken 3d ago'],
      ['x-2', 'SourcePodReplaced: superseded by podcheckpoint x-3, completed later'],
      ['db-fail', 'CheckpointFailed: superseded by podcheckpoint db-2, completed later'],
      ['web-2', 'keep-last 3 (per namespace): namespace shop has 3 newer'],
    ]);
  });

  it('spends a max-size budget on the sizes the agents measured', () => {
    const sized = ['a', 'b', 'c'].map((n, i) =>
      pc(`api-${n}`, {
        pod: 'api',
        hours: 10 - i,
        annotations: { [NODE_DATA_BYTES_ANNOTATION]: String(300 * 1024 * 1024) },
      }),
    );
    const out = selectPodCheckpoints(sized, [{ per: 'pod', maxSize: 700 * 1024 * 1024 }], { now: NOW });
    expect(removed(out)).toEqual([
      ['api-a', 'max-size 700 MiB (per pod): pod shop/api keeps 600 MiB in 2 newer'],
    ]);
  });

  it('removes a failed one with no newer checkpoint only once it is older than max-age', () => {
    const failures = [
      pc('job-old', { pod: 'job', hours: 30, reason: 'CheckpointFailed' }),
      pc('job-new', { pod: 'job', hours: 2, reason: 'CheckpointFailed' }),
    ];
    const out = selectPodCheckpoints(failures, [{ per: 'pod', keepLast: 5, maxAge: 24 * 3_600_000 }], {
      now: NOW,
    });
    expect(out.map((d) => [d.podCheckpoint.metadata.name, d.reason, d.limit])).toEqual([
      ['job-old', 'CheckpointFailed: older than max-age 1d (1d ago)', 'failed'],
    ]);
  });

  it('governs nothing without a matching rule, and never by a rule naming a container', () => {
    expect(
      selectPodCheckpoints(history, [{ namespace: 'none', per: 'pod', keepLast: 0 }], { now: NOW }),
    ).toEqual([]);
    expect(
      selectPodCheckpoints(history, [{ container: 'web', per: 'pod', keepLast: 0 }], { now: NOW }),
    ).toEqual([]);
  });
});

describe('podCheckpointsInUse', () => {
  it('names what a restoreFrom Pod not yet running or an unfinished Restore reads', () => {
    const pods: PodView[] = [
      {
        metadata: { name: 'a', namespace: 'shop' },
        spec: { restoreFrom: 'web-2' },
        status: { phase: 'Pending' },
      },
      {
        metadata: { name: 'b', namespace: 'shop' },
        spec: { restoreFrom: 'web-3' },
        status: { phase: 'Running' },
      },
      { metadata: { name: 'c', namespace: 'shop' }, spec: {}, status: { phase: 'Pending' } },
      { metadata: { name: 'd', namespace: 'other' }, spec: { restoreFrom: 'x-1' } },
    ];
    const restore = (name: string, from: string, phase?: 'Restoring' | 'Succeeded'): Restore => ({
      apiVersion: 'kcr.dev/v1alpha1',
      kind: 'Restore',
      metadata: { name, namespace: 'shop' },
      spec: { source: { podCheckpoint: from } },
      ...(phase ? { status: { phase } } : {}),
    });
    const inUse = podCheckpointsInUse(pods, [
      restore('r1', 'db-1', 'Restoring'),
      restore('r2', 'db-2', 'Succeeded'),
      restore('r3', 'db-3'),
    ]);
    expect([...inUse].sort()).toEqual(['other/x-1', 'shop/db-1', 'shop/db-3', 'shop/web-2']);
  });
});
