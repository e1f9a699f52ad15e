/**
 * PodCheckpoint retention carried out: the controller's pass for a CheckpointSchedule's
 * `podCheckpointRetention`, and `kcr prune --pod-checkpoints` (which plans with the same function).
 *
 * Where the policy lives: on the CheckpointSchedule, beside the retention of its backups. A
 * schedule already names the Pods a team protects (its selector) and their retention; a
 * PodCheckpoint is another copy of such a Pod, so the schedule's selector picks its PodCheckpoints
 * by the labels of the checkpointed Pod (the template's, so a checkpoint outliving its Pod is still
 * governed), and users set it with the RBAC they have on their schedules, in their namespace.
 *
 * Never lost, never doubled (as schedule runs are): the PodCheckpoints chosen are recorded in the
 * schedule's status (`podCheckpoints.pending`, a write with the resourceVersion read) before any is
 * deleted; each delete is made on the object as it was read (UID and resourceVersion
 * preconditions, so one pinned or replaced meanwhile stays); a controller that dies in between
 * finds the pending list, checks each entry again and finishes it, and each removal is counted once
 * when the list is cleared. The object goes; its data on the node is removed by the agent of that
 * node, which holds the `kcr.dev/node-data` finalizer until it has (pod-checkpoint-node-data.ts).
 */
import type { RetentionRule } from '../backup/index.js';
import { KcrError } from '../errors.js';
import {
  apiError,
  deletePodCheckpoint,
  listPodCheckpoints,
  notServedError,
  podCheckpointsServed,
  type KubeClient,
  type PodCheckpoint,
} from '../kube/index.js';
import { parseDuration, parseSize } from '../util/units.js';
import { errorText, setCondition } from './conditions.js';
import { isNotFound, type KcrApi } from './kcr-api.js';
import type { Metrics } from './metrics.js';
import {
  exemption,
  limitOf,
  podCheckpointsInUse,
  selectPodCheckpoints,
  type PodCheckpointDecision,
  type PodView,
} from './pod-checkpoint-retention.js';
import type { CheckpointSchedule, PodCheckpointPruneStatus, Restore, ScheduleSpec } from './resources.js';

/** How many removed PodCheckpoints the schedule's status lists. */
const LAST_PRUNED = 20;

export interface PodCheckpointPruneDeps {
  api: KcrApi;
  client: KubeClient;
  /** The Restores the controller's informer holds (a Restore in progress keeps its PodCheckpoint). */
  restores(): readonly Restore[];
  metrics?: Metrics;
  now(): Date;
  log?(line: string): void;
}

