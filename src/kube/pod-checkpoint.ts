/**
 * KEP-5823 pod-level checkpoints (Kubernetes 1.37 alpha): the built-in `PodCheckpoint` resource in
 * node.k8s.io/v1alpha1. Whether the server serves it (discovery), creating one for a pod, waiting
 * for the kubelet to make it Ready and turning its reasons into kcr errors, and the Pod that
 * restores from it (`spec.restoreFrom`, the checkpoint's template, its node).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { z } from 'zod';
import { KcrError } from '../errors.js';
import { validate } from '../util/validate.js';
import { apiError } from './api-errors.js';
import type { KubeClient } from './client.js';

export const POD_CHECKPOINT_GROUP = 'node.k8s.io';
export const POD_CHECKPOINT_VERSION = 'v1alpha1';
export const POD_CHECKPOINT_PLURAL = 'podcheckpoints';
/** The kubelet's directory for pod-level checkpoints; checkpointLocation paths are relative to it. */
export const POD_CHECKPOINT_ROOT = 'pod-checkpoints';

/** How to turn the API on, for the messages that say it is off. */
export const POD_CHECKPOINT_ENABLE_HINT =
  'pod-level checkpoints need Kubernetes 1.37+ with the PodLevelCheckpointRestore feature gate on the API server and kubelets, and --runtime-config=node.k8s.io/v1alpha1=true on the API server';

