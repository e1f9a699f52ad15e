/**
 * Pod-level checkpoints (KEP-5823): `checkpointPodLevel` creates a PodCheckpoint for a pod and
 * waits for its node's kubelet to make it Ready; `restorePodCheckpoint` creates the Pod that
 * restores from it on the same node (the KEP's way), or, with `toNode` and a repository, copies the
 * checkpoint's data off its node and restores it elsewhere through kcr's checkpoint-image path,
 * which the KEP does not offer (one container per restored pod; the target's runtime must restore
 * images). `toNode` without a repository asks the API server for the KEP's restore there.
 * `copyPodCheckpoint` copies the data off the node (for `toNode`, and for backups).
 */
import { join, posix } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { KcrError } from '../errors.js';
import {
  apiError,
  checkPodName,
  completedData,
  copyFromNode,
  createPodCheckpoint,
  createRestoreFromPod,
  derivedPodName,
  KubeClient,
  notServedError,
  podCheckpointsServed,
  POD_CHECKPOINT_ROOT,
  readPodCheckpoint,
  readRestoreNode,
  restoreFromManifest,
  waitForRunning,
  waitPodCheckpoint,
  type KubeconfigOptions,
  type PodCheckpoint,
} from '../kube/index.js';
import { DEFAULT_HELPER_IMAGE } from '../kube/defaults.js';
import type { ImageReference, RegistryOptions } from '../oci/index.js';
import { makeTempDir } from '../util/temp-dir.js';
import { emitter, type OpOptions } from './events.js';
import { restore, type RestoreResult } from './restore.js';

export interface PodCheckpointOptions extends KubeconfigOptions, OpOptions {
  pod: string;
  namespace?: string;
  /** The PodCheckpoint's name (default `POD-YYYYMMDD-HHMMSS`). */
  name?: string;
  /** spec.timeoutSeconds for the kubelet, and how long kcr waits for Ready (default 300 s). */
  timeoutSeconds?: number;
  pollIntervalMs?: number;
}

export interface PodCheckpointResult {
  namespace: string;
  name: string;
  pod: string;
  node: string;
  /** The data's directory on the node (the kubelet's pod-checkpoints root joined with checkpointLocation). */
  nodePath: string;
  containers: string[];
  completionTime?: string;
  podCheckpoint: PodCheckpoint;
}

const stamp = () =>
  new Date()
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-');

/** Where the kubelet keeps a checkpoint's data (its --root-dir is assumed to be the default). */
export function podCheckpointNodePath(path: string, kubeletRootDir = '/var/lib/kubelet'): string {
  return posix.join(kubeletRootDir, POD_CHECKPOINT_ROOT, path);
}

function result(pc: PodCheckpoint, kubeletRootDir?: string): PodCheckpointResult {
  const data = completedData(pc);
  return {
    namespace: pc.metadata.namespace ?? '',
    name: pc.metadata.name,
    pod: pc.spec.sourcePod.name,
    node: data.node,
    nodePath: podCheckpointNodePath(data.path, kubeletRootDir),
    containers: data.containers,
    ...(pc.status?.completionTime ? { completionTime: pc.status.completionTime } : {}),
    podCheckpoint: pc,
  };
}

