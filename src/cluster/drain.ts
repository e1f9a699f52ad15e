/**
 * `kcr drain NODE`: what kubectl drain does, after a checkpoint of what the schedules cover there.
 * Every CheckpointSchedule with `triggers.beforeDrain` gets a run limited to NODE (recorded in its
 * status like any run); once their Checkpoints are done the node is cordoned (`spec.unschedulable`)
 * and its Pods evicted through the Eviction API (policy/v1), so PodDisruptionBudgets apply:
 * an eviction a budget refuses (429) is retried every few seconds until the timeout, as kubectl
 * drain does, and reported each time. DaemonSet and mirror Pods are skipped (their controllers
 * would put them straight back), as `kubectl drain --ignore-daemonsets` does. A failed checkpoint
 * stops the drain before anything is cordoned, unless `force` is set. A dry run reads only: what
 * would be checkpointed, cordoned and evicted.
 */
import {
  ApiException,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { KcrError } from '../errors.js';
import { apiError, parseStatus } from '../kube/index.js';
import { KcrApi } from './kcr-api.js';
import { LABELS, type Checkpoint, type CheckpointSchedule } from './resources.js';
import { coveredPods, ScheduleController, type ScheduleDeps } from './schedule-controller.js';

export interface DrainOptions {
  kc: KubeConfig;
  node: string;
  /** Drain even when a checkpoint failed. */
  force?: boolean;
  /** Checkpoint only: no cordon, no eviction. */
  checkpointOnly?: boolean;
  /** Read only: report what would be checkpointed, cordoned and evicted. */
  dryRun?: boolean;
  /** How long to wait for the checkpoints, and then for the evictions (default 10 minutes each). */
  timeoutMs?: number;
  pollMs?: number;
  /** How long to wait before trying again an eviction a disruption budget refused (kubectl: 5 s). */
  evictionRetryMs?: number;
  onEvent?: (event: DrainEvent) => void;
  now?: () => Date;
  signal?: AbortSignal;
}

export type DrainEvent =
  | { type: 'run'; namespace: string; schedule: string; run: string }
  | { type: 'covered'; namespace: string; schedule: string; pod: string }
  | { type: 'checkpointed'; namespace: string; pod: string; phase: 'Succeeded' | 'Failed'; message?: string }
  | { type: 'cordoned'; node: string; dryRun: boolean }
  | { type: 'skipped'; namespace: string; pod: string; reason: string }
  | { type: 'eviction-refused'; namespace: string; pod: string; message: string; retryMs: number }
  | { type: 'evicted'; namespace: string; pod: string; dryRun: boolean };

export interface DrainResult {
  node: string;
  dryRun: boolean;
  checkpoints: { namespace: string; pod: string; phase: 'Succeeded' | 'Failed'; backups: string[] }[];
  /** The Pods the beforeDrain schedules cover on the node (what a dry run would checkpoint). */
  covered: { namespace: string; schedule: string; pod: string }[];
  /** Whether the node was cordoned (in a dry run: would be). */
  cordoned: boolean;
  /** `namespace/pod` evicted (in a dry run: would be), in order. */
  evicted: string[];
  skipped: { pod: string; reason: string }[];
}

/** Why kubectl drain leaves a Pod in place, or undefined when it is evicted. */
function skipReason(pod: V1Pod): string | undefined {
  if ((pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet' && o.controller !== false))
    return 'DaemonSet-managed';
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return 'mirror Pod';
  return undefined;
}

const podKey = (pod: V1Pod) => `${pod.metadata!.namespace!}/${pod.metadata!.name!}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The disruption budget's words when it refuses an eviction (the Status and its cause). */
function refusal(err: ApiException<unknown>): string {
  const st = parseStatus(err.body);
  const cause = st?.details?.causes?.find((c) => c.reason === 'DisruptionBudget')?.message;
  const message = st?.message ?? 'too many requests';
  return cause ? `${message} (${cause})` : message;
}

export async function drain(o: DrainOptions): Promise<DrainResult> {
  const api = new KcrApi(o.kc);
  const core = o.kc.makeApiClient(CoreV1Api);
  const result: DrainResult = {
    node: o.node,
    dryRun: Boolean(o.dryRun),
    checkpoints: [],
    covered: [],
    cordoned: false,
    evicted: [],
    skipped: [],
  };
  const schedules = (await api.list('CheckpointSchedule')).filter(
    (s) => s.spec.triggers.beforeDrain && !s.spec.suspend,
  );
  const deps: ScheduleDeps = { api, core, checkpoints: () => [], now: () => o.now?.() ?? new Date() };
  if (o.dryRun) result.covered = await coveredOn(o, deps, schedules);
  else result.checkpoints = await checkpointFirst(o, deps, schedules);
  if (o.checkpointOnly) return result;
  await cordon(o, core);
  result.cordoned = true;
  await evictAll(o, core, result);
  return result;
}

/** A dry run's checkpoints: the Pods each beforeDrain schedule covers on the node. */
async function coveredOn(
  o: DrainOptions,
  deps: ScheduleDeps,
  schedules: CheckpointSchedule[],
): Promise<DrainResult['covered']> {
  const covered: DrainResult['covered'] = [];
  for (const s of schedules) {
    const namespace = s.metadata.namespace ?? 'default';
    for (const pod of await coveredPods(deps, s, o.node)) {
      const entry = { namespace, schedule: s.metadata.name, pod: pod.metadata!.name! };
      covered.push(entry);
      o.onEvent?.({ type: 'covered', ...entry });
    }
  }
  return covered;
}

/** Starts a drain run of every schedule and waits for its Checkpoints; a failure stops the drain. */
async function checkpointFirst(
  o: DrainOptions,
  deps: ScheduleDeps,
  schedules: CheckpointSchedule[],
): Promise<DrainResult['checkpoints']> {
  const { api } = deps;
  const work = new ScheduleController(deps);
  const runs: { namespace: string; run: string }[] = [];
  for (const s of schedules) {
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
          hint: `see kubectl get checkpoints -A -l kcr.dev/node=${o.node}; is the kcr agent running on the node?`,
        },
      );
    }
    await sleep(o.pollMs ?? 1000);
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
      { hint: 'kubectl describe checkpoint shows why; --force drains anyway' },
    );
  }
  return checkpoints;
}

async function cordon(o: DrainOptions, core: CoreV1Api): Promise<void> {
  try {
    if (o.dryRun) await core.readNode({ name: o.node });
    else
      await core.patchNode(
        { name: o.node, body: { spec: { unschedulable: true } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
  } catch (err) {
    throw apiError(err, `cordon node ${o.node}`);
  }
  o.onEvent?.({ type: 'cordoned', node: o.node, dryRun: Boolean(o.dryRun) });
}

/** Evicts every Pod of the node but those kubectl leaves, retrying what a budget refuses. */
async function evictAll(o: DrainOptions, core: CoreV1Api, result: DrainResult): Promise<void> {
  let pods: V1Pod[];
  try {
    pods = (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${o.node}` })).items;
  } catch (err) {
    throw apiError(err, `list the pods on node ${o.node}`);
  }
  let pending: V1Pod[] = [];
  for (const pod of pods.filter((p) => p.spec?.nodeName === o.node)) {
    const reason = skipReason(pod);
    if (!reason) {
      pending.push(pod);
      continue;
    }
    result.skipped.push({ pod: podKey(pod), reason });
    o.onEvent?.({ type: 'skipped', namespace: pod.metadata!.namespace!, pod: pod.metadata!.name!, reason });
  }
  if (o.dryRun) {
    // A client-side dry run sends no eviction: it names what would be evicted.
    for (const pod of pending) {
      result.evicted.push(podKey(pod));
      o.onEvent?.({
        type: 'evicted',
        namespace: pod.metadata!.namespace!,
        pod: pod.metadata!.name!,
        dryRun: true,
      });
    }
    return;
  }
  const retryMs = o.evictionRetryMs ?? 5000;
  const deadline = Date.now() + (o.timeoutMs ?? 600_000);
  const refused = new Map<string, string>();
  for (;;) {
    const next: V1Pod[] = [];
    for (const pod of pending) {
      o.signal?.throwIfAborted();
      const [namespace, name] = [pod.metadata!.namespace!, pod.metadata!.name!];
      try {
        await core.createNamespacedPodEviction({
          namespace,
          name,
          body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
        });
      } catch (err) {
        if (err instanceof ApiException && err.code === 429) {
          const message = refusal(err);
          refused.set(podKey(pod), message);
          o.onEvent?.({ type: 'eviction-refused', namespace, pod: name, message, retryMs });
          next.push(pod);
          continue;
        }
        // Gone already: nothing left to evict.
        if (!(err instanceof ApiException && err.code === 404))
          throw apiError(err, `evict pod ${namespace}/${name}`);
      }
      refused.delete(podKey(pod));
      result.evicted.push(podKey(pod));
      o.onEvent?.({ type: 'evicted', namespace, pod: name, dryRun: false });
    }
    pending = next;
    if (pending.length === 0) break;
    if (Date.now() + retryMs > deadline) {
      const blocked = pending.map((p) => `${podKey(p)}: ${refused.get(podKey(p))}`);
      throw new KcrError(
        'timeout',
        `drain ${o.node}: ${pending.length} pod(s) not evicted in time, refused by their disruption budget: ${blocked.join('; ')}`,
        {
          hint: `node/${o.node} stays cordoned; let the budget allow a disruption (more replicas, healthy Pods) and run kcr drain again, or kubectl uncordon ${o.node}`,
        },
      );
    }
    await sleep(retryMs);
  }
  await waitGone(
    o,
    core,
    pods.filter((p) => result.evicted.includes(podKey(p))),
    deadline,
  );
}

/** Waits until each evicted Pod is gone (or replaced under its name), as kubectl drain waits for deletion. */
async function waitGone(o: DrainOptions, core: CoreV1Api, pods: V1Pod[], deadline: number): Promise<void> {
  let left = pods;
  while (left.length) {
    const still: V1Pod[] = [];
    for (const pod of left) {
      try {
        const now = await core.readNamespacedPod({
          namespace: pod.metadata!.namespace!,
          name: pod.metadata!.name!,
        });
        if (now.metadata?.uid === pod.metadata?.uid) still.push(pod);
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 404)) throw apiError(err, `pod ${podKey(pod)}`);
      }
    }
    left = still;
    if (!left.length) return;
    if (Date.now() > deadline) {
      throw new KcrError(
        'timeout',
        `drain ${o.node}: ${left.length} evicted pod(s) still terminating: ${left.map(podKey).join(', ')}`,
        {
          hint: 'their terminationGracePeriodSeconds is longer than --timeout; wait, then check with kubectl get pods',
        },
      );
    }
    await sleep(o.pollMs ?? 1000);
  }
}
