/**
 * The doctor's canary: a real checkpoint of a throwaway `sleep` pod, through the same API
 * server path `kcr checkpoint` uses. The pod is deleted afterwards whatever happened; the
 * archive stays on the node (the API server offers no way to delete it) and the finding says where.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { KcrError } from '../errors.js';
import { apiError } from './api-errors.js';
import { requestCheckpoint } from './checkpoint-call.js';
import type { KubeClient } from './client.js';
import type { Finding } from './doctor.js';
import { DEFAULT_HELPER_IMAGE } from './helper-pod.js';
import { ProxiedKubelet } from './kubelet.js';
import { waitForRunning } from './pod-status.js';

export interface CanaryOptions {
  namespace: string;
  node?: string;
  image?: string;
  signal?: AbortSignal;
  pollIntervalMs?: number;
}

function canaryPod(o: CanaryOptions): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'kcr-canary-',
      namespace: o.namespace,
      labels: { 'app.kubernetes.io/name': 'kcr', 'app.kubernetes.io/component': 'canary' },
    },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}),
      restartPolicy: 'Never',
      activeDeadlineSeconds: 600,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      containers: [{ name: 'canary', image: o.image ?? DEFAULT_HELPER_IMAGE, command: ['sleep', '600'] }],
    },
  };
}

export async function runCanary(client: KubeClient, o: CanaryOptions): Promise<Finding> {
  let created: V1Pod;
  try {
    created = await client.core.createNamespacedPod({ namespace: o.namespace, body: canaryPod(o) });
  } catch (err) {
    throw apiError(err, `canary pod in ${o.namespace}`, client.server);
  }
  const name = created.metadata?.name ?? '';
  try {
    const outcome = await waitForRunning(client, o.namespace, name, {
      timeoutMs: 120_000,
      intervalMs: o.pollIntervalMs,
      signal: o.signal,
    });
    if (outcome.kind !== 'running') {
      const why =
        outcome.kind === 'failed' ? `${outcome.failure.reason}: ${outcome.failure.message}` : 'timed out';
      throw new KcrError('remote', `canary pod ${o.namespace}/${name} did not start (${why})`, {
        hint: 'pass --canary-image with an image the node can pull that has `sleep` (busybox works)',
      });
    }
    const node = outcome.pod.spec?.nodeName ?? o.node ?? '';
    const archive = await requestCheckpoint(new ProxiedKubelet(client, node), {
      namespace: o.namespace,
      pod: name,
      container: 'canary',
      signal: o.signal,
    });
    return {
      check: 'canary',
      subject: node,
      status: 'ok',
      message: `checkpointed ${o.namespace}/${name}; the archive is ${archive} on ${node} (delete it there)`,
    };
  } finally {
    await client.core
      .deleteNamespacedPod({ name, namespace: o.namespace, gracePeriodSeconds: 0 })
      .catch(() => undefined);
  }
}
