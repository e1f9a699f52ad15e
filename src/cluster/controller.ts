/**
 * The controller (`kcr controller`, a Deployment of two or more replicas): informers on
 * CheckpointSchedules, Checkpoints and Restores in every namespace; the replica holding the Lease
 * runs the schedules and their retention (schedule-controller.ts), gives Checkpoints made without a node the node of
 * their Pod, and carries out Restores (restore-controller.ts). The standbys keep their informers
 * warm, so a takeover starts from a synced cache.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { StoreOptions } from '../backup/index.js';
import { KubeClient } from '../kube/index.js';
import type { RegistryOptions } from '../oci/index.js';
import { Informer } from './informer.js';
import { KcrApi } from './kcr-api.js';
import { LeaderElector } from './leader.js';
import type { Metrics } from './metrics.js';
import { carryOutRestore, isPending, type RestoreDeps } from './restore-controller.js';
import {
  LABELS,
  type Checkpoint,
  type CheckpointSchedule,
  type KindName,
  type Restore,
} from './resources.js';
import { ScheduleController } from './schedule-controller.js';

export interface ControllerOptions {
  kc: KubeConfig;
  identity: string;
  lease: { namespace: string; name: string; durationSeconds?: number; renewMs?: number };
  /** How often due runs are looked for (default 1000 ms: cron has second granularity). */
  tickMs?: number;
  resyncMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  storeOptions?: StoreOptions;
  registry?: RegistryOptions;
  restore?: Pick<RestoreDeps, 'kubeconfig' | 'wait' | 'timeoutSeconds'>;
  metrics?: Metrics;
  /** How often each schedule's podCheckpointRetention is applied (default 60 s). */
  podCheckpointRetentionIntervalMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

export class Controller {
  readonly api: KcrApi;
  readonly elector: LeaderElector;
  readonly schedules: Informer<CheckpointSchedule>;
  readonly checkpoints: Informer<Checkpoint>;
  readonly restores: Informer<Restore>;
  private readonly scheduleWork: ScheduleController;
  private readonly core: CoreV1Api;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly restoring = new Set<string>();
  private stopped = false;

  constructor(private readonly o: ControllerOptions) {
    this.api = new KcrApi(o.kc);
    this.core = o.kc.makeApiClient(CoreV1Api);
    const now = () => o.now?.() ?? new Date();
    this.scheduleWork = new ScheduleController({
      api: this.api,
      core: this.core,
      checkpoints: () => this.checkpoints.list(),
      podCheckpoints: {
        client: new KubeClient(o.kc, 'default', o.kc.getCurrentCluster()?.server ?? 'the API server'),
        restores: () => this.restores.list(),
        ...(o.podCheckpointRetentionIntervalMs ? { intervalMs: o.podCheckpointRetentionIntervalMs } : {}),
      },
      ...(o.storeOptions ? { storeOptions: o.storeOptions } : {}),
      ...(o.metrics ? { metrics: o.metrics } : {}),
      now,
      ...(o.log ? { log: o.log } : {}),
    });
    const informer = <K extends KindName, T>(kind: K, onObject: (obj: T) => void) =>
      new Informer<T>({
        kc: o.kc,
        path: KcrApi.path(kind),
        list: () => this.api.listRaw(kind),
        parse: (raw) => this.api.parse(kind, raw) as T,
        onObject,
        ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
        ...(o.backoff ? { backoff: o.backoff } : {}),
        onError: (err) => {
          o.metrics?.countError(err);
          o.log?.(`watch of ${kind} failed, restarting: ${err instanceof Error ? err.message : String(err)}`);
        },
      });
    this.schedules = informer<'CheckpointSchedule', CheckpointSchedule>('CheckpointSchedule', () =>
      this.kick(),
    );
    this.checkpoints = informer<'Checkpoint', Checkpoint>('Checkpoint', (cp) => {
      if (this.elector.isLeader && !cp.spec.nodeName && !cp.status?.phase) void this.assignNode(cp);
      if (
        cp.metadata.labels?.[LABELS.schedule] &&
        (cp.status?.phase === 'Succeeded' || cp.status?.phase === 'Failed')
      )
        this.kick();
    });
    this.restores = informer<'Restore', Restore>('Restore', (r) => {
      if (this.elector.isLeader && isPending(r)) void this.carryOutRestore(r);
    });
    this.elector = new LeaderElector({
      kc: o.kc,
      namespace: o.lease.namespace,
      name: o.lease.name,
      identity: o.identity,
      ...(o.lease.durationSeconds ? { leaseDurationSeconds: o.lease.durationSeconds } : {}),
      ...(o.lease.renewMs ? { renewMs: o.lease.renewMs } : {}),
      ...(o.now ? { now: o.now } : {}),
      onStartedLeading: () => {
        o.log?.(`${o.identity} is the leader`);
        // The caches may hold work that arrived while another replica led.
        for (const cp of this.checkpoints.list())
          if (!cp.spec.nodeName && !cp.status?.phase) void this.assignNode(cp);
        for (const r of this.restores.list()) if (isPending(r)) void this.carryOutRestore(r);
        this.kick();
      },
      onStoppedLeading: () => o.log?.(`${o.identity} is no longer the leader`),
      onError: (err) => o.metrics?.countError(err),
    });
  }

