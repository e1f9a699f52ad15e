/**
 * The JSON shapes the test cluster stores and serves, written as a real API server writes them
 * (metadata with uid, resourceVersion and creationTimestamp; status with conditions and
 * containerStatuses), and the `Status` error bodies it answers with.
 */
import { randomUUID } from 'node:crypto';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface ContainerJson {
  name: string;
  image: string;
  command?: string[];
  restartPolicy?: string;
  ports?: { containerPort: number; protocol?: string; name?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  terminationMessagePath?: string;
  [key: string]: unknown;
}

export interface VolumeJson {
  name: string;
  hostPath?: { path: string; type?: string };
  [key: string]: unknown;
}

export interface PodJson {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: {
    nodeName?: string;
    containers: ContainerJson[];
    initContainers?: ContainerJson[];
    volumes?: VolumeJson[];
    restartPolicy?: string;
    [key: string]: unknown;
  };
  status: Record<string, unknown> & { phase?: string };
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/**
 * One resourceVersion sequence for every object, as etcd's revision is: each write takes the next
 * number, so a watch can resume after any version it has seen. Shared by all test clusters of a
 * process (each keeps its own history), which only makes the numbers sparser.
 */
let resourceVersion = 1000;

export function nextResourceVersion(): string {
  return String(++resourceVersion);
}

export function currentResourceVersion(): string {
  return String(resourceVersion);
}

export function newMeta(name: string, namespace?: string, extra: Partial<ObjectMeta> = {}): ObjectMeta {
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    uid: randomUUID(),
    resourceVersion: nextResourceVersion(),
    creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    ...extra,
  };
}

export function bumpVersion(meta: ObjectMeta): void {
  meta.resourceVersion = nextResourceVersion();
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  kind?: string;
  group?: string;
  causes?: StatusCause[];
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'AlreadyExists',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** `reason` overrides the default for the code (409 is `AlreadyExists` or `Conflict`). */
export function statusBody(
  code: number,
  message: string,
  details?: StatusDetails,
  reason?: string,
): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: reason ?? REASONS[code] ?? 'Unknown',
    ...(details ? { details } : {}),
    code,
  };
}

/** The real wording: `pods "web" not found`. */
export function notFound(resource: string, name: string): StatusBody {
  return statusBody(404, `${resource} "${name}" not found`, { name, kind: resource });
}

export function runningStatus(pod: PodJson, nodeIp: string): PodJson['status'] {
  const now = pod.metadata.creationTimestamp;
  return {
    phase: 'Running',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(
      (type) => ({
        type,
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: now,
      }),
    ),
    hostIP: nodeIp,
    hostIPs: [{ ip: nodeIp }],
    podIP: `10.244.0.${(Number(pod.metadata.resourceVersion) % 250) + 2}`,
    startTime: now,
    containerStatuses: pod.spec.containers.map((c) => ({
      name: c.name,
      state: { running: { startedAt: now } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: c.image,
      imageID: `${c.image.split(':')[0]}@sha256:${'ab'.repeat(32)}`,
      containerID: `cri-o://${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`,
      started: true,
    })),
    qosClass: 'BestEffort',
  };
}

export function waitingStatus(
  pod: PodJson,
  container: string,
  reason: string,
  message: string,
): PodJson['status'] {
  return {
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: pod.metadata.creationTimestamp,
      },
    ],
    containerStatuses: pod.spec.containers.map((c) => ({
      name: c.name,
      state:
        c.name === container
          ? { waiting: { reason, message } }
          : { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: c.image,
      imageID: '',
      started: false,
    })),
    qosClass: 'BestEffort',
  };
}
