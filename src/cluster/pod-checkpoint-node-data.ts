/**
 * The node agent's part in PodCheckpoint retention: the data of a KEP-5823 checkpoint lives on its
 * node (`<kubelet root>/pod-checkpoints/<checkpointLocation.nodeLocal.path>/`), where neither the
 * API server nor the controller can reach, and the KEP leaves its removal to others.
 *
 * - A finalizer the agent owns, `kcr.dev/node-data`: put on each completed PodCheckpoint of its node
 *   whose data it can see (with the data's size, `kcr.dev/node-data-bytes`, for max-size), so that
 *   deleting the object (retention, or `kubectl delete`) leaves it marked until the agent has
 *   removed the directory; then the agent takes its finalizer off and the object goes. Data the
 *   agent cannot see (no such directory in its mounts) is not claimed: removing nothing and
 *   reporting it removed would leave it on the disk for good.
 * - An orphan sweep for data whose object is gone without the finalizer (deleted before the agent
 *   took it, or while no agent ran): a top-level directory no PodCheckpoint of this node names,
 *   older than `minAgeMs` (the kubelet writes a checkpoint's directory before its status names it),
 *   swept only from a synced cache.
 *
 * PodCheckpoints have no selectable field for their node, so the agent watches them all and keeps
 * those of its node; they are few (users make them one by one) next to Pods.
 */
