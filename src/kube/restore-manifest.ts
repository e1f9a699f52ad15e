/**
 * The Pod (and Service) that restore creates. From the Pod saved at checkpoint time when there is
 * one, else rebuilt from spec.dump. Either way CRI-O's rule holds (docs/checkpoint-format.md
 * §E.4): every bind mount the checkpointed container had must be mounted again at the same path,
 * or the restore fails with `restoring "<image>" expects following bind mounts defined (...)`.
 */
import { z } from 'zod';
import type { V1Container, V1Pod, V1Service, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { CheckpointInfo, SpecDump } from '../archive/index.js';
import { KcrError } from '../errors.js';
import { tryParseJsonWith } from '../util/validate.js';
import { checkPodName, labelValue, serviceNameFor } from './names.js';
import { placementOn } from './node-placement.js';

export const RESTORED_FROM_LABEL = 'kcr.dev/restored-from';
export const RESTORE_LABEL = 'kcr.dev/restore';
export const CHECKPOINT_IMAGE_ANNOTATION = 'kcr.dev/checkpoint-image';

/** Mounts CRI-O does not require on restore: the runtime and kubelet provide them anew. */
export const CRIO_IGNORED_MOUNTS = new Set([
  '/proc',
  '/dev',
  '/dev/pts',
  '/dev/mqueue',
  '/sys',
  '/sys/fs/cgroup',
  '/dev/shm',
  '/etc/resolv.conf',
  '/etc/hostname',
  '/etc/passwd',
  '/etc/group',
  '/run/secrets',
  '/run/.containerenv',
]);
const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Labels a controller uses to adopt pods: kept, the restored pod could be adopted and deleted. */
const CONTROLLER_LABELS = [
  'pod-template-hash',
  'controller-revision-hash',
  'statefulset.kubernetes.io/pod-name',
  'pod-index',
  'batch.kubernetes.io/controller-uid',
  'controller-uid',
];

export interface ManifestInput {
  info: CheckpointInfo;
  spec: SpecDump;
  /** The Pod object saved beside the archive (ARCHIVE.pod.json), if any. */
  savedPod?: V1Pod;
  /** The checkpoint image that replaces the checkpointed container's image. */
  image: string;
  node: string;
  /** The target node's labels, to check the saved pod's nodeSelector and node affinity against. */
  nodeLabels?: Record<string, string>;
  name?: string;
  namespace?: string;
  /** Ports to expose through a Service. */
  expose?: number[];
}

export interface RestoreManifests {
  pod: V1Pod;
  service?: V1Service;
  /** Things the user should know: volumes whose content is not in the checkpoint, and the like. */
  warnings: string[];
}

/** The JSON that CRI-O and the kubelet keep in spec.dump annotations; a malformed one is ignored. */
const stringMapSchema = z.record(z.string(), z.string());
const crioVolumesSchema = z.array(
  z.looseObject({
    container_path: z.string(),
    host_path: z.string().optional(),
    readonly: z.boolean().optional(),
  }),
);
const containerPortsSchema = z.array(
  z.looseObject({
    containerPort: z.number().int(),
    protocol: z.string().optional(),
    name: z.string().optional(),
  }),
);

function withoutControllerLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !CONTROLLER_LABELS.includes(k)));
}

function fromSavedPod(input: ManifestInput, saved: V1Pod, name: string, warnings: string[]): V1Pod {
  const container = input.info.container;
  const containers = saved.spec?.containers ?? [];
  const initContainers = saved.spec?.initContainers ?? [];
  if (![...containers, ...initContainers].some((c) => c.name === container)) {
    throw new KcrError(
      'conflict',
      `the saved pod ${saved.metadata?.name ?? ''} has no container "${container}" (the checkpointed one)`,
      {
        hint: 'the .pod.json beside the archive belongs to another checkpoint; move it away to restore from spec.dump',
      },
    );
  }
  const swap = (c: V1Container): V1Container => (c.name === container ? { ...c, image: input.image } : c);
  for (const v of saved.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim && saved.spec?.nodeName !== input.node) {
      warnings.push(
        `volume ${v.name} is the claim ${v.persistentVolumeClaim.claimName}; a ReadWriteOnce claim cannot attach to ${input.node} while the original pod uses it`,
      );
    }
  }
  // Ephemeral containers cannot be set on create; scheduling gates conflict with nodeName; priority is
  // recomputed from priorityClassName by admission (a stale value is rejected).
  const {
    ephemeralContainers: _ephemeral,
    nodeName: _node,
    schedulingGates: _gates,
    priority: _priority,
    nodeSelector: _selector,
    affinity: _affinity,
    ...spec
  } = saved.spec ?? { containers: [] };
  const placement = placementOn(saved.spec, saved.spec?.nodeName, {
    name: input.node,
    ...(input.nodeLabels ? { labels: input.nodeLabels } : {}),
  });
  warnings.push(...placement.warnings);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: input.namespace ?? saved.metadata?.namespace ?? 'default',
      labels: {
        ...withoutControllerLabels(saved.metadata?.labels),
        [RESTORED_FROM_LABEL]: labelValue(saved.metadata?.name ?? container),
        [RESTORE_LABEL]: labelValue(name),
      },
      annotations: { ...(saved.metadata?.annotations ?? {}), [CHECKPOINT_IMAGE_ANNOTATION]: input.image },
    },
    spec: {
      ...spec,
      ...(placement.nodeSelector ? { nodeSelector: placement.nodeSelector } : {}),
      ...(placement.affinity ? { affinity: placement.affinity } : {}),
      nodeName: input.node,
      containers: containers.map(swap),
      ...(initContainers.length ? { initContainers: initContainers.map(swap) } : {}),
    },
  };
}

