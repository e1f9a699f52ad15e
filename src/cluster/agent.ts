/**
 * The node agent (`kcr agent`, one per node in a DaemonSet): an informer on the Checkpoints of its
 * own node only (field selector `spec.nodeName=NODE`, a CRD selectable field; or the `kcr.dev/node`
 * label on servers before 1.31), each unfinished one carried out by `carryOutCheckpoint` with at
 * most `maxConcurrent` at a time, and the node's checkpoint directory pruned by policy.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { pruneNodeDir, type RetentionRule, type StoreOptions } from '../backup/index.js';
import { KcrError } from '../errors.js';
import { KubeClient, parseStatus, type KubeletEndpoint } from '../kube/index.js';
import { carryOutCheckpoint, StoreCache, type AgentDeps, type PodObject } from './agent-checkpoint.js';
import { Informer } from './informer.js';
import { PodCheckpointNodeData } from './pod-checkpoint-node-data.js';
import { KcrApi } from './kcr-api.js';
import type { Metrics } from './metrics.js';
import { LABELS, type Checkpoint } from './resources.js';

export interface AgentOptions {
  kc: KubeConfig;
  node: string;
  kubelet: KubeletEndpoint;
  hostRoot?: string;
  checkpointDir: string;
  defaultStore?: string;
  storeOptions?: StoreOptions;
  removeArchive?: boolean;
  /** Checkpoints carried out at once on this node (default 2): CRIU freezes the process while it dumps. */
  maxConcurrent?: number;
  selectBy?: 'field' | 'label';
  /** Rules for the node's checkpoint directory (kcr prune --node-dir), applied every pruneIntervalMs. */
  prune?: { rules: RetentionRule[]; intervalMs: number };
  /**
   * The kubelet's pod-checkpoint directory on the host (KEP-5823): the agent removes a deleted
   * PodCheckpoint's data there, holding the kcr.dev/node-data finalizer until it has, and sweeps
   * orphans (pod-checkpoint-node-data.ts).
   */
  podCheckpointDir?: string;
  podCheckpointSweep?: { intervalMs?: number; minAgeMs?: number };
  resyncMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  metrics?: Metrics;
  /** Log lines (one event each); the CLI writes them to stderr. */
  log?: (line: string) => void;
}

function key(cp: Checkpoint): string {
  return `${cp.metadata.namespace ?? 'default'}/${cp.metadata.name}`;
}

export class NodeAgent {
  private readonly api: KcrApi;
  private readonly client: KubeClient;
  private readonly informer: Informer<Checkpoint>;
  private readonly stores: StoreCache;
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private pruneTimer: NodeJS.Timeout | undefined;
  readonly podCheckpointData: PodCheckpointNodeData | undefined;
  /** The most Checkpoints this agent carried out at one time (the per-node concurrency, as measured). */
  maxRunning = 0;

  constructor(private readonly o: AgentOptions) {
    this.api = new KcrApi(o.kc);
    this.client = new KubeClient(o.kc, 'default', o.kc.getCurrentCluster()?.server ?? '');
    this.stores = new StoreCache(o.storeOptions);
    if (o.podCheckpointDir) {
      this.podCheckpointData = new PodCheckpointNodeData({
        kc: o.kc,
        node: o.node,
        hostRoot: o.hostRoot ?? '/',
        dir: o.podCheckpointDir,
        ...(o.podCheckpointSweep ? { sweep: o.podCheckpointSweep } : {}),
        ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
        ...(o.backoff ? { backoff: o.backoff } : {}),
        ...(o.metrics ? { metrics: o.metrics } : {}),
        ...(o.log ? { log: o.log } : {}),
      });
    }
    const byLabel = o.selectBy === 'label';
    const selector = byLabel
      ? { labelSelector: `${LABELS.node}=${o.node}` }
      : { fieldSelector: `spec.nodeName=${o.node}` };
    this.informer = new Informer<Checkpoint>({
      kc: o.kc,
      path: KcrApi.path('Checkpoint'),
      list: () => this.api.listRaw('Checkpoint', selector),
      parse: (raw) => this.api.parse('Checkpoint', raw),
      ...selector,
      onObject: (cp) => this.enqueue(cp),
      ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
      ...(o.backoff ? { backoff: o.backoff } : {}),
      onError: (err) => {
        o.metrics?.countError(err);
        o.log?.(
          `watch of checkpoints failed, restarting: ${err instanceof Error ? err.message : String(err)}`,
        );
      },
    });
  }

