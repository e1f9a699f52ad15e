/**
 * The node agent's work for one Checkpoint object: ask the local kubelet to checkpoint each
 * container (with the agent's own service-account token), read each archive from the host's
 * checkpoint directory, stream it into the store through `backup` (encrypted when asked, the way
 * the store keeps encrypted backups: age for file:// and s3://, an ocicrypt image for oci://), then
 * remove the node's copy. Every step is written to the Checkpoint's status as it happens, so that
 * `kubectl describe` shows where it stands, and an agent restarted in the middle carries on
 * where the status says it was: containers already stored are not checkpointed again.
 */
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import {
  backupArchive,
  openStore,
  storeEncryption,
  type BackupEncryption,
  type BackupRecord,
  type Store,
  type StoreOptions,
} from '../backup/index.js';
import { KcrError } from '../errors.js';
import { requestCheckpoint, type KubeletEndpoint } from '../kube/index.js';
import { errorText, reasonFor, setCondition } from './conditions.js';
import type { Metrics } from './metrics.js';
import type { Checkpoint, CheckpointStatus } from './resources.js';

/** The Pod object as the API server returned it (wire JSON), with the fields the agent reads. */
export interface PodObject {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string; containers: { name: string }[] };
  [field: string]: unknown;
}

export interface AgentDeps {
  /** This agent's node. */
  node: string;
  kubelet: KubeletEndpoint;
  /** The node's `/` as this process sees it: `/` in the DaemonSet (the directory is mounted at its own path). */
  hostRoot: string;
  /** The kubelet's checkpoint directory on the node; archives outside it are refused. */
  checkpointDir: string;
  readPod(namespace: string, name: string, signal?: AbortSignal): Promise<PodObject>;
  writeStatus(checkpoint: Checkpoint, status: CheckpointStatus): Promise<Checkpoint>;
  stores: StoreCache;
  /** The store of Checkpoints that name none (the agent's --store). */
  defaultStore?: string;
  /** Remove the node's archive once it is in the store (default true). */
  removeArchive?: boolean;
  metrics?: Metrics;
  now?: () => Date;
  signal?: AbortSignal;
}

/** Stores by URL, opened once and kept for the agent's life (an S3 client keeps its connections). */
export class StoreCache {
  private readonly open = new Map<string, Promise<Store>>();
  constructor(private readonly options: StoreOptions = {}) {}

  get(url: string): Promise<Store> {
    let store = this.open.get(url);
    if (!store) {
      store = openStore(url, this.options);
      store.catch(() => this.open.delete(url));
      this.open.set(url, store);
    }
    return store;
  }

  async close(): Promise<void> {
    const stores = await Promise.allSettled(this.open.values());
    this.open.clear();
    for (const s of stores) if (s.status === 'fulfilled') await s.value.close();
  }
}

export type CheckpointWork = 'done' | 'failed' | 'not-mine' | 'finished-before';

function isFinished(status: CheckpointStatus | undefined): boolean {
  return status?.phase === 'Succeeded' || status?.phase === 'Failed';
}

/** The local path of an archive the kubelet named, refused unless it lies in the checkpoint directory. */
export function localArchivePath(
  deps: Pick<AgentDeps, 'hostRoot' | 'checkpointDir'>,
  nodePath: string,
): string {
  const dir = resolve('/', deps.checkpointDir);
  const path = resolve('/', nodePath);
  const rel = relative(dir, path);
  if (rel === '' || rel.startsWith('..') || rel.includes('/')) {
    throw new KcrError(
      'remote',
      `the kubelet wrote the archive to ${nodePath}, outside ${deps.checkpointDir}`,
      {
        hint: "set the agent's --checkpoint-dir to the kubelet's checkpoint directory (<--root-dir>/checkpoints)",
      },
    );
  }
  return join(deps.hostRoot, dir, rel);
}

