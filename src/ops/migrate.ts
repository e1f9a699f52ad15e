/**
 * Migrate: checkpoint one container, copy the archive here, publish it as a checkpoint image,
 * restore it as a new pod pinned to the target node, wait until it runs, and only then (with
 * deleteSource) delete the original. Everything that can be checked is checked before the
 * checkpoint. The archive lives in a private temp directory that is removed at the end, whatever
 * happened.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { KcrError } from '../errors.js';
import {
  apiError,
  checkPodName,
  derivedPodName,
  KubeClient,
  placementOn,
  readRestoreNode,
  checkRestoreRuntime,
  engineOfNode,
  type KubeconfigOptions,
} from '../kube/index.js';
import type { ImageReference, RegistryOptions } from '../oci/index.js';
import { makeTempDir } from '../util/temp-dir.js';
import { checkpoint, type CheckpointOutcome } from './checkpoint.js';
import { emitter, type OpOptions } from './events.js';
import { restore, type RestoreResult } from './restore.js';

export interface MigrateOptions extends KubeconfigOptions, OpOptions {
  pod: string;
  namespace?: string;
  container?: string;
  /** The node to move to. */
  to: string;
  /** Where the checkpoint image is pushed, `REGISTRY/REPOSITORY[:TAG]` (oci's parseRepository); the target node pulls it. */
  repository: ImageReference;
  /** Credentials, CA and --insecure for the push. */
  registry?: RegistryOptions;
  /** Name of the new pod; default `<pod>-<node>`, shortened with a hash past 253 characters. */
  name?: string;
  deleteSource?: boolean;
  /** Delete the source even when a controller owns it (and will replace it). */
  force?: boolean;
  /** Seconds for the checkpoint (kubelet) and for the new pod to run. */
  timeoutSeconds?: number;
  helperImage?: string;
  helperNamespace?: string;
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
  const work = await makeTempDir('migrate', { env: o.env });
  try {
    const [outcome] = await checkpoint({
      ...o,
      namespace,
      pod: o.pod,
      container: o.container,
      copyTo: { dir: work.dir },
      via: 'apiserver',
      timeoutSeconds: o.timeoutSeconds,
    });
    if (!outcome) throw new KcrError('cancelled', 'migrate cancelled');
    if (outcome.error) throw outcome.error;
    const restored = await restore({
      ...o,
      source: { archive: outcome.copy!.path },
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
      emitter(o)({ type: 'deleted', namespace, name: o.pod });
    }
    return { checkpoint: outcome, restore: restored, deletedSource };
  } finally {
    await work.remove();
  }
}
