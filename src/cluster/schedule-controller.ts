/**
 * The controller's schedule work, one schedule at a time: start the runs that are due (cron, a
 * Pod's kcr.dev/checkpoint-now annotation, a drain), create their Checkpoints, tally them when the
 * agents are done, and apply the schedule's retention to its store and to the PodCheckpoints of the
 * Pods it covers (pod-checkpoint-pruning.ts).
 *
 * Never lost, never doubled: a run is first recorded in the schedule's status (a write with the
 * resourceVersion read, so two writers cannot both record it), then its Checkpoints are created
 * under derived names (a second creation finds the first), and only then is it marked Running.
 * A controller that dies in between finds the run `Creating` in the status and finishes it.
 */
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { Catalog, pruneStore, resolveStore, type RetentionRule, type StoreOptions } from '../backup/index.js';
import { parseDuration, parseSize } from '../util/units.js';
import { mapLimit } from '../util/concurrency.js';
import { errorText } from './conditions.js';
import { prunePodCheckpoints, type PodCheckpointPruneDeps } from './pod-checkpoint-pruning.js';
import type { KcrApi } from './kcr-api.js';
import type { Metrics } from './metrics.js';
import {
  API_VERSION,
  CHECKPOINT_NOW_ANNOTATION,
  LABELS,
  type Checkpoint,
  type CheckpointSchedule,
  type ScheduleRun,
  type ScheduleStatus,
} from './resources.js';
import { checkpointName, dueCronRun, nextCronTime, runId, tallyRun, withRun } from './schedule-runs.js';

export interface ScheduleDeps {
  api: KcrApi;
  core: CoreV1Api;
  /** The Checkpoints the controller's informer holds. */
  checkpoints(): readonly Checkpoint[];
  /** For PodCheckpoint retention: raw API access and the Restores the informer holds. */
  podCheckpoints?: Pick<PodCheckpointPruneDeps, 'client' | 'restores'> & {
    /** How often a schedule's podCheckpointRetention is applied (default 60 s). */
    intervalMs?: number;
  };
  storeOptions?: StoreOptions;
  metrics?: Metrics;
  now(): Date;
  log?(line: string): void;
}