/** What a bind mount's host path says about the volume it came from. */
function volumeFor(
  source: string,
  destination: string,
  index: number,
  warnings: string[],
): V1Volume | undefined {
  const kubelet = /\/pods\/[^/]+\/volumes\/kubernetes\.io~([^/]+)\/([^/]+)$/.exec(source);
  const name = kubelet?.[2] ?? `host-${index}`;
  if (!kubelet) {
    if (/\/pods\/[^/]+\/(etc-hosts|containers\/)/.test(source)) return undefined; // kubelet-provided files
    if (/\/pods\/[^/]+\/volume-subpaths\//.test(source)) {
      warnings.push(`${destination} was a subPath mount; it is restored as an empty directory`);
      return { name, emptyDir: {} };
    }
    return { name, hostPath: { path: source } };
  }
  const kind = kubelet[1];
  if (kind === 'empty-dir') return { name, emptyDir: {} };
  if (kind === 'projected' && name.startsWith('kube-api-access-')) return undefined; // the service account token
  warnings.push(
    `${destination} was a ${kind} volume (${name}); its content is not in the checkpoint, so it is restored as an empty directory: edit the Pod to mount the original source`,
  );
  return { name, emptyDir: {} };
}

function fromSpecDump(input: ManifestInput, name: string, warnings: string[]): V1Pod {
  const a = input.spec.annotations ?? {};
  const kubeletAnnotations = tryParseJsonWith(stringMapSchema, a['io.kubernetes.cri-o.Annotations']) ?? {};
  const annotation = (key: string) => kubeletAnnotations[key] ?? a[key];
  const crioVolumes = tryParseJsonWith(crioVolumesSchema, a['io.kubernetes.cri-o.Volumes']) ?? [];
  const terminationPath =
    annotation('io.kubernetes.container.terminationMessagePath') ?? '/dev/termination-log';
  const volumes: V1Volume[] = [];
  const mounts: V1VolumeMount[] = [];
  let serviceAccount = false;
  (input.spec.mounts ?? []).forEach((m, i) => {
    const dest = m.destination;
    if (CRIO_IGNORED_MOUNTS.has(dest) || dest === '/etc/hosts' || dest === terminationPath) return;
    if (dest === SERVICE_ACCOUNT_MOUNT) return void (serviceAccount = true);
    const volume = volumeFor(m.source ?? '', dest, i, warnings);
    if (!volume) return;
    if (!volumes.some((v) => v.name === volume.name)) volumes.push(volume);
    const readOnly =
      crioVolumes.find((v) => v.container_path === dest)?.readonly ?? (m.options ?? []).includes('ro');
    mounts.push({ name: volume.name, mountPath: dest, ...(readOnly ? { readOnly: true } : {}) });
  });
  const ports = (
    tryParseJsonWith(containerPortsSchema, annotation('io.kubernetes.container.ports')) ?? []
  ).map((p) => ({
    containerPort: p.containerPort,
    protocol: p.protocol ?? 'TCP',
    ...(p.name ? { name: p.name } : {}),
  }));
  const crioLabels = tryParseJsonWith(stringMapSchema, a['io.kubernetes.cri-o.Labels']) ?? {};
  const userLabels = Object.fromEntries(
    Object.entries(crioLabels).filter(([k]) => !k.startsWith('io.kubernetes.')),
  );
  const container: V1Container = {
    name: input.info.container,
    image: input.image,
    ...(ports.length ? { ports } : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
    terminationMessagePath: terminationPath,
    terminationMessagePolicy: annotation('io.kubernetes.container.terminationMessagePolicy') ?? 'File',
  };
  const grace = Number(annotation('io.kubernetes.pod.terminationGracePeriod'));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: input.namespace ?? input.info.namespace ?? 'default',
      labels: {
        ...userLabels,
        [RESTORED_FROM_LABEL]: labelValue(input.info.pod ?? input.info.container),
        [RESTORE_LABEL]: labelValue(name),
      },
      annotations: { [CHECKPOINT_IMAGE_ANNOTATION]: input.image },
    },
    spec: {
      nodeName: input.node,
      containers: [container],
      ...(volumes.length ? { volumes } : {}),
      ...(serviceAccount ? {} : { automountServiceAccountToken: false }),
      ...(Number.isInteger(grace) ? { terminationGracePeriodSeconds: grace } : {}),
      ...(input.spec.hostname ? { hostname: input.spec.hostname } : {}),
    },
  };
}

function serviceFor(pod: V1Pod, ports: number[]): V1Service {
  const name = serviceNameFor(pod.metadata!.name!);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: pod.metadata!.namespace,
      labels: { [RESTORED_FROM_LABEL]: pod.metadata!.labels![RESTORED_FROM_LABEL]! },
    },
    spec: {
      selector: { [RESTORE_LABEL]: pod.metadata!.labels![RESTORE_LABEL]! },
      ports: ports.map((port) => ({ name: `tcp-${port}`, port, targetPort: port, protocol: 'TCP' })),
    },
  };
}

export function restoreManifests(input: ManifestInput): RestoreManifests {
  const warnings: string[] = [];
  const name = checkPodName(
    input.name ?? input.savedPod?.metadata?.name ?? input.info.pod ?? input.info.container,
  );
  const pod = input.savedPod
    ? fromSavedPod(input, input.savedPod, name, warnings)
    : fromSpecDump(input, name, warnings);
  return { pod, ...(input.expose?.length ? { service: serviceFor(pod, input.expose) } : {}), warnings };
}
