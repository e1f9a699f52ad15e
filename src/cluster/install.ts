/**
 * `kcr install` without `--dry-run`: server-side apply of every manifest, in order (the namespace
 * and CRDs first), with field manager `kcr`. Server-side apply makes a second install an update,
 * and leaves fields others own (an HPA's replicas, a mutating webhook's) alone.
 *
 * The objects go to the API server as the JSON they are, through the API's discovery for their
 * paths: client-node's typed serializer (KubernetesObjectApi.patch) drops every JSON-schema key
 * whose TypeScript name differs from its wire name (`enum`, `default`, `x-kubernetes-*`, `$ref`),
 * which would install the CRDs without their enums, defaults and validation rules.
 */
import { KcrError } from '../errors.js';
import { parseStatus, type KubeClient } from '../kube/index.js';
import type { KubeManifest } from './manifests.js';

export interface AppliedObject {
  kind: string;
  name: string;
  namespace?: string;
  /** As `kubectl apply --server-side` words it. */
  result: 'serverside-applied';
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

const TIMEOUT_MS = 30_000;

function failure(what: string, status: number, body: string): KcrError {
  const message = parseStatus(body)?.message ?? `HTTP ${status}`;
  const code = status === 401 || status === 403 ? 'auth' : status === 404 ? 'not-found' : 'remote';
  return new KcrError(code, `${what}: ${message.split('\n')[0]}`, {
    hint:
      status === 403
        ? 'installing kcr needs cluster-admin (it creates CRDs, ClusterRoles and their bindings)'
        : status === 404
          ? 'the cluster does not serve this API; is it Kubernetes 1.25 or newer?'
          : 'kcr install --dry-run=client -o yaml prints the objects for kubectl apply --server-side',
  });
}

/** The resources one group/version serves, from discovery (`/api/v1`, `/apis/GROUP/VERSION`). */
async function discover(
  client: KubeClient,
  apiVersion: string,
  signal?: AbortSignal,
): Promise<ApiResource[]> {
  const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const res = await client.raw('GET', path, { timeoutMs: TIMEOUT_MS, ...(signal ? { signal } : {}) });
  if (res.status !== 200) throw failure(`discovery of ${apiVersion}`, res.status, res.body);
  return (JSON.parse(res.body) as { resources: ApiResource[] }).resources.filter(
    (r) => !r.name.includes('/'),
  );
}

export async function applyManifests(
  client: KubeClient,
  manifests: readonly KubeManifest[],
  options: { signal?: AbortSignal } = {},
): Promise<AppliedObject[]> {
  const served = new Map<string, Promise<ApiResource[]>>();
  const applied: AppliedObject[] = [];
  for (const manifest of manifests) {
    options.signal?.throwIfAborted();
    const { kind, apiVersion, metadata } = manifest;
    const what = `apply ${kind} ${metadata.namespace ? `${metadata.namespace}/` : ''}${metadata.name}`;
    if (!served.has(apiVersion)) served.set(apiVersion, discover(client, apiVersion, options.signal));
    const resource = (await served.get(apiVersion)!).find((r) => r.kind === kind);
    if (!resource) {
      throw new KcrError('not-found', `${what}: the cluster does not serve ${kind} in ${apiVersion}`, {
        hint: 'kcr needs Kubernetes 1.25 or newer',
      });
    }
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const scope = resource.namespaced
      ? `/namespaces/${encodeURIComponent(metadata.namespace ?? 'default')}`
      : '';
    const res = await client.raw(
      'PATCH',
      `${base}${scope}/${resource.name}/${encodeURIComponent(metadata.name)}`,
      {
        query: { fieldManager: 'kcr', force: 'true' },
        json: manifest,
        contentType: 'application/apply-patch+yaml',
        timeoutMs: TIMEOUT_MS,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    if (res.status !== 200 && res.status !== 201) throw failure(what, res.status, res.body);
    applied.push({
      kind,
      name: metadata.name,
      ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
      result: 'serverside-applied',
    });
  }
  return applied;
}
