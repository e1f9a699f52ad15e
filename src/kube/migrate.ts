/**
 * `kcr migrate POD --to NODE`: checkpoint one container, copy the archive here, publish it as a
 * checkpoint image, restore it as a new pod pinned to NODE, wait until it runs, and only then
 * (with deleteSource) delete the original. Everything that can be checked is checked before the
 * checkpoint. The archive lives in a private temp directory (KCR_TMPDIR, else the system's) that
 * is removed at the end, whatever happened.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { makeTempDir } from '../archive/index.js';
import { KcrError } from '../errors.js';
import { apiError } from './api-errors.js';
import { checkpoint, type CheckpointEvent, type CheckpointOutcome } from './checkpoint.js';
import { KubeClient } from './client.js';
import type { KubeconfigOptions } from './kubeconfig.js';
import { checkPodName, derivedPodName } from './names.js';
import { placementOn } from './node-placement.js';
import { restore, type PublishFn, type RestoreEvent, type RestoreResult } from './restore.js';
import { checkRestoreRuntime, engineOfNode, readRestoreNode } from './restore-node.js';

export type MigrateEvent =
  CheckpointEvent | RestoreEvent | { type: 'deleted'; namespace: string; name: string };

export interface MigrateOptions extends KubeconfigOptions {
  pod: string;
  namespace?: string;
  container?: string;
  to: string;
  registry: string;
  /** Name of the new pod; default `<pod>-<node>`, shortened with a hash past 253 characters. */
  name?: string;
  deleteSource?: boolean;
  /** Delete the source even when a controller owns it (and will replace it). */
  force?: boolean;
  /** Seconds for the checkpoint (kubelet) and for the new pod to run. */
  timeoutSeconds?: number;
  helperImage?: string;
  helperNamespace?: string;
  publish: PublishFn;
  signal?: AbortSignal;
  onEvent?: (event: MigrateEvent) => void;
  pollIntervalMs?: number;
}

export interface MigrateResult {
  checkpoint: CheckpointOutcome;
  restore: RestoreResult;
  deletedSource: boolean;
}

/**
 * A pod a controller owns comes back when deleted: the ReplicaSet (or StatefulSet, Job, ...)
 * creates a fresh one, and the workload then runs twice, once restored and once from scratch.
 */
function checkDeletable(source: V1Pod, o: MigrateOptions, namespace: string): void {
  if (!o.deleteSource || o.force) return;
  const owner =
    source.metadata?.ownerReferences?.find((r) => r.controller) ?? source.metadata?.ownerReferences?.[0];
  if (!owner) return;
  throw new KcrError(
    'conflict',
    `pod ${namespace}/${o.pod} belongs to ${owner.kind} ${owner.name}: deleting it makes the ${owner.kind} create a new pod, so the workload would run twice`,
    {
      hint: `migrate without --delete-source and scale the ${owner.kind} down yourself, or pass --force to delete the pod anyway`,
    },
  );
}

export async function migrate(o: MigrateOptions): Promise<MigrateResult> {
  // The new pod's name is checked first: an invalid one would fail only after the checkpoint and push.
  const name = o.name !== undefined ? checkPodName(o.name) : derivedPodName(o.pod, o.to);
  const client = KubeClient.fromKubeconfig(o);
  const namespace = o.namespace ?? client.defaultNamespace;
  const source = await client.core.readNamespacedPod({ name: o.pod, namespace }).catch((err: unknown) => {
    throw apiError(err, `pod ${namespace}/${o.pod}`, client.server);
  });
  checkDeletable(source, o, namespace);
  // Fail before the (long) checkpoint if the target can never run the result.
  const from = source.spec?.nodeName;
  if (from === o.to)
    throw new KcrError('usage', `the pod already runs on ${o.to}`, { hint: 'pass another node with --to' });
  const target = await readRestoreNode(client, o.to, '--to');
  // The source node's runtime writes the archive: a target with the other runtime cannot restore it.
  const engine = from
    ? engineOfNode(
        await client.core.readNode({ name: from }).catch((err: unknown) => {
          throw apiError(err, `node ${from}`, client.server);
        }),
      )
    : undefined;
  if (engine) checkRestoreRuntime(target, { engine }, '--to');
  placementOn(source.spec, from, { name: o.to, labels: target.metadata?.labels ?? {} });
  const work = await makeTempDir('kcr-migrate-', (o.env ?? process.env).KCR_TMPDIR || undefined);
  try {
    const [outcome] = await checkpoint({
      ...o,
      namespace,
      pod: o.pod,
      container: o.container,
      output: `${work.dir}/`,
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
    await work.remove();
  }
}
