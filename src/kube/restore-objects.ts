/**
 * The Kubernetes half of `kcr restore`: create the restored Pod (and its Service), then wait for
 * the pod to run, explaining a failure with the pod's events and what they mean.
 */
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { KcrError } from '../errors.js';
import { apiError } from './api-errors.js';
import type { KubeClient } from './client.js';
import { podEvents, waitForRunning } from './pod-status.js';
import { restoreHint } from './restore-hints.js';

export async function createRestoredPod(client: KubeClient, pod: V1Pod): Promise<void> {
  const ns = pod.metadata!.namespace!;
  try {
    await client.core.createNamespacedPod({ namespace: ns, body: pod });
  } catch (err) {
    const e = apiError(err, `pod ${ns}/${pod.metadata!.name}`, client.server);
    throw e.code === 'conflict'
      ? new KcrError('conflict', e.message, {
          hint: 'pick another name with --name, or delete the existing pod',
          cause: err,
        })
      : e;
  }
}

/** Creates the Service of a restored pod; if that fails, the pod goes again, so that a retry does not meet "already exists". */
export async function createRestoredService(
  client: KubeClient,
  pod: V1Pod,
  service: V1Service,
): Promise<void> {
  const ns = pod.metadata!.namespace!;
  try {
    await client.core.createNamespacedService({ namespace: ns, body: service });
  } catch (err) {
    const e = apiError(err, `service ${ns}/${service.metadata!.name}`, client.server);
    const undo = await client.core
      .deleteNamespacedPod({ name: pod.metadata!.name!, namespace: ns, gracePeriodSeconds: 0 })
      .then(
        () => `the pod ${ns}/${pod.metadata!.name} was deleted again`,
        (deleteErr: unknown) =>
          `delete the pod ${ns}/${pod.metadata!.name} by hand (${apiError(deleteErr, 'pod').message})`,
      );
    throw new KcrError(e.code, e.message, {
      hint: `${undo}; ${e.code === 'conflict' ? 'pick another name with --name, or delete the existing service' : (e.hint ?? 'retry once the cause is fixed')}`,
      cause: err,
    });
  }
}

export interface WaitRestoredOptions {
  /** The checkpoint image the pod runs, and the image the container originally ran: both go into hints. */
  image: string;
  baseImage?: string;
  timeoutSeconds?: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

/** Waits for Running; a failure comes back with the pod's events and what they mean. */
export async function waitRestored(client: KubeClient, pod: V1Pod, o: WaitRestoredOptions): Promise<void> {
  const ns = pod.metadata!.namespace!;
  const name = pod.metadata!.name!;
  const node = pod.spec!.nodeName!;
  const { image, baseImage } = o;
  const outcome = await waitForRunning(client, ns, name, {
    timeoutMs: (o.timeoutSeconds ?? 300) * 1000,
    intervalMs: o.pollIntervalMs,
    signal: o.signal,
  });
  if (outcome.kind === 'running') return;
  const events = (await podEvents(client, ns, name))
    .filter((e) => e.type === 'Warning')
    .map((e) => `${e.reason}: ${e.message ?? ''}`);
  const detail = events.length ? ` (events: ${events.slice(-3).join('; ')})` : '';
  if (outcome.kind === 'timeout') {
    throw new KcrError(
      'timeout',
      `pod ${ns}/${name} is not running after ${o.timeoutSeconds ?? 300}s${detail}`,
      {
        hint: restoreHint('', events.join(' '), { node, image, baseImage }),
      },
    );
  }
  const { reason, message } = outcome.failure;
  throw new KcrError(
    'remote',
    `pod ${ns}/${name} did not restore: ${reason}${message ? `: ${message}` : ''}${detail}`,
    {
      hint: restoreHint(reason, `${message} ${events.join(' ')}`, { node, image, baseImage }),
    },
  );
}
