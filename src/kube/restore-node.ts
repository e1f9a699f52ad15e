/**
 * The node a checkpoint is restored on (restore --node, migrate --to): it must exist and run a
 * runtime that restores checkpoints, and the runtime must be able to restore this one. CRI-O and
 * containerd each restore only the checkpoints they wrote (CRI-O reads its own spec.dump
 * annotations, containerd its status.dump; their bind mounts differ), so a cross-runtime restore is
 * refused here, before anything is pushed or created. Read once, before any work, and its labels
 * are then checked against the pod's node constraints (node-placement.ts).
 */
import type { V1Node } from '@kubernetes/client-node';
import { ENGINE_NAMES, type Engine, type RestoreFit, type Restorer } from '../archive/index.js';
import { KcrError } from '../errors.js';
import { apiError } from './api-errors.js';
import type { KubeClient } from './client.js';
import { formatVersion, runtimeInfo } from './versions.js';

type RestoreFlag = '--node' | '--to' | '--to-node';

export async function readRestoreNode(client: KubeClient, node: string, flag: RestoreFlag): Promise<V1Node> {
  const object = await client.core.readNode({ name: node }).catch((err: unknown) => {
    throw apiError(err, `node ${node}`, client.server);
  });
  const runtime = runtimeInfo(object.status?.nodeInfo?.containerRuntimeVersion);
  if (!runtime.supported) {
    throw new KcrError('conflict', `node ${node} cannot restore checkpoints: ${runtime.reason}`, {
      hint: `pick a node with CRI-O >= 1.25 or containerd >= 2.0 with ${flag}; \`kcr doctor\` lists them`,
    });
  }
  return object;
}

/** The engine whose archives a node's runtime writes (and so restores), if it checkpoints at all. */
export function engineOfNode(node: V1Node): Engine | undefined {
  const { name } = runtimeInfo(node.status?.nodeInfo?.containerRuntimeVersion);
  return name === 'cri-o' || name === 'containerd' ? name : undefined;
}

/** What the restoring side knows of the checkpoint: its engine, and, once the archive is read, its fit. */
export interface CheckpointOrigin {
  engine: Engine;
  /** Why each runtime cannot restore the archive (archive/restorers.ts); unknown before an image's layer is pulled. */
  fit?: RestoreFit;
}

/**
 * Refuses a node whose runtime cannot restore this checkpoint; returns warnings for what cannot be
 * checked from here (containerd's restore opt-in lives in its config file, out of the API's sight).
 */
export function checkRestoreRuntime(node: V1Node, origin: CheckpointOrigin, flag: RestoreFlag): string[] {
  const name = node.metadata?.name ?? '?';
  const runtime = runtimeInfo(node.status?.nodeInfo?.containerRuntimeVersion);
  const shown = `${runtime.name === 'cri-o' ? 'CRI-O' : runtime.name}${runtime.version ? ` ${formatVersion(runtime.version)}` : ''}`;
  if (runtime.restorePath === 'restore-pod' || runtime.restorePath === 'none') {
    throw new KcrError('conflict', `node ${name} cannot restore this checkpoint: ${runtime.restoreNote}`, {
      hint: `pick a node whose runtime restores in CreateContainer (CRI-O, or containerd 2.0 to 2.3) with ${flag}; \`kcr doctor\` shows each node's restore path`,
    });
  }
  const restorer: Restorer = runtime.name === 'cri-o' ? 'cri-o' : 'containerd';
  const problems =
    origin.fit?.[restorer] ??
    (origin.engine === restorer ? [] : [`it was written by ${ENGINE_NAMES[origin.engine]}`]);
  if (problems.length > 0) {
    const hint =
      origin.engine === restorer
        ? `the archive lacks what ${shown} reads to restore: take a new checkpoint of the container`
        : origin.engine === 'podman'
          ? 'a Podman checkpoint restores with `podman container restore --import`, not in Kubernetes'
          : `CRI-O and containerd each restore only the checkpoints they wrote (status.dump, spec.dump annotations and bind mounts differ): restore it on a ${ENGINE_NAMES[origin.engine]} node with ${flag}; \`kcr doctor\` shows each node's runtime`;
    throw new KcrError(
      'conflict',
      `node ${name} runs ${shown}, which cannot restore this ${ENGINE_NAMES[origin.engine]} checkpoint: ${problems.join('; ')}`,
      { hint },
    );
  }
  return runtime.restorePath === 'create-container-opt-in' ? [`node ${name}: ${runtime.restoreNote}`] : [];
}
