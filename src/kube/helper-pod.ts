/**
 * The short-lived pod that lets kcr read a file on a node using only the API server: pinned to
 * the node, the checkpoint directory mounted read-only, and nothing in it but `sleep`, `stat`,
 * `sha256sum` and `cat` run through exec. kcr deletes it when done; activeDeadlineSeconds stops it
 * even if kcr is killed first.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { KcrError } from '../errors.js';
import { apiError, isNotFound } from './api-errors.js';
import type { KubeClient } from './client.js';
import { waitForRunning } from './pod-status.js';

/** busybox by default: it has sleep, stat, sha256sum and cat (see defaults.ts). */
export { DEFAULT_HELPER_IMAGE } from './defaults.js';
export const HELPER_MOUNT = '/checkpoints';
export const HELPER_CONTAINER = 'copy';
export const HELPER_LABELS = {
  'app.kubernetes.io/name': 'kcr',
  'app.kubernetes.io/component': 'copy-helper',
};

export interface HelperPodSpec {
  namespace: string;
  node: string;
  /** Directory on the node to mount read-only at /checkpoints. */
  hostDir: string;
  image: string;
  /** The pod stops itself after this long even if kcr never deletes it (default HELPER_LIFETIME_SECONDS). */
  lifetimeSeconds?: number;
}

/**
 * How long the helper may live. kcr deletes it as soon as the copy ends; this bound only matters
 * when kcr dies first. It must outlast the slowest copy, and the pod starts before the archive's
 * size is known: 6 h carries 10 GiB over a link of 0.5 MiB/s.
 */
export const HELPER_LIFETIME_SECONDS = 6 * 3600;

export function helperPodManifest(spec: HelperPodSpec): V1Pod {
  const lifetime = spec.lifetimeSeconds ?? HELPER_LIFETIME_SECONDS;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'kcr-copy-', namespace: spec.namespace, labels: { ...HELPER_LABELS } },
    spec: {
      nodeName: spec.node, // bypasses the scheduler: the archive exists on this node only
      restartPolicy: 'Never',
      activeDeadlineSeconds: lifetime,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // Control-plane and other tainted nodes run checkpointed pods too.
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: HELPER_CONTAINER,
          image: spec.image,
          command: ['sleep', String(lifetime)],
          volumeMounts: [{ name: 'checkpoints', mountPath: HELPER_MOUNT, readOnly: true }],
          // Archives are 0600 root in a 0700 root directory: uid 0 reads them as owner, no capabilities needed.
          securityContext: {
            runAsUser: 0,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          },
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
        },
      ],
      volumes: [{ name: 'checkpoints', hostPath: { path: spec.hostDir, type: 'Directory' } }],
    },
  };
}

export interface HelperPod {
  namespace: string;
  name: string;
}

export interface StartOptions {
  signal?: AbortSignal;
  startTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Called as soon as the pod exists, so that the caller can delete it whatever happens next. */
  onCreated?: (pod: HelperPod) => void;
}

function createHint(message: string, namespace: string): string {
  if (/PodSecurity|violates/i.test(message)) {
    return `the namespace ${namespace} forbids hostPath volumes (Pod Security); pass --helper-namespace with a namespace labelled pod-security.kubernetes.io/enforce=privileged`;
  }
  return `needs RBAC \`create\` on \`pods\` in ${namespace}; or pass --helper-namespace`;
}

export async function startHelperPod(
  client: KubeClient,
  spec: HelperPodSpec,
  options: StartOptions = {},
): Promise<HelperPod> {
  let created: V1Pod;
  try {
    created = await client.core.createNamespacedPod({
      namespace: spec.namespace,
      body: helperPodManifest(spec),
    });
  } catch (err) {
    const e = apiError(err, `helper pod in ${spec.namespace}`, client.server);
    throw new KcrError(e.code, e.message, { hint: createHint(e.message, spec.namespace), cause: err });
  }
  const pod = { namespace: spec.namespace, name: created.metadata?.name ?? '' };
  options.onCreated?.(pod);
  const outcome = await waitForRunning(client, pod.namespace, pod.name, {
    timeoutMs: options.startTimeoutMs ?? 120_000,
    intervalMs: options.pollIntervalMs,
    signal: options.signal,
  });
  if (outcome.kind === 'failed') {
    const { reason, message } = outcome.failure;
    throw new KcrError(
      'remote',
      `helper pod ${pod.namespace}/${pod.name} on ${spec.node}: ${reason}${message ? `: ${message}` : ''}`,
      {
        hint: /Image|Pull/i.test(reason)
          ? `the node cannot pull ${spec.image}; pass --helper-image with an image it can pull that has sleep, stat, sha256sum and cat (a mirror of busybox works)`
          : 'check the node with `kubectl describe node`',
      },
    );
  }
  if (outcome.kind === 'timeout') {
    throw new KcrError('timeout', `helper pod ${pod.namespace}/${pod.name} did not start on ${spec.node}`, {
      hint: `check \`kubectl describe pod ${pod.name} -n ${pod.namespace}\`; the node may be unable to pull ${spec.image}`,
    });
  }
  return pod;
}

/** Deletes the helper pod now (grace 0). A pod that is already gone is fine. */
export async function deleteHelperPod(client: KubeClient, pod: HelperPod): Promise<void> {
  try {
    await client.core.deleteNamespacedPod({
      name: pod.name,
      namespace: pod.namespace,
      gracePeriodSeconds: 0,
    });
  } catch (err) {
    if (!isNotFound(err))
      throw apiError(err, `deleting helper pod ${pod.namespace}/${pod.name}`, client.server);
  }
}