  /** Why the controller is not ready (for /readyz): a standby with synced caches is ready. */
  notReady(): string | undefined {
    const unsynced = [this.schedules, this.checkpoints, this.restores].filter((i) => !i.synced).length;
    return unsynced ? `${unsynced} informer(s) have not synced` : undefined;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await Promise.all([this.schedules.start(), this.checkpoints.start(), this.restores.start()]);
    this.elector.start();
    this.timer = setInterval(() => this.kick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  /** Runs one pass over the schedules now, unless one is running (then it runs again after it). */
  kick(): void {
    if (this.stopped || !this.elector.isLeader) return;
    if (this.ticking) return;
    this.ticking = this.tick().finally(() => {
      this.ticking = undefined;
    });
  }

  /** One pass over every schedule (the leader's; tests call it to step the controller). */
  async tick(): Promise<void> {
    for (const s of this.schedules.list()) {
      if (this.stopped || !this.elector.isLeader) return;
      try {
        await this.scheduleWork.process(s);
      } catch (err) {
        this.o.metrics?.countError(err);
        this.o.log?.(
          `schedule ${s.metadata.namespace}/${s.metadata.name}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  /** Settles the pass in progress, if any. */
  async idle(): Promise<void> {
    await this.ticking;
  }

  /** Starts a drain run on every schedule with triggers.beforeDrain; returns (namespace, schedule, run) of each. */
  async drainRuns(node: string): Promise<{ namespace: string; schedule: string; run: string }[]> {
    const out = [];
    for (const s of await this.api.list('CheckpointSchedule')) {
      if (!s.spec.triggers.beforeDrain || s.spec.suspend) continue;
      const run = await this.scheduleWork.startRun(s, 'drain', node);
      out.push({ namespace: s.metadata.namespace ?? 'default', schedule: s.metadata.name, run });
    }
    return out;
  }

  private async assignNode(cp: Checkpoint): Promise<void> {
    const namespace = cp.metadata.namespace ?? 'default';
    try {
      const pod = await this.core.readNamespacedPod({ namespace, name: cp.spec.pod });
      const node = pod.spec?.nodeName;
      if (!node) return;
      await this.api.patch('Checkpoint', namespace, cp.metadata.name, {
        metadata: { labels: { [LABELS.node]: node } },
        spec: { nodeName: node },
      });
    } catch (err) {
      this.o.metrics?.countError(err);
      this.o.log?.(
        `checkpoint ${namespace}/${cp.metadata.name}: cannot find its node: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  private async carryOutRestore(r: Restore): Promise<void> {
    const k = `${r.metadata.namespace}/${r.metadata.name}`;
    if (this.restoring.has(k)) return;
    this.restoring.add(k);
    try {
      await carryOutRestore(r, {
        api: this.api,
        kubeconfig: this.o.restore?.kubeconfig ?? {},
        ...(this.o.restore?.wait !== undefined ? { wait: this.o.restore.wait } : {}),
        ...(this.o.restore?.timeoutSeconds ? { timeoutSeconds: this.o.restore.timeoutSeconds } : {}),
        ...(this.o.storeOptions ? { storeOptions: this.o.storeOptions } : {}),
        ...(this.o.registry ? { registry: this.o.registry } : {}),
        ...(this.o.metrics ? { metrics: this.o.metrics } : {}),
        now: () => this.o.now?.() ?? new Date(),
      });
    } catch (err) {
      this.o.metrics?.countError(err);
      this.o.log?.(`restore ${k}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.restoring.delete(k);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    await this.elector.stop();
    await Promise.all([this.schedules.stop(), this.checkpoints.stop(), this.restores.stop()]);
  }
}
