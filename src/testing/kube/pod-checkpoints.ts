/**
 * KEP-5823 pod-level checkpoints in the test cluster: `node.k8s.io/v1alpha1` `podcheckpoints`,
 * served only once enabled (as with the PodLevelCheckpointRestore gate and
 * `--runtime-config=node.k8s.io/v1alpha1=true`). The API server gives a new PodCheckpoint a
 * `Ready=False/Pending` condition; the kubelet of the source pod's node then writes the status
 * (`CheckpointInProgress`, then `CheckpointCompleted` with the location, the pod template and the
 * containers, or `CheckpointFailed`, or `SourcePodReplaced` when the pod's UID is not the one
 * asked for or changes meanwhile). A Pod with `spec.restoreFrom` is admitted only for a caller
 * allowed the `restore` verb on that PodCheckpoint, only once it is ready, and only on its node;
 * that node's kubelet restores it from the data it finds there.
 *
 * On disk (which the KEP leaves to the runtime): `<kubelet root>/pod-checkpoints/<path>/` holds
 * one container checkpoint archive per container, `<container>.tar`, as CRI-O writes them.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FieldError } from './field-errors.js';
import { invalid } from './field-errors.js';
import type { ClusterState, PodFate } from './cluster-state.js';
import { ObjectStore } from './history.js';
import type { FakeKubelet } from './kubelet-server.js';
import { statusBody, type KubeObject, type PodJson } from './objects.js';
import type { Resource } from './resources.js';
import type { JsonSchema } from './schema.js';

export const POD_CHECKPOINT_GROUP = 'node.k8s.io';
export const POD_CHECKPOINT_VERSION = 'v1alpha1';
export const POD_CHECKPOINT_DIR = 'pod-checkpoints';

export type ReadyReason =
  'Pending' | 'CheckpointInProgress' | 'CheckpointCompleted' | 'CheckpointFailed' | 'SourcePodReplaced';

interface Spec {
  sourcePod: { name: string; uid?: string };
  timeoutSeconds?: number;
}

const schema: JsonSchema = {
  type: 'object',
  required: ['spec'],
  properties: {
    spec: {
      type: 'object',
      required: ['sourcePod'],
      properties: {
        sourcePod: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1 }, uid: { type: 'string' } },
        },
        timeoutSeconds: { type: 'integer', minimum: 1 },
      },
    },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function readyCondition(reason: ReadyReason, message: string, generation: unknown) {
  return {
    type: 'Ready',
    status: reason === 'CheckpointCompleted' ? 'True' : 'False',
    reason,
    message,
    lastTransitionTime: now(),
    ...(typeof generation === 'number' ? { observedGeneration: generation } : {}),
  };
}

/** The spec is immutable once created, as the KEP's validation has it. */
function validate(o: KubeObject, old: KubeObject | undefined): FieldError[] {
  if (old && JSON.stringify(o.spec) !== JSON.stringify(old.spec))
    return [{ type: 'Invalid', field: 'spec', value: o.spec, detail: 'field is immutable' }];
  return [];
}

export function podCheckpointResource(store: ObjectStore<KubeObject>): Resource {
  return {
    group: POD_CHECKPOINT_GROUP,
    version: POD_CHECKPOINT_VERSION,
    plural: 'podcheckpoints',
    singular: 'podcheckpoint',
    kind: 'PodCheckpoint',
    namespaced: true,
    store,
    statusSubresource: true,
    selectableFields: [],
    custom: false,
    generation: true,
    schema,
    unconditionalUpdate: false,
    validate,
    prepareCreate: (o) => {
      o.status = {
        conditions: [readyCondition('Pending', 'waiting for the kubelet running the source pod', 1)],
      };
    },
  };
}

