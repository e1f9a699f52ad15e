/**
 * The node a checkpoint is restored on (restore --node, migrate --to): it must exist and run a
 * runtime that restores checkpoints. Read once, before any work, and its labels are then checked
 * against the pod's node constraints (node-placement.ts).
 */
import type { V1Node } from '@kubernetes/client-node';
import { KcrError } from '../errors.js';
import { apiError } from './api-errors.js';
import type { KubeClient } from './client.js';
import { runtimeInfo } from './versions.js';

export async function readRestoreNode(
  client: KubeClient,
  node: string,
  flag: '--node' | '--to',
): Promise<V1Node> {
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
