/**
 * `kcr drain NODE`: what kubectl drain does, after a checkpoint of what the schedules cover there.
 * Every CheckpointSchedule with `triggers.beforeDrain` gets a run limited to NODE (recorded in its
 * status like any run); once their Checkpoints are done the node is cordoned and its Pods evicted
 * through the Eviction API (PodDisruptionBudgets apply), DaemonSet Pods and mirror Pods excepted.
 * A failed checkpoint stops the drain before anything is cordoned, unless `force` is set.
 */
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { KcrError } from '../errors.js';
import { apiError } from '../kube/index.js';
import { KcrApi } from './kcr-api.js';
import { LABELS, type Checkpoint } from './resources.js';
import { ScheduleController } from './schedule-controller.js';

export interface DrainOptions {
  kc: KubeConfig;
  node: string;
  /** Drain even when a checkpoint failed. */
  force?: boolean;
  /** Checkpoint only: no cordon, no eviction. */
  checkpointOnly?: boolean;
  timeoutMs?: number;
  pollMs?: number;
  onEvent?: (event: DrainEvent) => void;
  now?: () => Date;
  signal?: AbortSignal;
}

export type DrainEvent =
  | { type: 'run'; namespace: string; schedule: string; run: string }
  | { type: 'checkpointed'; namespace: string; pod: string; phase: 'Succeeded' | 'Failed'; message?: string }
  | { type: 'cordoned'; node: string }
  | { type: 'evicted'; namespace: string; pod: string };

export interface DrainResult {
  checkpoints: { namespace: string; pod: string; phase: 'Succeeded' | 'Failed'; backups: string[] }[];
  cordoned: boolean;
  evicted: string[];
}

function isDaemonSetPod(pod: V1Pod): boolean {
  return (pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet');
}

function isMirrorPod(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined;
}

export async function drain(o: DrainOptions): Promise<DrainResult> {
  const api = new KcrApi(o.kc);
  const core = o.kc.makeApiClient(CoreV1Api);
  const now = () => o.now?.() ?? new Date();
  const work = new ScheduleController({ api, core, checkpoints: () => [], now });
  const runs: { namespace: string; run: string }[] = [];
  for (const s of await api.list('CheckpointSchedule')) {
    if (!s.spec.triggers.beforeDrain || s.spec.suspend) continue;
    const run = await work.startRun(s, 'drain', o.node);
    const namespace = s.metadata.namespace ?? 'default';
    runs.push({ namespace, run });
    o.onEvent?.({ type: 'run', namespace, schedule: s.metadata.name, run });
  }
  const deadline = Date.now() + (o.timeoutMs ?? 600_000);
  const finished = new Map<string, Checkpoint>();
  for (;;) {
    o.signal?.throwIfAborted();
    let pending = 0;
    for (const { namespace, run } of runs) {
      for (const c of await api.list('Checkpoint', { namespace, labelSelector: `${LABELS.run}=${run}` })) {
        const phase = c.status?.phase;
        if (phase !== 'Succeeded' && phase !== 'Failed') {
          pending++;
          continue;
        }
        const k = `${namespace}/${c.metadata.name}`;
        if (finished.has(k)) continue;
        finished.set(k, c);
        const message = c.status?.conditions?.find((x) => x.type === 'Ready')?.message;
        o.onEvent?.({
          type: 'checkpointed',
          namespace,
          pod: c.spec.pod,
          phase,
          ...(message && phase === 'Failed' ? { message } : {}),
        });
      }
    }
    if (pending === 0) break;
    if (Date.now() > deadline) {
      throw new KcrError(
        'timeout',
        `drain ${o.node}: ${pending} checkpoint(s) not done in time; the node was not cordoned`,
        {
          hint:
            'see kubectl get checkpoints -A -l kcr.dev/node=' +
            o.node +
            '; is the kcr agent running on the node?',
        },
      );
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
  }
  const checkpoints = [...finished.values()].map((c) => ({
    namespace: c.metadata.namespace ?? 'default',
    pod: c.spec.pod,
    phase: c.status!.phase as 'Succeeded' | 'Failed',
    backups: (c.status?.containers ?? []).map((x) => x.backupId).filter((b): b is string => !!b),
  }));
  const failed = checkpoints.filter((c) => c.phase === 'Failed');
  if (failed.length && !o.force) {
    throw new KcrError(
      'remote',
      `drain ${o.node}: ${failed.length} checkpoint(s) failed (${failed.map((f) => `${f.namespace}/${f.pod}`).join(', ')}); the node was not cordoned`,
      {
        hint: 'kubectl describe checkpoint shows why; --force drains anyway',
      },
    );
  }
  if (o.checkpointOnly) return { checkpoints, cordoned: false, evicted: [] };
  try {
    await core.patchNode(
      { name: o.node, body: { spec: { unschedulable: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  } catch (err) {
    throw apiError(err, `cordon ${o.node}`);
  }
  o.onEvent?.({ type: 'cordoned', node: o.node });
  const pods = (
    await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${o.node}` })
  ).items.filter((p) => p.spec?.nodeName === o.node && !isDaemonSetPod(p) && !isMirrorPod(p));
  const evicted: string[] = [];
  for (const pod of pods) {
    const namespace = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    try {
      await core.createNamespacedPodEviction({
        namespace,
        name,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
      });
    } catch (err) {
      throw apiError(err, `evict ${namespace}/${name}`);
    }
    evicted.push(`${namespace}/${name}`);
    o.onEvent?.({ type: 'evicted', namespace, pod: name });
  }
  return { checkpoints, cordoned: true, evicted };
}