/** The kubelets' part: each PodCheckpoint is taken by the kubelet of its source pod's node. */
export class PodCheckpointer {
  readonly store: ObjectStore<KubeObject>;
  /** Awaited after CheckpointInProgress is written; tests hold a checkpoint there. */
  gate: (() => Promise<void>) | undefined;
  /** Which kubelet wrote each status, as `namespace/name → node`, in order. */
  readonly writers: { checkpoint: string; node: string; reason: ReadyReason }[] = [];
  /** Pods the kubelets restored from a PodCheckpoint. */
  readonly restores: { pod: string; checkpoint: string; node: string }[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly state: ClusterState,
    private readonly kubelets: Map<string, FakeKubelet>,
  ) {
    this.store = new ObjectStore<KubeObject>(`${POD_CHECKPOINT_GROUP}/podcheckpoints`, state.history);
    state.resources.serve(podCheckpointResource(this.store));
    state.history.subscribe((e) => {
      if (e.resource !== this.store.resource || e.type !== 'ADDED') return;
      // Later, not inside this write: every watcher sees the ADDED before the kubelet's first write.
      const job = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => this.take(e.key))
        .catch(() => undefined);
      this.running.add(job);
      void job.finally(() => this.running.delete(job));
    });
    state.restoreFate = (pod) => this.restoreFate(pod);
  }

  /**
   * A synthetic history: the checkpoint reads as completed at `time` (its completionTime and
   * creationTimestamp), as if the kubelet had taken it then; a change watchers see.
   */
  backdate(key: string, time: Date): void {
    const current = this.store.get(key);
    if (!current) throw new Error(`no podcheckpoint ${key}`);
    const next = structuredClone(current);
    const stamp = time.toISOString().replace(/\.\d+Z$/, 'Z');
    next.metadata.creationTimestamp = stamp;
    if (next.status && typeof next.status === 'object' && 'completionTime' in next.status)
      (next.status as { completionTime: string }).completionTime = stamp;
    this.store.set(key, next);
  }

  /** Resolves when every checkpoint in progress has settled (tests, and close()). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private write(
    key: string,
    node: string,
    reason: ReadyReason,
    message: string,
    extra: Record<string, unknown> = {},
  ): void {
    const current = this.store.get(key);
    if (!current) return; // deleted meanwhile
    const next = structuredClone(current);
    next.status = {
      ...(next.status as object),
      nodeName: node,
      ...extra,
      conditions: [readyCondition(reason, message, next.metadata.generation)],
    };
    this.store.set(key, next);
    this.writers.push({ checkpoint: key, node, reason });
  }

  private async take(key: string): Promise<void> {
    const object = this.store.get(key);
    if (!object) return;
    const ns = object.metadata.namespace!;
    const spec = object.spec as Spec;
    const podKey = `${ns}/${spec.sourcePod.name}`;
    const pod = this.state.pods.get(podKey);
    // No kubelet runs a pod that does not exist: the object stays Pending, as in a real cluster.
    const kubelet = pod && this.kubelets.get(pod.spec.nodeName ?? '');
    if (!pod || !kubelet) return;
    const node = kubelet.node;
    const uid = pod.metadata.uid;
    if (spec.sourcePod.uid && spec.sourcePod.uid !== uid) {
      return this.write(
        key,
        node.name,
        'SourcePodReplaced',
        `pod ${podKey} has UID ${uid}, not ${spec.sourcePod.uid}`,
        {
          sourcePodUID: uid,
        },
      );
    }
    this.write(key, node.name, 'CheckpointInProgress', `checkpointing pod ${podKey}`, { sourcePodUID: uid });
    const timeout = spec.timeoutSeconds;
    const outcome = await Promise.race([
      (this.gate?.() ?? Promise.resolve()).then(() => 'done' as const),
      ...(timeout
        ? [new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeout * 1000).unref())]
        : []),
    ]);
    const after = this.state.pods.get(podKey);
    if (!after || after.metadata.uid !== uid) {
      return this.write(
        key,
        node.name,
        'SourcePodReplaced',
        `pod ${podKey} was replaced while it was being checkpointed`,
      );
    }
    if (outcome === 'timeout')
      return this.write(
        key,
        node.name,
        'CheckpointFailed',
        `checkpoint of pod ${podKey} did not complete within ${timeout}s`,
      );
    const failure = node.failures.shift() ?? node.alwaysFail;
    if (failure) {
      const text = typeof failure === 'object' ? failure.body : `rpc error: code = Unknown desc = ${failure}`;
      return this.write(key, node.name, 'CheckpointFailed', text);
    }
    // Unique per checkpoint, as a runtime's are: two of one pod in one second must not share data.
    const dir = `checkpoint-${spec.sourcePod.name}_${ns}-${now()}-${String(object.metadata.uid).slice(0, 8)}`;
    const root = join(node.root, node.kubeletRootDir, POD_CHECKPOINT_DIR, dir);
    await mkdir(root, { recursive: true, mode: 0o700 });
    for (const c of pod.spec.containers)
      await copyFile(kubelet.archiveFor(ns, pod.metadata.name, c.name), join(root, `${c.name}.tar`));
    const { nodeName: _n, ...templateSpec } = pod.spec;
    this.write(key, node.name, 'CheckpointCompleted', `pod ${podKey} checkpointed`, {
      checkpointLocation: { type: 'NodeLocal', nodeLocal: { path: dir } },
      completionTime: now(),
      checkpointedPodTemplate: {
        metadata: {
          ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
          ...(pod.metadata.annotations ? { annotations: pod.metadata.annotations } : {}),
        },
        spec: templateSpec,
      },
      checkpointedContainers: pod.spec.containers.map((c) => ({ name: c.name, image: c.image })),
    });
  }

  /** The restoring kubelet: the data must still be on its node. */
  private restoreFate(pod: PodJson): PodFate | undefined {
    const name = pod.spec.restoreFrom;
    if (typeof name !== 'string') return undefined;
    const key = `${pod.metadata.namespace}/${name}`;
    const status = this.store.get(key)?.status as
      { checkpointLocation?: { nodeLocal?: { path?: string } } } | undefined;
    const node = this.state.nodes.get(pod.spec.nodeName ?? '');
    const path = status?.checkpointLocation?.nodeLocal?.path;
    if (!node || !path) return undefined;
    const dir = join(node.root, node.kubeletRootDir, POD_CHECKPOINT_DIR, path);
    const missing = pod.spec.containers.find((c) => !existsSync(join(dir, `${c.name}.tar`)));
    if (missing) {
      const message = `failed to restore from PodCheckpoint "${name}": no checkpoint data for container ${missing.name} in ${join(node.kubeletRootDir, POD_CHECKPOINT_DIR, path)}`;
      return { kind: 'waiting', container: missing.name, reason: 'CreateContainerError', message };
    }
    this.restores.push({
      pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
      checkpoint: key,
      node: node.name,
    });
    return { kind: 'running' };
  }
}