export async function checkpointPodLevel(o: PodCheckpointOptions): Promise<PodCheckpointResult> {
  const emit = emitter(o);
  const client = KubeClient.fromKubeconfig(o);
  const namespace = o.namespace ?? client.defaultNamespace;
  const name = o.name !== undefined ? checkPodName(o.name) : derivedPodName(o.pod, stamp());
  if (!(await podCheckpointsServed(client, o.signal))) throw notServedError();
  // The pod's UID goes into the spec: a pod replaced before the kubelet gets to it is then refused.
  const pod = await client.core.readNamespacedPod({ name: o.pod, namespace }).catch((err: unknown) => {
    throw apiError(err, `pod ${namespace}/${o.pod}`, client.server);
  });
  await createPodCheckpoint(client, {
    namespace,
    name,
    pod: o.pod,
    ...(pod.metadata?.uid ? { podUid: pod.metadata.uid } : {}),
    ...(o.timeoutSeconds ? { timeoutSeconds: o.timeoutSeconds } : {}),
  });
  const done = await waitPodCheckpoint(client, namespace, name, {
    timeoutMs: (o.timeoutSeconds ?? 300) * 1000,
    ...(o.pollIntervalMs ? { intervalMs: o.pollIntervalMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onReason: (s) => emit({ type: 'pod-checkpoint', namespace, name, reason: s.reason, message: s.message }),
  });
  return result(done);
}

export interface CopyPodCheckpointOptions extends KubeconfigOptions, OpOptions {
  namespace?: string;
  name: string;
  /** Local directory; each container's archive is written there as `CONTAINER.tar` (0600). */
  dir: string;
  helperImage?: string;
  helperNamespace?: string;
  pollIntervalMs?: number;
}

export interface CopiedPodCheckpoint extends PodCheckpointResult {
  archives: { container: string; path: string; size: number; sha256: string }[];
}

/** Copies each container's archive of a completed PodCheckpoint off its node, sha256 verified. */
export async function copyPodCheckpoint(o: CopyPodCheckpointOptions): Promise<CopiedPodCheckpoint> {
  const emit = emitter(o);
  const client = KubeClient.fromKubeconfig(o);
  const namespace = o.namespace ?? client.defaultNamespace;
  if (!(await podCheckpointsServed(client, o.signal))) throw notServedError();
  const base = result(await readPodCheckpoint(client, namespace, o.name));
  const archives: CopiedPodCheckpoint['archives'] = [];
  for (const container of base.containers) {
    const copy = await copyFromNode(client, {
      namespace: o.helperNamespace ?? namespace,
      node: base.node,
      nodePath: posix.join(base.nodePath, `${container}.tar`),
      destination: join(o.dir, `${container}.tar`),
      helperImage: o.helperImage ?? DEFAULT_HELPER_IMAGE,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.pollIntervalMs ? { pollIntervalMs: o.pollIntervalMs } : {}),
      onWarning: (message) => emit({ type: 'warning', message }),
    });
    archives.push({ container, ...copy });
  }
  return { ...base, archives };
}

export interface RestorePodCheckpointOptions extends KubeconfigOptions, OpOptions {
  /** The PodCheckpoint's name. */
  name: string;
  namespace?: string;
  /** The new pod's name (default `SOURCE-restored`). */
  podName?: string;
  /** Restore on another node: the data is copied off and restored through a checkpoint image. */
  toNode?: string;
  /** For toNode: where the checkpoint image is pushed, and the registry's credentials. */
  repository?: ImageReference;
  registry?: RegistryOptions;
  wait?: boolean;
  timeoutSeconds?: number;
  helperImage?: string;
  helperNamespace?: string;
  pollIntervalMs?: number;
  /** How the caller names toNode and repository, for hints (default the CLI's flags). */
  knobs?: { toNode: string; repository: string };
}

export interface RestorePodCheckpointResult {
  /** `restoreFrom` (the KEP's same-node restore) or `image` (kcr's path, for another node). */
  method: 'restoreFrom' | 'image';
  node: string;
  pod: V1Pod;
  running: boolean;
  /** With method `image`: what kcr's restore did. */
  image?: RestoreResult;
}

const CLI_KNOBS = { toNode: '--to-node', repository: '--registry' };

/**
 * The KEP's restore: a Pod with spec.restoreFrom. On `node` (another than the checkpoint's) it is
 * the API server that decides: alpha admission refuses it with its own reason, which the user gets
 * as it is, and a server that learns to restore elsewhere is not second-guessed.
 */
async function restoreFrom(
  client: KubeClient,
  pc: PodCheckpoint,
  name: string,
  o: RestorePodCheckpointOptions,
  elsewhere?: string,
): Promise<RestorePodCheckpointResult> {
  const emit = emitter(o);
  const manifest = restoreFromManifest(pc, name);
  if (elsewhere) manifest.spec!.nodeName = elsewhere;
  const ns = manifest.metadata!.namespace!;
  const pod = await createRestoreFromPod(client, manifest, o.signal).catch((err: unknown) => {
    if (!elsewhere || !(err instanceof KcrError) || !/spec\.nodeName/.test(err.message)) throw err;
    const knobs = o.knobs ?? CLI_KNOBS;
    throw new KcrError('conflict', err.message, {
      hint: `a PodCheckpoint restores on its own node (${completedData(pc).node}) only; leave ${knobs.toNode} out, or add ${knobs.repository} REGISTRY/REPOSITORY to restore a one-container pod on ${elsewhere} through a checkpoint image`,
      cause: err,
    });
  });
  emit({ type: 'created', kind: 'Pod', namespace: ns, name });
  const node = manifest.spec!.nodeName!;
  if (!o.wait) return { method: 'restoreFrom', node, pod, running: false };
  emit({ type: 'waiting', namespace: ns, name });
  const outcome = await waitForRunning(client, ns, name, {
    timeoutMs: (o.timeoutSeconds ?? 300) * 1000,
    ...(o.pollIntervalMs ? { intervalMs: o.pollIntervalMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  if (outcome.kind === 'failed') {
    throw new KcrError(
      'remote',
      `pod ${ns}/${name} did not restore: ${outcome.failure.reason}: ${outcome.failure.message}`,
      {
        hint: `the checkpoint data may be gone from ${node}; \`kubectl describe pod ${name} -n ${ns}\` shows the kubelet's events`,
      },
    );
  }
  if (outcome.kind === 'timeout')
    throw new KcrError('timeout', `pod ${ns}/${name} is not running after ${o.timeoutSeconds ?? 300}s`, {
      hint: `\`kubectl describe pod ${name} -n ${ns}\` shows why`,
    });
  emit({ type: 'running', namespace: ns, name });
  return { method: 'restoreFrom', node, pod: outcome.pod, running: true };
}

/** Another node: kcr's image path, checked before anything is copied. */
async function otherNode(
  client: KubeClient,
  pc: PodCheckpoint,
  name: string,
  toNode: string,
  repository: ImageReference,
  o: RestorePodCheckpointOptions,
): Promise<RestorePodCheckpointResult> {
  const what = `podcheckpoint ${pc.metadata.namespace ?? ''}/${pc.metadata.name}`;
  const { containers } = completedData(pc);
  if (containers.length !== 1) {
    throw new KcrError(
      'conflict',
      `${what} holds ${containers.length} containers (${containers.join(', ')}); restoring on another node goes through a checkpoint image, which restores one container per pod`,
      {
        hint: `restore it on its own node (without --to-node), or checkpoint the containers one by one with \`kcr checkpoint POD -c CONTAINER\` and \`kcr migrate\``,
      },
    );
  }
  await readRestoreNode(client, toNode, '--to-node');
  const work = await makeTempDir('podckpt', { env: o.env });
  try {
    const copied = await copyPodCheckpoint({ ...o, name: pc.metadata.name, dir: work.dir });
    const template = pc.status!.checkpointedPodTemplate!;
    const savedPod: V1Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pc.spec.sourcePod.name, namespace: pc.metadata.namespace, ...template.metadata },
      spec: { ...(template.spec as V1Pod['spec'] & object), nodeName: copied.node } as V1Pod['spec'],
    };
    const restored = await restore({
      ...o,
      source: { archive: copied.archives[0]!.path, pod: savedPod },
      ...(pc.metadata.namespace ? { namespace: pc.metadata.namespace } : {}),
      node: toNode,
      name,
      repository,
      wait: Boolean(o.wait),
    });
    return { method: 'image', node: toNode, pod: restored.pod, running: restored.running, image: restored };
  } finally {
    await work.remove();
  }
}

export async function restorePodCheckpoint(
  o: RestorePodCheckpointOptions,
): Promise<RestorePodCheckpointResult> {
  const client = KubeClient.fromKubeconfig(o);
  const namespace = o.namespace ?? client.defaultNamespace;
  if (!(await podCheckpointsServed(client, o.signal))) throw notServedError();
  const pc = await readPodCheckpoint(client, namespace, o.name);
  const { node } = completedData(pc);
  const name =
    o.podName !== undefined ? checkPodName(o.podName) : derivedPodName(pc.spec.sourcePod.name, 'restored');
  if (!o.toNode || o.toNode === node) return restoreFrom(client, pc, name, o);
  // Without a repository kcr has no way of its own: the KEP's, with the API server deciding.
  if (!o.repository) return restoreFrom(client, pc, name, o, o.toNode);
  return otherNode(client, pc, name, o.toNode, o.repository, o);
}