function selectorString(s: CheckpointSchedule): string | undefined {
  const parts = Object.entries(s.spec.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.spec.selector.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`);
  }
  return parts.length ? parts.join(',') : undefined;
}

/** The running Pods a schedule covers (on `node` only, for a drain). */
export async function coveredPods(
  deps: ScheduleDeps,
  s: CheckpointSchedule,
  node?: string,
): Promise<V1Pod[]> {
  const labelSelector = selectorString(s);
  const list = await deps.core.listNamespacedPod({
    namespace: s.metadata.namespace ?? 'default',
    ...(labelSelector ? { labelSelector } : {}),
    ...(node ? { fieldSelector: `spec.nodeName=${node}` } : {}),
  });
  return list.items.filter(
    (p) => p.status?.phase === 'Running' && p.spec?.nodeName && (!node || p.spec.nodeName === node),
  );
}

function checkpointFor(s: CheckpointSchedule, run: ScheduleRun, pod: V1Pod): Checkpoint {
  const node = pod.spec!.nodeName!;
  return {
    apiVersion: API_VERSION,
    kind: 'Checkpoint',
    metadata: {
      name: checkpointName(s.metadata.name, run.id, pod.metadata!.uid!),
      namespace: s.metadata.namespace ?? 'default',
      labels: { [LABELS.schedule]: s.metadata.name, [LABELS.run]: run.id, [LABELS.node]: node },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: 'CheckpointSchedule',
          name: s.metadata.name,
          uid: s.metadata.uid!,
          controller: true,
        },
      ],
    },
    spec: {
      pod: pod.metadata!.name!,
      nodeName: node,
      store: s.spec.store,
      ...(s.spec.containers?.length ? { containers: s.spec.containers } : {}),
      ...(s.spec.encryption ? { encryption: s.spec.encryption } : {}),
      ...(s.spec.timeoutSeconds ? { timeoutSeconds: s.spec.timeoutSeconds } : {}),
    },
  };
}

export class ScheduleController {
  /** When each schedule's PodCheckpoints were last pruned (ms), by namespace/name. */
  private readonly podCheckpointPasses = new Map<string, number>();

  constructor(private readonly deps: ScheduleDeps) {}

  /** One pass over one schedule: due runs started, unfinished ones carried on, finished ones tallied. */
  async process(schedule: CheckpointSchedule): Promise<CheckpointSchedule> {
    let s = schedule;
    const now = this.deps.now();
    const due = dueCronRun(s, now);
    if (due) {
      const run: ScheduleRun = {
        id: runId('cron', due.scheduledTime),
        trigger: 'cron',
        scheduledTime: due.scheduledTime.toISOString(),
        phase: due.tooLate ? 'Missed' : 'Creating',
        ...(due.tooLate ? {} : { startTime: now.toISOString() }),
      };
      const notes = [
        ...(due.tooLate
          ? [
              `missed by ${Math.round((now.getTime() - due.scheduledTime.getTime()) / 1000)}s (startingDeadlineSeconds ${s.spec.startingDeadlineSeconds})`,
            ]
          : []),
        ...(due.skipped
          ? [`${due.skipped} earlier run(s) fell due while no controller ran; only the latest counts`]
          : []),
      ];
      if (notes.length) run.message = notes.join('; ');
      s = await this.record(s, run, { lastScheduleTime: run.scheduledTime });
      if (!due.tooLate)
        this.deps.metrics?.scheduleLag.observe((now.getTime() - due.scheduledTime.getTime()) / 1000);
    }
    if (s.spec.triggers.onAnnotation && !s.spec.suspend) s = await this.annotationRuns(s);
    for (const run of s.status?.runs ?? []) {
      if (run.phase === 'Creating') s = await this.createCheckpoints(s, run);
      else if (run.phase === 'Running') s = await this.tally(s, run);
    }
    if (s.spec.podCheckpointRetention) s = await this.podCheckpointRetention(s, now);
    return s;
  }

  /**
   * PodCheckpoints are not made by the schedule's runs (users and other tools create them), so
   * their retention runs on its own clock; a pending list a stopped controller left goes at once.
   */
  private async podCheckpointRetention(s: CheckpointSchedule, now: Date): Promise<CheckpointSchedule> {
    const pc = this.deps.podCheckpoints;
    if (!pc) return s;
    const key = `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`;
    const last = this.podCheckpointPasses.get(key);
    const pending = Boolean(s.status?.podCheckpoints?.pending?.length);
    if (!pending && last !== undefined && now.getTime() - last < (pc.intervalMs ?? 60_000)) return s;
    this.podCheckpointPasses.set(key, now.getTime());
    return prunePodCheckpoints(
      {
        api: this.deps.api,
        client: pc.client,
        restores: pc.restores,
        now: this.deps.now,
        ...(this.deps.metrics ? { metrics: this.deps.metrics } : {}),
        ...(this.deps.log ? { log: this.deps.log } : {}),
      },
      s,
    );
  }

  /** Records `run` in the status unless it is there already (then the status is left as it is). */
  async record(
    s: CheckpointSchedule,
    run: ScheduleRun,
    extra: Partial<ScheduleStatus> = {},
  ): Promise<CheckpointSchedule> {
    return this.deps.api.writeStatus('CheckpointSchedule', s, (latest) => {
      if (latest.status?.runs?.some((r) => r.id === run.id)) return undefined;
      const next = nextCronTime(latest, this.deps.now());
      const counts = latest.status?.counts ?? {};
      return {
        ...latest.status,
        ...extra,
        ...(next ? { nextScheduleTime: next.toISOString() } : {}),
        runs: withRun(latest.status?.runs, run),
        counts: { ...counts, runs: (counts.runs ?? 0) + 1 },
        observedGeneration: latest.metadata.generation,
      };
    });
  }

  /** Starts a run now for a trigger outside the cron (a drain of `node`); returns its id. */
  async startRun(s: CheckpointSchedule, trigger: 'drain' | 'annotation', target: string): Promise<string> {
    const now = this.deps.now();
    const run: ScheduleRun = {
      id: runId(trigger, now, target.replace(/[^a-z0-9-]/g, '-').slice(0, 60)),
      trigger,
      target,
      scheduledTime: now.toISOString(),
      startTime: now.toISOString(),
      phase: 'Creating',
    };
    const recorded = await this.record(s, run);
    await this.createCheckpoints(recorded, run);
    return run.id;
  }

  private async annotationRuns(s: CheckpointSchedule): Promise<CheckpointSchedule> {
    const pods = (await coveredPods(this.deps, s)).filter(
      (p) => p.metadata?.annotations?.[CHECKPOINT_NOW_ANNOTATION] === 'true',
    );
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      // A run for this Pod that has not finished yet is the one the annotation asked for.
      const open = s.status?.runs?.find(
        (r) =>
          r.trigger === 'annotation' &&
          r.target === name &&
          (r.phase === 'Creating' || r.phase === 'Running'),
      );
      if (!open) {
        await this.startRun(s, 'annotation', name);
        s = await this.deps.api.get('CheckpointSchedule', s.metadata.namespace ?? 'default', s.metadata.name);
      }
      await this.removeAnnotation(s, name);
    }
    return s;
  }

  private async removeAnnotation(s: CheckpointSchedule, pod: string): Promise<void> {
    await this.deps.core.patchNamespacedPod(
      {
        namespace: s.metadata.namespace ?? 'default',
        name: pod,
        body: { metadata: { annotations: { [CHECKPOINT_NOW_ANNOTATION]: null } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** Creates the run's Checkpoints (those already there are found, not doubled), then marks it Running. */
  private async createCheckpoints(s: CheckpointSchedule, run: ScheduleRun): Promise<CheckpointSchedule> {
    let pods = await coveredPods(this.deps, s, run.trigger === 'drain' ? run.target : undefined);
    if (run.trigger === 'annotation') pods = pods.filter((p) => p.metadata?.name === run.target);
    await mapLimit(pods, 32, (pod) => this.deps.api.create('Checkpoint', checkpointFor(s, run, pod)));
    return this.deps.api.writeStatus('CheckpointSchedule', s, (latest) => {
      const current = latest.status?.runs?.find((r) => r.id === run.id);
      if (!current || current.phase !== 'Creating') return undefined;
      const updated: ScheduleRun = pods.length
        ? { ...current, phase: 'Running', checkpoints: pods.length }
        : {
            ...current,
            phase: 'Succeeded',
            checkpoints: 0,
            completionTime: this.deps.now().toISOString(),
            message: 'no running Pod matched the selector',
          };
      return { ...latest.status, runs: withRun(latest.status?.runs, updated) };
    });
  }

  private async tally(s: CheckpointSchedule, run: ScheduleRun): Promise<CheckpointSchedule> {
    const mine = this.deps
      .checkpoints()
      .filter(
        (c) =>
          c.metadata.namespace === s.metadata.namespace &&
          c.metadata.labels?.[LABELS.schedule] === s.metadata.name &&
          c.metadata.labels?.[LABELS.run] === run.id,
      );
    const t = tallyRun(mine, run.checkpoints ?? mine.length);
    if (!t.done) return s;
    const now = this.deps.now().toISOString();
    const failures = mine.filter((c) => c.status?.phase === 'Failed');
    const lastError = failures.length
      ? `${failures[0]!.spec.pod}: ${failures[0]!.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? 'failed'}`
      : undefined;
    const updated = await this.deps.api.writeStatus('CheckpointSchedule', s, (latest) => {
      const current = latest.status?.runs?.find((r) => r.id === run.id);
      if (!current || current.phase !== 'Running') return undefined;
      const counts = latest.status?.counts ?? {};
      return {
        ...latest.status,
        runs: withRun(latest.status?.runs, {
          ...current,
          phase: t.phase,
          succeeded: t.succeeded,
          failed: t.failed,
          completionTime: now,
        }),
        counts: {
          ...counts,
          succeeded: (counts.succeeded ?? 0) + t.succeeded,
          failed: (counts.failed ?? 0) + t.failed,
        },
        ...(t.failed === 0 ? { lastSuccessfulTime: now } : {}),
        ...(lastError ? { lastError } : {}),
      };
    });
    if (updated !== s && s.spec.retention) return this.applyRetention(updated);
    return updated;
  }

  /** Retention over the store's backups of the Pods this schedule covers; returns the schedule as updated. */
  async applyRetention(s: CheckpointSchedule): Promise<CheckpointSchedule> {
    const r = s.spec.retention!;
    const namespace = s.metadata.namespace ?? 'default';
    const pods = new Set(
      this.deps
        .checkpoints()
        .filter(
          (c) =>
            c.metadata.namespace === namespace && c.metadata.labels?.[LABELS.schedule] === s.metadata.name,
        )
        .map((c) => c.spec.pod),
    );
    const base = {
      per: r.per ?? 'container',
      ...(r.keepLast !== undefined ? { keepLast: r.keepLast } : {}),
      ...(r.maxAge ? { maxAge: parseDuration('retention.maxAge', r.maxAge) } : {}),
      ...(r.maxSize ? { maxSize: parseSize('retention.maxSize', r.maxSize) } : {}),
    } as const;
    const rules: RetentionRule[] = [...pods].map((pod) => ({ namespace, pod, ...base }));
    const catalog = Catalog.open(':memory:');
    try {
      const named = await resolveStore(catalog, s.spec.store, this.deps.storeOptions ?? {});
      try {
        const removed = await pruneStore(catalog, named, rules, { now: this.deps.now() });
        const ids = new Set(removed.map((d) => d.item.id));
        // The Checkpoints whose every backup went go too: they name backups that are no more.
        for (const c of this.deps.checkpoints()) {
          const backups = (c.status?.containers ?? []).map((x) => x.backupId).filter(Boolean);
          if (
            c.metadata.labels?.[LABELS.schedule] === s.metadata.name &&
            backups.length &&
            backups.every((b) => ids.has(b!))
          ) {
            await this.deps.api.delete('Checkpoint', namespace, c.metadata.name);
          }
        }
        for (const d of removed)
          this.deps.log?.(`schedule ${namespace}/${s.metadata.name}: pruned ${d.item.id}: ${d.reason}`);
        if (!removed.length) return s;
        return this.deps.api.writeStatus('CheckpointSchedule', s, (latest) => ({
          ...latest.status,
          counts: { ...latest.status?.counts, pruned: (latest.status?.counts?.pruned ?? 0) + removed.length },
        }));
      } finally {
        await named.store.close();
      }
    } catch (err) {
      this.deps.metrics?.countError(err);
      return this.deps.api.writeStatus('CheckpointSchedule', s, (latest) => ({
        ...latest.status,
        lastError: `retention: ${errorText(err)}`,
      }));
    } finally {
      catalog.close();
    }
  }
}
