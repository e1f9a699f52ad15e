/**
 * `kcr install` without `--dry-run`: server-side apply of every manifest, in order (the namespace
 * and CRDs first), with field manager `kcr`. Server-side apply makes a second install an update,
 * and leaves fields others own (an HPA's replicas, a mutating webhook's) alone.
 */
import { KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { KcrError } from '../errors.js';
import { apiError } from '../kube/index.js';
import type { KubeClient } from '../kube/index.js';
import type { KubeManifest } from './manifests.js';

export interface AppliedObject {
  kind: string;
  name: string;
  namespace?: string;
  /** As `kubectl apply --server-side` words it. */
  result: 'serverside-applied';
}

export async function applyManifests(
  client: KubeClient,
  manifests: readonly KubeManifest[],
  options: { signal?: AbortSignal } = {},
): Promise<AppliedObject[]> {
  const api = KubernetesObjectApi.makeApiClient(client.kc);
  const applied: AppliedObject[] = [];
  for (const manifest of manifests) {
    options.signal?.throwIfAborted();
    const what = `${manifest.kind} ${manifest.metadata.namespace ? `${manifest.metadata.namespace}/` : ''}${manifest.metadata.name}`;
    try {
      await api.patch(
        manifest as KubernetesObject,
        undefined,
        undefined,
        'kcr',
        true,
        PatchStrategy.ServerSideApply,
      );
    } catch (err) {
      if (err instanceof KcrError) throw err;
      throw apiError(err, `apply ${what}`);
    }
    applied.push({
      kind: manifest.kind,
      name: manifest.metadata.name,
      ...(manifest.metadata.namespace ? { namespace: manifest.metadata.namespace } : {}),
      result: 'serverside-applied',
    });
  }
  return applied;
}