/** Carries out one Checkpoint on this node; never throws for the Checkpoint's own failures (they go to its status). */
export async function carryOutCheckpoint(checkpoint: Checkpoint, deps: AgentDeps): Promise<CheckpointWork> {
  if (checkpoint.spec.nodeName !== deps.node) return 'not-mine';
  if (isFinished(checkpoint.status)) return 'finished-before';
  const now = () => deps.now?.() ?? new Date();
  let current = checkpoint;
  let status: CheckpointStatus = {
    ...checkpoint.status,
    phase: 'Checkpointing',
    nodeName: deps.node,
    startTime: checkpoint.status?.startTime ?? now().toISOString(),
    attempts: (checkpoint.status?.attempts ?? 0) + 1,
    observedGeneration: checkpoint.metadata.generation,
  };
  /** The condition reason of a refusal more specific than its error code says. */
  let failReason: string | undefined;
  const write = async (next: CheckpointStatus) => {
    status = next;
    current = await deps.writeStatus(current, status);
  };
  try {
    const storeUrl = checkpoint.spec.store ?? deps.defaultStore;
    if (!storeUrl) {
      throw new KcrError('usage', `checkpoint ${checkpoint.metadata.name}: no store`, {
        hint: 'set spec.store, or start the agent with --store URL',
      });
    }
    status.store = storeUrl;
    await write(status);
    const namespace = checkpoint.metadata.namespace ?? 'default';
    const pod = await deps.readPod(namespace, checkpoint.spec.pod, deps.signal);
    if (pod.spec?.nodeName !== deps.node) {
      throw new KcrError(
        'conflict',
        `pod ${namespace}/${checkpoint.spec.pod} runs on ${pod.spec?.nodeName ?? 'no node'}, not ${deps.node}`,
        {
          hint: 'the Pod moved since the Checkpoint was made; create a new Checkpoint',
        },
      );
    }
    const names = checkpoint.spec.containers?.length
      ? checkpoint.spec.containers
      : pod.spec.containers.map((c) => c.name);
    const unknown = names.filter((n) => !pod.spec!.containers.some((c) => c.name === n));
    if (unknown.length) {
      throw new KcrError(
        'not-found',
        `pod ${namespace}/${checkpoint.spec.pod} has no container ${unknown.join(', ')}`,
        {
          hint: `its containers: ${pod.spec.containers.map((c) => c.name).join(', ')}`,
        },
      );
    }
    const containers = names.map((name) => status.containers?.find((c) => c.name === name) ?? { name });
    // The store decides how it keeps encrypted backups; a recipient it cannot use is refused before
    // the kubelet freezes anything.
    const store = await deps.stores.get(storeUrl);
    let encryption: BackupEncryption;
    try {
      encryption = storeEncryption(
        store,
        (checkpoint.spec.encryption?.recipients ?? []).map((text, i) => ({
          text,
          source: `spec.encryption.recipients[${i}]`,
        })),
      );
    } catch (err) {
      failReason = 'UnusableRecipient';
      throw err;
    }
    const started = new Map<string, number>();
    // 1. The kubelet checkpoints every container not yet stored (a restarted agent skips the stored ones).
    for (const c of containers) {
      if (c.backupId) continue;
      started.set(c.name, Date.now());
      c.archivePath = await requestCheckpoint(deps.kubelet, {
        namespace,
        pod: checkpoint.spec.pod,
        container: c.name,
        ...(checkpoint.spec.timeoutSeconds ? { timeoutSeconds: checkpoint.spec.timeoutSeconds } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
    }
    let conditions = setCondition(
      status.conditions,
      {
        type: 'Checkpointed',
        status: 'True',
        reason: 'Checkpointed',
        message: containers.map((c) => c.archivePath).join('\n'),
      },
      now(),
    );
    await write({ ...status, phase: 'Storing', containers, checkpointTime: now().toISOString(), conditions });
    // 2. Each archive streams from the node's directory into the store, then leaves the node.
    for (const c of containers) {
      if (c.backupId) continue;
      const path = localArchivePath(deps, c.archivePath!);
      const record: BackupRecord = await backupArchive(store, path, {
        podObject: pod,
        target: { namespace, pod: checkpoint.spec.pod, container: c.name },
        node: deps.node,
        ...encryption,
        ...(deps.signal ? { signal: deps.signal } : {}),
        now,
      });
      c.backupId = record.id;
      c.size = record.archive.size;
      c.sha256 = record.archive.sha256;
      deps.metrics?.checkpointBytes.observe(record.archive.size);
      deps.metrics?.uploadBytes.inc(record.data.size);
      deps.metrics?.checkpointDuration.observe((Date.now() - (started.get(c.name) ?? Date.now())) / 1000);
      if (deps.removeArchive ?? true) {
        await rm(path, { force: true });
        c.archiveRemoved = true;
      }
      // Each stored container is recorded at once, so a restarted agent does not take it again.
      if (containers.some((x) => !x.backupId)) await write({ ...status, containers });
    }
    conditions = setCondition(
      status.conditions,
      {
        type: 'Stored',
        status: 'True',
        reason: 'Stored',
        message: containers.map((c) => `${c.name}: backup ${c.backupId} in ${storeUrl}`).join('\n'),
      },
      now(),
    );
    conditions = setCondition(
      conditions,
      {
        type: 'Ready',
        status: 'True',
        reason: 'Succeeded',
        message: `${containers.length} container(s) stored`,
      },
      now(),
    );
    const done = now().toISOString();
    await write({ ...status, phase: 'Succeeded', storeTime: done, completionTime: done, conditions });
    return 'done';
  } catch (err) {
    if (deps.signal?.aborted) throw err;
    deps.metrics?.countError(err);
    const conditions = setCondition(
      status.conditions,
      { type: 'Ready', status: 'False', reason: failReason ?? reasonFor(err), message: errorText(err) },
      now(),
    );
    await write({ ...status, phase: 'Failed', completionTime: now().toISOString(), conditions });
    return 'failed';
  }
}
