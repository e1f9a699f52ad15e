/**
 * Waiting for a pod to run, and saying why it does not. Polls with GET rather than a watch:
 * one pod, a few seconds, and every proxy and test server speaks plain GET.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { KcrError } from '../errors.js';
import { apiError } from './api-errors.js';
import type { KubeClient } from './client.js';

/** Waiting reasons after which a pod will not start without someone changing something. */
const STUCK_REASONS = new Set([
  'CreateContainerError',
  'CreateContainerConfigError',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RunContainerError',
  'CrashLoopBackOff',
  'StartError',
]);

export interface PodFailure {
  container?: string;
  reason: string;
  message: string;
}

/** Why the pod cannot reach Running, or undefined while it still may. */
export function podFailure(pod: V1Pod): PodFailure | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && STUCK_REASONS.has(waiting.reason)) {
      return { container: s.name, reason: waiting.reason, message: waiting.message ?? '' };
    }
    const terminated = s.state?.terminated;
    if (terminated && terminated.exitCode !== 0 && pod.spec?.restartPolicy === 'Never') {
      return {
        container: s.name,
        reason: terminated.reason ?? 'Error',
        message: terminated.message ?? `exit code ${terminated.exitCode}`,
      };
    }
  }
  if (pod.status?.phase === 'Failed') {
    return { reason: pod.status.reason ?? 'Failed', message: pod.status.message ?? 'the pod failed' };
  }
  return undefined;
}

export function isRunning(pod: V1Pod): boolean {
  if (pod.status?.phase !== 'Running') return false;
  const statuses = pod.status.containerStatuses ?? [];
  return statuses.length > 0 && statuses.every((s) => s.state?.running !== undefined);
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

export type WaitOutcome =
  | { kind: 'running'; pod: V1Pod }
  | { kind: 'failed'; pod: V1Pod; failure: PodFailure }
  | { kind: 'timeout'; pod?: V1Pod };

/** Polls until the pod runs, fails for good, or the time is up. */
export async function waitForRunning(
  client: KubeClient,
  namespace: string,
  name: string,
  options: WaitOptions,
): Promise<WaitOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 500;
  let pod: V1Pod | undefined;
  for (;;) {
    try {
      pod = await client.core.readNamespacedPod({ name, namespace });
    } catch (err) {
      throw apiError(err, `pod ${namespace}/${name}`, client.server);
    }
    if (isRunning(pod)) return { kind: 'running', pod };
    const failure = podFailure(pod);
    if (failure) return { kind: 'failed', pod, failure };
    if (Date.now() >= deadline) return { kind: 'timeout', pod };
    try {
      await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), undefined, {
        signal: options.signal,
      });
    } catch {
      throw new KcrError('cancelled', `waiting for pod ${namespace}/${name}: cancelled`);
    }
  }
}

/** The pod's events, oldest first, for explaining a failure. */
export async function podEvents(client: KubeClient, namespace: string, name: string): Promise<CoreV1Event[]> {
  try {
    const list = await client.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${name}`,
    });
    const time = (e: CoreV1Event) =>
      new Date(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? 0).getTime();
    return [...list.items].sort((a, b) => time(a) - time(b));
  } catch {
    // Events only explain; failing to read them must not hide the real error.
    return [];
  }
}