interface Caller {
  user: string;
  may: (verb: string, resource: string, namespace: string, group: string) => boolean;
}

/**
 * Admission of a Pod with spec.restoreFrom: the `restore` verb on the PodCheckpoint, a ready
 * checkpoint, the spec equal to its template, and its node (which is then set).
 */
export function admitRestore(
  state: ClusterState,
  caller: Caller,
  pod: PodJson,
): { status: number; body: unknown } | undefined {
  const name = pod.spec.restoreFrom;
  const store = state.podCheckpoints?.store;
  if (name === undefined) return undefined;
  // With the gate off the field does not exist: the API server drops it.
  if (!store) {
    delete pod.spec.restoreFrom;
    return undefined;
  }
  const ns = pod.metadata.namespace!;
  const refuse = (errors: FieldError[]) => ({
    status: 422,
    body: invalid('Pod', '', pod.metadata.name, errors),
  });
  if (typeof name !== 'string' || name === '')
    return refuse([
      {
        type: 'Invalid',
        field: 'spec.restoreFrom',
        value: name,
        detail: 'must be the name of a PodCheckpoint',
      },
    ]);
  if (!caller.may('restore', 'podcheckpoints', ns, POD_CHECKPOINT_GROUP)) {
    return {
      status: 403,
      body: statusBody(
        403,
        `pods "${pod.metadata.name}" is forbidden: User "${caller.user}" cannot restore resource "podcheckpoints" in API group "${POD_CHECKPOINT_GROUP}" in the namespace "${ns}": restoreFrom ${name}`,
        { name: pod.metadata.name, kind: 'pods' },
      ),
    };
  }
  const ckpt = store.get(`${ns}/${name}`);
  if (!ckpt) return refuse([{ type: 'NotFound', field: 'spec.restoreFrom', value: name }]);
  const status = (ckpt.status ?? {}) as {
    nodeName?: string;
    conditions?: { type: string; status: string; reason: string }[];
    checkpointedPodTemplate?: { spec?: Record<string, unknown> };
  };
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True')
    return refuse([
      {
        type: 'Invalid',
        field: 'spec.restoreFrom',
        value: name,
        detail: `PodCheckpoint is not ready (${ready?.reason ?? 'no status'})`,
      },
    ]);
  const node = status.nodeName!;
  if (pod.spec.nodeName !== undefined && pod.spec.nodeName !== node)
    return refuse([
      {
        type: 'Invalid',
        field: 'spec.nodeName',
        value: pod.spec.nodeName,
        detail: `must be "${node}", the node of PodCheckpoint "${name}": restoring on another node is not supported`,
      },
    ]);
  const { restoreFrom: _r, nodeName: _n, ...asked } = pod.spec;
  const { nodeName: _tn, ...template } = status.checkpointedPodTemplate?.spec ?? {};
  if (JSON.stringify(sorted(asked)) !== JSON.stringify(sorted(template)))
    return refuse([
      {
        type: 'Invalid',
        field: 'spec',
        value: '',
        detail: `must equal the checkpointedPodTemplate of PodCheckpoint "${name}"`,
      },
    ]);
  pod.spec.nodeName = node;
  return undefined;
}

/** JSON with object keys sorted, so that key order does not make two specs differ. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
  );
}
