/**
 * `kcr migrate POD --to NODE`: checkpoint one container, copy the archive here, publish it as a
 * checkpoint image, restore it as a new pod pinned to NODE, wait until it runs, and only then
 * (with deleteSource) delete the original. The archive lives in a private temp directory that
 * is removed at the end, whatever happened.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KcrError } from '../errors.js';
import { apiError } from './api-errors.js';
import { checkpoint, type CheckpointEvent, type CheckpointOutcome } from './checkpoint.js';
import { KubeClient } from './client.js';
import type { KubeconfigOptions } from './kubeconfig.js';
import { checkPodName, derivedPodName } from './names.js';
import { restore, type PublishFn, type RestoreEvent, type RestoreResult } from './restore.js';
import { runtimeInfo } from './versions.js';

export interface MigrateOptions extends KubeconfigOptions {
  pod: string;
  namespace?: string;
  container?: string;
  to: string;
  registry: string;
  /** Name of the new pod; default `<pod>-<node>`, shortened with a hash past 253 characters. */
  name?: string;
  deleteSource?: boolean;
  /** Seconds for the checkpoint (kubelet) and for the new pod to run. */
  timeoutSeconds?: number;
  helperImage?: string;
  helperNamespace?: string;
  publish: PublishFn;
  signal?: AbortSignal;
  onEvent?: (
    event: CheckpointEvent | RestoreEvent | { type: 'deleted'; namespace: string; name: string },
  ) => void;
  pollIntervalMs?: number;
}

export interface MigrateResult {
  checkpoint: CheckpointOutcome;
  restore: RestoreResult;
  deletedSource: boolean;
}

async function checkTarget(client: KubeClient, node: string, from: string | undefined): Promise<void> {
  const object = await client.core.readNode({ name: node }).catch((err: unknown) => {
    throw apiError(err, `node ${node}`, client.server);
  });
  const runtime = runtimeInfo(object.status?.nodeInfo?.containerRuntimeVersion);
  if (!runtime.supported)
    throw new KcrError('conflict', `node ${node} cannot restore checkpoints: ${runtime.reason}`, {
      hint: 'pick another --to node; `kcr doctor` lists them',
    });
  if (from === node)
    throw new KcrError('usage', `the pod already runs on ${node}`, { hint: 'pass another node with --to' });
}

export async function migrate(o: MigrateOptions): Promise<MigrateResult> {
  // The new pod's name is checked first: an invalid one would fail only after the checkpoint and push.
  const name = o.name !== undefined ? checkPodName(o.name) : derivedPodName(o.pod, o.to);
  const client = KubeClient.fromKubeconfig(o);
  const namespace = o.namespace ?? client.defaultNamespace;
  const source = await client.core.readNamespacedPod({ name: o.pod, namespace }).catch((err: unknown) => {
    throw apiError(err, `pod ${namespace}/${o.pod}`, client.server);
  });
  // Fail before the (long) checkpoint if the target can never run the result.
  await checkTarget(client, o.to, source.spec?.nodeName);
  const work = await mkdtemp(join(tmpdir(), 'kcr-migrate-'));
  try {
    const [outcome] = await checkpoint({
      ...o,
      namespace,
      pod: o.pod,
      container: o.container,
      output: `${work}/`,
      via: 'apiserver',
      timeoutSeconds: o.timeoutSeconds,
      onEvent: o.onEvent,
    });
    if (!outcome) throw new KcrError('cancelled', 'migrate cancelled');
    if (outcome.error) throw outcome.error;
    const restored = await restore({
      ...o,
      source: outcome.copy!.path,
      namespace,
      node: o.to,
      name,
      wait: true,
      timeoutSeconds: o.timeoutSeconds,
    });
    let deletedSource = false;
    if (o.deleteSource) {
      await client.core.deleteNamespacedPod({ name: o.pod, namespace }).catch((err: unknown) => {
        throw apiError(err, `deleting the source pod ${namespace}/${o.pod}`, client.server);
      });
      deletedSource = true;
      o.onEvent?.({ type: 'deleted', namespace, name: o.pod });
    }
    return { checkpoint: outcome, restore: restored, deletedSource };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