  /** Why the agent is not ready, or undefined (for /readyz). */
  notReady(): string | undefined {
    return this.informer.synced ? undefined : 'the Checkpoint informer has not synced';
  }

  async start(): Promise<void> {
    await this.informer.start();
    await this.podCheckpointData?.start();
    if (this.o.prune) {
      this.pruneTimer = setInterval(() => void this.pruneOnce(), this.o.prune.intervalMs);
      this.pruneTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.podCheckpointData?.stop();
    await this.informer.stop();
    this.abort.abort();
    await Promise.allSettled(this.running.values());
    await this.stores.close();
  }

  /** Settles once nothing is queued or running (for tests and a graceful stop). */
  async idle(): Promise<void> {
    while (this.running.size || this.queue.length) await Promise.allSettled(this.running.values());
  }

  /** Prunes the node's checkpoint directory once by the policy; returns what went. */
  async pruneOnce(): Promise<string[]> {
    if (!this.o.prune) return [];
    try {
      const dir = `${this.o.hostRoot ?? '/'}${this.o.checkpointDir}`.replace(/\/+/g, '/');
      const removed = await pruneNodeDir(dir, this.o.prune.rules);
      for (const d of removed) this.o.log?.(`pruned ${d.item.id}: ${d.reason}`);
      return removed.map((d) => d.item.id);
    } catch (err) {
      this.o.metrics?.countError(err);
      this.o.log?.(
        `pruning ${this.o.checkpointDir} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      return [];
    }
  }

  private enqueue(cp: Checkpoint): void {
    if (cp.spec.nodeName !== this.o.node) return;
    if (cp.status?.phase === 'Succeeded' || cp.status?.phase === 'Failed') return;
    const k = key(cp);
    if (this.queued.has(k) || this.running.has(k)) return;
    this.queued.add(k);
    this.queue.push(k);
    this.pump();
  }

  private pump(): void {
    const max = this.o.maxConcurrent ?? 2;
    while (this.running.size < max && this.queue.length) {
      const k = this.queue.shift()!;
      this.queued.delete(k);
      const [namespace, name] = k.split('/') as [string, string];
      // The informer's copy is the latest this agent has seen.
      const cp = this.informer.get(name, namespace);
      if (!cp) continue;
      const work = this.work(cp).finally(() => {
        this.running.delete(k);
        this.pump();
      });
      this.running.set(k, work);
      this.maxRunning = Math.max(this.maxRunning, this.running.size);
    }
  }

  private async work(cp: Checkpoint): Promise<void> {
    const deps: AgentDeps = {
      node: this.o.node,
      kubelet: this.o.kubelet,
      hostRoot: this.o.hostRoot ?? '/',
      checkpointDir: this.o.checkpointDir,
      readPod: async (namespace, name, signal) => {
        const res = await this.client.raw(
          'GET',
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
          {
            timeoutMs: 30_000,
            ...(signal ? { signal } : {}),
          },
        );
        if (res.status !== 200) {
          const message = parseStatus(res.body)?.message ?? `HTTP ${res.status}`;
          throw new KcrError(
            res.status === 404 ? 'not-found' : 'remote',
            `get pod ${namespace}/${name}: ${message}`,
            {
              hint:
                res.status === 404
                  ? 'the Pod is gone; delete the Checkpoint'
                  : 'the agent retries on its next resync',
            },
          );
        }
        return JSON.parse(res.body) as PodObject;
      },
      writeStatus: (current, status) => this.api.writeStatus('Checkpoint', current, () => status),
      stores: this.stores,
      ...(this.o.defaultStore ? { defaultStore: this.o.defaultStore } : {}),
      ...(this.o.removeArchive !== undefined ? { removeArchive: this.o.removeArchive } : {}),
      ...(this.o.metrics ? { metrics: this.o.metrics } : {}),
      signal: this.abort.signal,
    };
    try {
      const result = await carryOutCheckpoint(cp, deps);
      this.o.log?.(`checkpoint ${key(cp)}: ${result}`);
    } catch (err) {
      // Writing the status failed (the API server is away): the resync brings it back.
      this.o.metrics?.countError(err);
      this.o.log?.(`checkpoint ${key(cp)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