import { lstat, readdir, realpath, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import {
  apiError,
  KubeClient,
  parsePodCheckpoint,
  patchPodCheckpointMetadata,
  podCheckpointsServed,
  podCheckpointState,
  POD_CHECKPOINT_GROUP,
  POD_CHECKPOINT_PLURAL,
  POD_CHECKPOINT_VERSION,
  type PodCheckpoint,
} from '../kube/index.js';
import { Informer } from './informer.js';
import type { Metrics } from './metrics.js';
import { NODE_DATA_BYTES_ANNOTATION, NODE_DATA_FINALIZER } from './resources.js';

export interface PodCheckpointDataOptions {
  kc: KubeConfig;
  node: string;
  /** Where the host's file system is seen from ('/' in the DaemonSet, whose mounts sit at host paths). */
  hostRoot: string;
  /** The kubelet's pod-checkpoint directory on the host, e.g. /var/lib/kubelet/pod-checkpoints. */
  dir: string;
  /** The orphan sweep: how often, and how old a directory must be (default every 10 min, 1 h old). */
  sweep?: { intervalMs?: number; minAgeMs?: number };
  resyncMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  metrics?: Metrics;
  log?: (line: string) => void;
}

const key = (pc: PodCheckpoint) => `${pc.metadata.namespace ?? ''}/${pc.metadata.name}`;

/** Bytes under `path`, symbolic links not followed. */
async function sizeOf(path: string): Promise<number> {
  const st = await lstat(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
  return total;
}

export class PodCheckpointNodeData {
  private readonly client: KubeClient;
  private informer: Informer<PodCheckpoint> | undefined;
  private readonly busy = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The directory as the agent sees it. */
  readonly root: string;

  constructor(private readonly o: PodCheckpointDataOptions) {
    this.client = new KubeClient(o.kc, 'default', o.kc.getCurrentCluster()?.server ?? 'the API server');
    this.root = posix.join(o.hostRoot, o.dir);
  }

  /** Watches this node's PodCheckpoints once the API server serves them (checked again at each sweep). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.watchIfServed();
    this.timer = setInterval(() => void this.sweepOnce(), this.o.sweep?.intervalMs ?? 600_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.informer?.stop();
    await this.idle();
  }

  /** Settles the work in progress (for tests and a graceful stop). */
  async idle(): Promise<void> {
    while (this.busy.size) await Promise.allSettled(this.busy.values());
  }

  get synced(): boolean {
    return this.informer?.synced ?? false;
  }

  private async watchIfServed(): Promise<void> {
    if (this.informer || this.stopped) return;
    try {
      if (!(await podCheckpointsServed(this.client))) return;
    } catch (err) {
      this.o.metrics?.countError(err);
      return;
    }
    const api = {
      group: POD_CHECKPOINT_GROUP,
      version: POD_CHECKPOINT_VERSION,
      plural: POD_CHECKPOINT_PLURAL,
    };
    this.informer = new Informer<PodCheckpoint>({
      kc: this.o.kc,
      path: `/apis/${POD_CHECKPOINT_GROUP}/${POD_CHECKPOINT_VERSION}/${POD_CHECKPOINT_PLURAL}`,
      list: async () => {
        const raw = (await this.client.custom.listClusterCustomObject(api).catch((err: unknown) => {
          throw apiError(err, 'list podcheckpoints', this.client.server);
        })) as { items?: KubernetesObject[]; metadata?: { resourceVersion?: string } };
        return {
          items: (raw.items ?? []).map((i) => ({
            apiVersion: `${POD_CHECKPOINT_GROUP}/${POD_CHECKPOINT_VERSION}`,
            kind: 'PodCheckpoint',
            ...i,
          })),
          ...(raw.metadata ? { metadata: raw.metadata } : {}),
        };
      },
      parse: (raw) => parsePodCheckpoint(raw, 'podcheckpoint'),
      onObject: (pc) => this.handle(pc),
      ...(this.o.resyncMs ? { resyncMs: this.o.resyncMs } : {}),
      ...(this.o.backoff ? { backoff: this.o.backoff } : {}),
      onError: (err) => {
        this.o.metrics?.countError(err);
        this.o.log?.(
          `watch of podcheckpoints failed, restarting: ${err instanceof Error ? err.message : String(err)}`,
        );
      },
    });
    await this.informer.start();
  }

  /** The checkpoint's directory as the agent sees it, or undefined for a path that leaves the root. */
  private async dataDir(pc: PodCheckpoint): Promise<string | undefined> {
    const path = pc.status?.checkpointLocation?.nodeLocal?.path;
    if (pc.status?.checkpointLocation?.type !== 'NodeLocal' || !path) return undefined;
    // The status is the kubelet's, but anyone allowed to update podcheckpoints/status can write it.
    if (path.startsWith('/') || path.includes('\0') || path.split('/').some((p) => p === '..' || p === ''))
      return undefined;
    const full = posix.join(this.root, path);
    try {
      // No symbolic link on the way may lead out of the directory.
      const [root, parent] = await Promise.all([realpath(this.root), realpath(posix.dirname(full))]);
      if (parent !== root && !parent.startsWith(`${root}/`)) return undefined;
    } catch {
      return undefined;
    }
    return full;
  }

  private handle(pc: PodCheckpoint): void {
    if (pc.status?.nodeName !== this.o.node || this.stopped) return;
    const k = key(pc);
    if (this.busy.has(k)) return; // the next event or resync brings it back
    const work = this.settle(pc)
      .catch((err: unknown) => {
        this.o.metrics?.countError(err);
        this.o.log?.(`podcheckpoint ${k}: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => this.busy.delete(k));
    this.busy.set(k, work);
  }

  private async settle(pc: PodCheckpoint): Promise<void> {
    const finalizers = pc.metadata.finalizers ?? [];
    const mine = finalizers.includes(NODE_DATA_FINALIZER);
    if (pc.metadata.deletionTimestamp) {
      if (!mine) return;
      const dir = await this.dataDir(pc);
      if (dir) {
        const bytes = await sizeOf(dir).catch(() => 0);
        await rm(dir, { recursive: true, force: true });
        this.o.metrics?.podCheckpointDataRemoved.inc({ cause: 'finalizer' });
        this.o.metrics?.podCheckpointDataRemovedBytes.inc(bytes);
        this.o.log?.(`podcheckpoint ${key(pc)}: removed its data ${dir} (${bytes} bytes)`);
      }
      await patchPodCheckpointMetadata(this.client, pc, {
        finalizers: finalizers.filter((f) => f !== NODE_DATA_FINALIZER),
      });
      return;
    }
    if (mine || !podCheckpointState(pc).ready) return;
    const dir = await this.dataDir(pc);
    const bytes = dir ? await sizeOf(dir).catch(() => undefined) : undefined;
    if (bytes === undefined) {
      this.o.log?.(`podcheckpoint ${key(pc)}: its data is not in ${this.root}; not claiming it`);
      return;
    }
    await patchPodCheckpointMetadata(this.client, pc, {
      finalizers: [...finalizers, NODE_DATA_FINALIZER],
      annotations: { [NODE_DATA_BYTES_ANNOTATION]: String(bytes) },
    });
  }

  /**
   * Removes the directories no PodCheckpoint of this node names any more, once they are older than
   * `minAgeMs`; returns their names. Nothing is swept before the cache has synced.
   */
  async sweepOnce(now = Date.now()): Promise<string[]> {
    await this.watchIfServed();
    if (!this.informer?.synced || this.stopped) return [];
    const named = new Set<string>();
    for (const pc of this.informer.list()) {
      // Any node's too: a name another node's PodCheckpoint holds is left alone rather than guessed at.
      const path = pc.status?.checkpointLocation?.nodeLocal?.path;
      if (path) named.add(path.split('/')[0]!);
    }
    const minAge = this.o.sweep?.minAgeMs ?? 3_600_000;
    const removed: string[] = [];
    let entries: string[];
    try {
      entries = await readdir(this.root);
    } catch {
      return [];
    }
    for (const name of entries) {
      if (named.has(name)) continue;
      const path = join(this.root, name);
      try {
        const st = await lstat(path);
        if (now - st.mtimeMs < minAge) continue;
        const bytes = await sizeOf(path);
        await rm(path, { recursive: true, force: true });
        removed.push(name);
        this.o.metrics?.podCheckpointDataRemoved.inc({ cause: 'orphan' });
        this.o.metrics?.podCheckpointDataRemovedBytes.inc(bytes);
        this.o.log?.(`removed ${path} (${bytes} bytes): no PodCheckpoint names it`);
      } catch (err) {
        this.o.metrics?.countError(err);
        this.o.log?.(`sweeping ${path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return removed;
  }
}