/** The Pods of `namespace` (or all) as the API server sent them: spec.restoreFrom is kept. */
export async function listPodViews(client: KubeClient, namespace?: string): Promise<PodView[]> {
  const path = namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods` : '/api/v1/pods';
  const what = `list pods${namespace ? ` in ${namespace}` : ''}`;
  const res = await client
    .raw('GET', path, { timeoutMs: 60_000, maxBodyBytes: 512 * 1024 * 1024 })
    .catch((err: unknown) => {
      throw apiError(err, what, client.server);
    });
  if (res.status !== 200)
    throw new KcrError('remote', `${what}: HTTP ${res.status}`, { hint: 'the next pass tries again' });
  const list = JSON.parse(res.body) as { items?: PodView[] };
  return list.items ?? [];
}

/** Whether `labels` satisfy a schedule's selector (an empty selector matches everything). */
export function matchesSelector(selector: ScheduleSpec['selector'], labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const ok =
      e.operator === 'Exists'
        ? has
        : e.operator === 'DoesNotExist'
          ? !has
          : e.operator === 'In'
            ? inValues
            : !inValues;
    if (!ok) return false;
  }
  return true;
}

/** The schedule's policy as a retention rule over its namespace. */
export function scheduleRule(s: CheckpointSchedule): RetentionRule | undefined {
  const r = s.spec.podCheckpointRetention;
  if (!r) return undefined;
  const where = `${s.metadata.namespace ?? 'default'}/${s.metadata.name}: podCheckpointRetention`;
  return {
    namespace: s.metadata.namespace ?? 'default',
    per: r.per ?? 'pod',
    ...(r.keepLast !== undefined ? { keepLast: r.keepLast } : {}),
    ...(r.maxAge ? { maxAge: parseDuration(`${where}.maxAge`, r.maxAge) } : {}),
    ...(r.maxSize ? { maxSize: parseSize(`${where}.maxSize`, r.maxSize) } : {}),
  };
}

/** The PodCheckpoints a schedule governs: in its namespace, of Pods its selector matches. */
export function coveredPodCheckpoints(
  s: CheckpointSchedule,
  podCheckpoints: readonly PodCheckpoint[],
  pods: readonly PodView[],
): PodCheckpoint[] {
  const live = new Map(pods.map((p) => [p.metadata?.name ?? '', p.metadata?.labels ?? {}]));
  return podCheckpoints.filter((pc) => {
    // The template's labels are the checkpointed Pod's; a failed one has none, its Pod may still run.
    const labels =
      pc.status?.checkpointedPodTemplate?.metadata?.labels ?? live.get(pc.spec.sourcePod.name) ?? {};
    return matchesSelector(s.spec.selector, labels);
  });
}

/** What the schedule's podCheckpointRetention removes now, from a fresh read of the namespace. */
export async function planScheduleRetention(
  deps: Pick<PodCheckpointPruneDeps, 'client' | 'restores' | 'now'>,
  s: CheckpointSchedule,
): Promise<{ podCheckpoints: PodCheckpoint[]; decisions: PodCheckpointDecision[]; inUse: Set<string> }> {
  const namespace = s.metadata.namespace ?? 'default';
  const rule = scheduleRule(s);
  const podCheckpoints = await listPodCheckpoints(deps.client, namespace);
  // The Pods (labels, restoreFrom) matter only when there is something to decide about.
  const pods = podCheckpoints.length ? await listPodViews(deps.client, namespace) : [];
  const inUse = podCheckpointsInUse(pods, deps.restores());
  const covered = coveredPodCheckpoints(s, podCheckpoints, pods);
  const decisions = rule ? selectPodCheckpoints(covered, [rule], { inUse, now: deps.now() }) : [];
  return { podCheckpoints, decisions, inUse };
}

type Entry = NonNullable<PodCheckpointPruneStatus['pending']>[number];

function entryOf(d: PodCheckpointDecision): Entry {
  const pc = d.podCheckpoint;
  return {
    name: pc.metadata.name,
    ...(pc.metadata.uid ? { uid: pc.metadata.uid } : {}),
    pod: pc.spec.sourcePod.name,
    ...(pc.status?.nodeName ? { node: pc.status.nodeName } : {}),
    reason: d.reason,
  };
}

/**
 * One retention pass over a schedule's PodCheckpoints: a pending list left by a controller that
 * stopped is finished first; otherwise the policy's choice is recorded, then deleted.
 */
export async function prunePodCheckpoints(
  deps: PodCheckpointPruneDeps,
  schedule: CheckpointSchedule,
): Promise<CheckpointSchedule> {
  let s = schedule;
  const namespace = s.metadata.namespace ?? 'default';
  const where = `schedule ${namespace}/${s.metadata.name}`;
  try {
    if (!(await podCheckpointsServed(deps.client))) throw notServedError();
    const plan = await planScheduleRetention(deps, s);
    let pending = s.status?.podCheckpoints?.pending ?? [];
    if (!pending.length) {
      if (!plan.decisions.length) return s;
      const chosen = plan.decisions.map(entryOf);
      const recorded = await deps.api.writeStatus('CheckpointSchedule', s, (latest) =>
        latest.status?.podCheckpoints?.pending?.length
          ? undefined
          : {
              ...latest.status,
              podCheckpoints: { ...latest.status?.podCheckpoints, pending: chosen },
            },
      );
      // Whichever list is recorded now (another writer's, if it came first) is the one carried out.
      s = recorded;
      pending = s.status?.podCheckpoints?.pending ?? [];
    }
    const current = new Map(plan.podCheckpoints.map((pc) => [pc.metadata.name, pc]));
    const removed: Entry[] = [];
    for (const entry of pending) {
      const outcome = await carryOut(deps, entry, current.get(entry.name), plan.inUse);
      deps.log?.(`${where}: podcheckpoint ${namespace}/${entry.name}: ${outcome}: ${entry.reason}`);
      if (outcome === 'removed') removed.push(entry);
    }
    for (const entry of removed) deps.metrics?.podCheckpointsPruned.inc({ limit: limitOf(entry.reason) });
    const now = deps.now();
    return await deps.api.writeStatus('CheckpointSchedule', s, (latest) => {
      const previous = latest.status?.podCheckpoints;
      if (!previous?.pending?.length) return undefined;
      return {
        ...latest.status,
        podCheckpoints: {
          lastPruned: [...(previous.lastPruned ?? []), ...removed].slice(-LAST_PRUNED),
          lastPruneTime: now.toISOString(),
          pruned: (previous.pruned ?? 0) + removed.length,
        },
        conditions: setCondition(
          latest.status?.conditions,
          {
            type: 'PodCheckpointsPruned',
            status: 'True',
            reason: removed.length ? 'Pruned' : 'NothingPruned',
            message: removed.length
              ? `removed ${removed.length} PodCheckpoint(s) and their node data:\n${removed.map((e) => `${e.name} (pod ${e.pod}${e.node ? ` on ${e.node}` : ''}): ${e.reason}`).join('\n')}`
              : 'the PodCheckpoints chosen were pinned, in use or changed meanwhile; nothing was removed',
          },
          now,
        ),
      };
    });
  } catch (err) {
    deps.metrics?.countError(err);
    deps.log?.(`${where}: podcheckpoint retention: ${errorText(err)}`);
    return deps.api.writeStatus('CheckpointSchedule', s, (latest) => {
      const lastError = `podcheckpoint retention: ${errorText(err)}`;
      return latest.status?.lastError === lastError ? undefined : { ...latest.status, lastError };
    });
  }
}

/** One recorded choice, checked again on the object as it is now. */
async function carryOut(
  deps: PodCheckpointPruneDeps,
  entry: Entry,
  pc: PodCheckpoint | undefined,
  inUse: ReadonlySet<string>,
): Promise<'removed' | 'kept' | 'replaced'> {
  // Gone, or being deleted: this pass (or the one before a restart) deleted it.
  if (!pc) return 'removed';
  if (entry.uid && pc.metadata.uid !== entry.uid) return 'replaced';
  if (pc.metadata.deletionTimestamp) return 'removed';
  const why = exemption(pc, inUse);
  if (why) return 'kept';
  const outcome = await deletePodCheckpoint(deps.client, pc.metadata.namespace ?? '', pc.metadata.name, pc);
  return outcome === 'changed' ? 'kept' : 'removed';
}

/** For `kcr prune --pod-checkpoints`: the decision over one namespace (or all) by `rules`. */
export async function planPodCheckpointPrune(
  client: KubeClient,
  api: KcrApi,
  rules: readonly RetentionRule[],
  o: { namespace?: string; now?: Date } = {},
): Promise<PodCheckpointDecision[]> {
  if (!(await podCheckpointsServed(client))) throw notServedError();
  const [podCheckpoints, pods, restores] = await Promise.all([
    listPodCheckpoints(client, o.namespace),
    listPodViews(client, o.namespace),
    // Without kcr's CRDs installed there are no Restores to wait for.
    api.list('Restore', o.namespace ? { namespace: o.namespace } : {}).catch((err: unknown) => {
      if (isNotFound(err) || (err instanceof KcrError && err.code === 'not-found')) return [];
      throw err;
    }),
  ]);
  return selectPodCheckpoints(podCheckpoints, rules, {
    inUse: podCheckpointsInUse(pods, restores),
    ...(o.now ? { now: o.now } : {}),
  });
}

/** Deletes what a plan chose, each on the object as planned; returns the ones removed. */
export async function applyPodCheckpointPrune(
  client: KubeClient,
  decisions: readonly PodCheckpointDecision[],
): Promise<PodCheckpointDecision[]> {
  const removed: PodCheckpointDecision[] = [];
  for (const d of decisions) {
    const pc = d.podCheckpoint;
    const outcome = await deletePodCheckpoint(client, pc.metadata.namespace ?? '', pc.metadata.name, pc);
    if (outcome !== 'changed') removed.push(d);
  }
  return removed;
}