const conditionSchema = z.looseObject({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

const podCheckpointSchema = z.looseObject({
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    creationTimestamp: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    finalizers: z.array(z.string()).optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.looseObject({
    sourcePod: z.looseObject({ name: z.string(), uid: z.string().optional() }),
    timeoutSeconds: z.number().optional(),
  }),
  status: z
    .looseObject({
      nodeName: z.string().optional(),
      sourcePodUID: z.string().optional(),
      checkpointLocation: z
        .looseObject({
          type: z.string(),
          nodeLocal: z.looseObject({ path: z.string() }).optional(),
        })
        .optional(),
      completionTime: z.string().optional(),
      checkpointedPodTemplate: z
        .looseObject({
          metadata: z
            .looseObject({
              labels: z.record(z.string(), z.string()).optional(),
              annotations: z.record(z.string(), z.string()).optional(),
            })
            .optional(),
          spec: z.looseObject({ containers: z.array(z.looseObject({ name: z.string() })) }),
        })
        .optional(),
      checkpointedContainers: z
        .array(z.looseObject({ name: z.string(), image: z.string().optional() }))
        .optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .optional(),
});

export type PodCheckpoint = z.output<typeof podCheckpointSchema>;

export type PodCheckpointReason =
  'Pending' | 'CheckpointInProgress' | 'CheckpointCompleted' | 'CheckpointFailed' | 'SourcePodReplaced';

export interface PodCheckpointState {
  ready: boolean;
  reason: string;
  message: string;
}

/** A PodCheckpoint as the API server sent it, checked (for informers, which list and watch raw). */
export function parsePodCheckpoint(body: unknown, what: string): PodCheckpoint {
  return validate(podCheckpointSchema, body, { what, code: 'remote' });
}

/** Whether the API server serves podcheckpoints (discovery of node.k8s.io/v1alpha1). */
export async function podCheckpointsServed(client: KubeClient, signal?: AbortSignal): Promise<boolean> {
  const res = await client
    .raw('GET', `/apis/${POD_CHECKPOINT_GROUP}/${POD_CHECKPOINT_VERSION}`, { timeoutMs: 15_000, signal })
    .catch((err: unknown) => {
      throw apiError(err, 'API discovery', client.server);
    });
  if (res.status === 404) return false;
  if (res.status !== 200) {
    throw new KcrError(
      'remote',
      `API discovery of ${POD_CHECKPOINT_GROUP}/${POD_CHECKPOINT_VERSION}: HTTP ${res.status}`,
    );
  }
  const list = z
    .looseObject({ resources: z.array(z.looseObject({ name: z.string() })).optional() })
    .safeParse(JSON.parse(res.body));
  return list.success && (list.data.resources ?? []).some((r) => r.name === POD_CHECKPOINT_PLURAL);
}

/** The error for a server without the API, naming what to turn on. */
export function notServedError(): KcrError {
  return new KcrError(
    'not-found',
    `the API server does not serve ${POD_CHECKPOINT_GROUP}/${POD_CHECKPOINT_VERSION} ${POD_CHECKPOINT_PLURAL} (KEP-5823 pod-level checkpoints)`,
    {
      hint: `${POD_CHECKPOINT_ENABLE_HINT}; without them, checkpoint containers with \`kcr checkpoint POD\``,
    },
  );
}

export async function createPodCheckpoint(
  client: KubeClient,
  o: { namespace: string; name: string; pod: string; podUid?: string; timeoutSeconds?: number },
): Promise<PodCheckpoint> {
  const body = {
    apiVersion: `${POD_CHECKPOINT_GROUP}/${POD_CHECKPOINT_VERSION}`,
    kind: 'PodCheckpoint',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      sourcePod: { name: o.pod, ...(o.podUid ? { uid: o.podUid } : {}) },
      ...(o.timeoutSeconds ? { timeoutSeconds: o.timeoutSeconds } : {}),
    },
  };
  const created: unknown = await client.custom
    .createNamespacedCustomObject({ ...API, namespace: o.namespace, body })
    .catch(failed(client, o.namespace, o.name));
  return parsePodCheckpoint(created, `podcheckpoint ${o.namespace}/${o.name}`);
}

const API = {
  group: POD_CHECKPOINT_GROUP,
  version: POD_CHECKPOINT_VERSION,
  plural: POD_CHECKPOINT_PLURAL,
};

function failed(client: KubeClient, namespace: string, name: string): (err: unknown) => never {
  return (err) => {
    throw apiError(err, `podcheckpoint ${namespace}/${name}`, client.server);
  };
}

export async function readPodCheckpoint(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<PodCheckpoint> {
  const got: unknown = await client.custom
    .getNamespacedCustomObject({ ...API, namespace, name })
    .catch(failed(client, namespace, name));
  return parsePodCheckpoint(got, `podcheckpoint ${namespace}/${name}`);
}

/** Every PodCheckpoint in `namespace` (or in all namespaces), each checked. */
export async function listPodCheckpoints(client: KubeClient, namespace?: string): Promise<PodCheckpoint[]> {
  const what = `podcheckpoints${namespace ? ` in ${namespace}` : ''}`;
  const list: unknown = await (
    namespace
      ? client.custom.listNamespacedCustomObject({ ...API, namespace })
      : client.custom.listClusterCustomObject(API)
  ).catch((err: unknown) => {
    throw apiError(err, `list ${what}`, client.server);
  });
  const items = z.looseObject({ items: z.array(z.unknown()).optional() }).safeParse(list);
  return (items.success ? (items.data.items ?? []) : []).map((item, i) =>
    parsePodCheckpoint(item, `${what}: item ${i}`),
  );
}

/**
 * Deletes the object (the kubelet's data on the node is not the API server's to remove). With
 * `exactly`, only the object as it was read: another object of that name (a new UID) or a change
 * since (a new resourceVersion: pinned meanwhile, say) is left alone and reported as `changed`.
 */
export async function deletePodCheckpoint(
  client: KubeClient,
  namespace: string,
  name: string,
  exactly?: PodCheckpoint,
): Promise<'deleted' | 'gone' | 'changed'> {
  const preconditions = exactly
    ? {
        ...(exactly.metadata.uid ? { uid: exactly.metadata.uid } : {}),
        ...(exactly.metadata.resourceVersion ? { resourceVersion: exactly.metadata.resourceVersion } : {}),
      }
    : undefined;
  try {
    await client.custom.deleteNamespacedCustomObject({
      ...API,
      namespace,
      name,
      ...(preconditions ? { body: { preconditions } } : {}),
    });
    return 'deleted';
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return 'gone';
    if (err instanceof ApiException && err.code === 409 && exactly) return 'changed';
    throw apiError(err, `delete podcheckpoint ${namespace}/${name}`, client.server);
  }
}

/**
 * A JSON merge patch of a PodCheckpoint's metadata, made on the object as it was read (its
 * resourceVersion is the precondition): `false` when it changed meanwhile or is gone.
 */
export async function patchPodCheckpointMetadata(
  client: KubeClient,
  pc: PodCheckpoint,
  metadata: { finalizers?: string[]; annotations?: Record<string, string | null> },
): Promise<boolean> {
  const namespace = pc.metadata.namespace ?? '';
  const body = { metadata: { resourceVersion: pc.metadata.resourceVersion, ...metadata } };
  try {
    await client.custom.patchNamespacedCustomObject(
      { ...API, namespace, name: pc.metadata.name, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    return true;
  } catch (err) {
    if (err instanceof ApiException && (err.code === 409 || err.code === 404)) return false;
    throw apiError(err, `update podcheckpoint ${namespace}/${pc.metadata.name}`, client.server);
  }
}

/** The Ready condition as kcr reports it (no status yet reads as Pending). */
export function podCheckpointState(pc: PodCheckpoint): PodCheckpointState {
  const ready = pc.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    ready: ready?.status === 'True',
    reason: ready?.reason ?? 'Pending',
    message: ready?.message ?? 'no kubelet has taken it yet',
  };
}

/** A PodCheckpoint that will not become Ready, as a kcr error with the way out. */
export function podCheckpointError(pc: PodCheckpoint, state: PodCheckpointState): KcrError {
  const ns = pc.metadata.namespace ?? '';
  const what = `podcheckpoint ${ns}/${pc.metadata.name}`;
  const pod = pc.spec.sourcePod.name;
  if (state.reason === 'SourcePodReplaced') {
    return new KcrError('conflict', `${what}: the source pod was replaced (${state.message})`, {
      hint: `pod ${pod} is a new pod now; checkpoint it again with \`kcr checkpoint --pod-level ${pod} -n ${ns}\``,
    });
  }
  return new KcrError('remote', `${what}: ${state.reason}: ${state.message}`, {
    hint: `the kubelet on ${pc.status?.nodeName ?? "the pod's node"} could not checkpoint the pod; \`kcr doctor --node ${pc.status?.nodeName ?? 'NODE'}\` checks that node`,
  });
}

export interface WaitPodCheckpointOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Each new reason as it is seen (Pending, CheckpointInProgress, ...). */
  onReason?: (state: PodCheckpointState) => void;
}

/** Polls until Ready; a failed, replaced or timed-out checkpoint is a KcrError. */
export async function waitPodCheckpoint(
  client: KubeClient,
  namespace: string,
  name: string,
  o: WaitPodCheckpointOptions,
): Promise<PodCheckpoint> {
  const deadline = Date.now() + o.timeoutMs;
  let last = '';
  for (;;) {
    const pc = await readPodCheckpoint(client, namespace, name);
    const state = podCheckpointState(pc);
    if (state.reason !== last) o.onReason?.(state);
    last = state.reason;
    if (state.ready) return pc;
    if (state.reason === 'CheckpointFailed' || state.reason === 'SourcePodReplaced')
      throw podCheckpointError(pc, state);
    if (Date.now() >= deadline) {
      throw new KcrError(
        'timeout',
        `podcheckpoint ${namespace}/${name} is not ready after ${Math.round(o.timeoutMs / 1000)}s (${state.reason}: ${state.message})`,
        {
          hint:
            state.reason === 'Pending'
              ? "no kubelet took it: is the source pod running, and is PodLevelCheckpointRestore on for its node's kubelet?"
              : 'wait longer with --timeout, or look at the kubelet log on its node',
        },
      );
    }
    try {
      await sleep(Math.min(o.intervalMs ?? 500, Math.max(0, deadline - Date.now())), undefined, {
        signal: o.signal,
      });
    } catch {
      throw new KcrError('cancelled', `waiting for podcheckpoint ${namespace}/${name}: cancelled`);
    }
  }
}

/** A completed checkpoint's node, path and containers, or the error saying why it has none. */
export function completedData(pc: PodCheckpoint): { node: string; path: string; containers: string[] } {
  const state = podCheckpointState(pc);
  const what = `podcheckpoint ${pc.metadata.namespace ?? ''}/${pc.metadata.name}`;
  if (!state.ready) {
    if (state.reason === 'CheckpointFailed' || state.reason === 'SourcePodReplaced')
      throw podCheckpointError(pc, state);
    throw new KcrError('conflict', `${what} is not ready (${state.reason}: ${state.message})`, {
      hint: 'wait until it is Ready: `kubectl get podcheckpoint -w`',
    });
  }
  const s = pc.status!;
  const path = s.checkpointLocation?.nodeLocal?.path;
  if (!s.nodeName || !path || s.checkpointLocation?.type !== 'NodeLocal') {
    throw new KcrError('invalid-input', `${what}: its status has no NodeLocal checkpointLocation`, {
      hint: 'kcr reads node-local pod checkpoints only',
    });
  }
  const containers = (s.checkpointedContainers ?? s.checkpointedPodTemplate?.spec.containers ?? []).map(
    (c) => c.name,
  );
  return { node: s.nodeName, path, containers };
}

/**
 * The Pod that restores from a PodCheckpoint: its spec is the checkpointed template (admission
 * insists), pinned to the checkpoint's node, with `spec.restoreFrom`.
 */
export function restoreFromManifest(pc: PodCheckpoint, name: string): V1Pod {
  const template = pc.status?.checkpointedPodTemplate;
  if (!template) {
    throw new KcrError(
      'invalid-input',
      `podcheckpoint ${pc.metadata.namespace ?? ''}/${pc.metadata.name} has no checkpointedPodTemplate`,
    );
  }
  const { node } = completedData(pc);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: pc.metadata.namespace,
      ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
    },
    spec: {
      ...(template.spec as V1Pod['spec'] & object),
      nodeName: node,
      restoreFrom: pc.metadata.name,
    } as V1Pod['spec'],
  };
}

/**
 * Creates the restoring Pod. Raw JSON, not the generated client: its serializer drops fields it
 * does not know, and `spec.restoreFrom` is newer than client-node 1.4.
 */
export async function createRestoreFromPod(
  client: KubeClient,
  pod: V1Pod,
  signal?: AbortSignal,
): Promise<V1Pod> {
  const ns = pod.metadata!.namespace!;
  const what = `pod ${ns}/${pod.metadata!.name}`;
  const res = await client
    .raw('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, {
      json: pod,
      timeoutMs: 30_000,
      signal,
    })
    .catch((err: unknown) => {
      throw apiError(err, what, client.server);
    });
  if (res.status !== 201 && res.status !== 200) {
    throw apiError(new ApiException(res.status, `HTTP ${res.status}`, res.body, {}), what, client.server);
  }
  return JSON.parse(res.body) as V1Pod;
}
