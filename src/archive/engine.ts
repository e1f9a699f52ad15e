/**
 * Which engine wrote the archive, and the container facts derived from the right fields for it.
 * Detection follows checkpointctl: spec.dump's `io.container.manager` is `libpod` (Podman) or
 * `cri-o`; otherwise the archive is containerd's (io.kubernetes.cri.* annotations).
 */
import { z } from 'zod';
import { tryParseJsonWith } from '../util/validate.js';
import type { CheckpointArchive } from './archive.js';
import {
  configDumpSchema,
  containerdStatusSchema,
  criStatusDumpSchema,
  networkStatusSchema,
  readJsonMember,
  readOptionalJson,
  specDumpSchema,
  type ConfigDump,
  type SpecDump,
} from './metadata.js';

export type Engine = 'cri-o' | 'containerd' | 'podman';

/** checkpointctl's spelling of the engine names (`org.criu.checkpoint.engine.name`). */
export const ENGINE_NAMES: Record<Engine, string> = {
  'cri-o': 'CRI-O',
  containerd: 'containerd',
  podman: 'Podman',
};

/** The engine an `org.criu.checkpoint.engine.name` value names, if any. */
export function engineByName(name: string | undefined): Engine | undefined {
  return (Object.keys(ENGINE_NAMES) as Engine[]).find((e) => ENGINE_NAMES[e] === name);
}

export interface CheckpointInfo {
  engine: Engine;
  /** Kubernetes container name (Podman: the container name). */
  container: string;
  pod?: string;
  namespace?: string;
  podUid?: string;
  /**
   * Where pod and namespace came from: `annotations` (the io.kubernetes.pod.* labels a kubelet
   * sets), or `sandbox-name` (CRI-O's io.kubernetes.cri-o.SandboxName / Name, for archives made by
   * `crictl checkpoint` or kubelets that set no labels). Absent when the pod is unknown.
   */
  podSource?: 'annotations' | 'sandbox-name';
  containerId?: string;
  /** The image the container ran, by name. */
  image?: string;
  /** The image ID in the node's storage (64 hex, or `sha256:` + 64 hex), which restore resolves locally. */
  imageId?: string;
  /** The image by repo digest (`name@sha256:…`): containerd pulls it when the base image is missing. */
  imageRef?: string;
  /** The runtime as the engine names it: `runc`/`crun` (CRI-O, Podman), `io.containerd.runc.v2` (containerd's shim). */
  runtime?: string;
  /** The OCI runtime that ran the container: `runc` under containerd's `io.containerd.runc.v2` shim. */
  ociRuntime?: string;
  hostname?: string;
  ip?: string;
  createdAt?: string;
  checkpointedAt?: string;
  /** True when the checkpointed container was itself restored from a checkpoint. */
  restored?: boolean;
}

/** Names of the container log member, per engine (all in the CRI log format). */
export const LOG_MEMBERS: Record<Engine, string> = {
  'cri-o': 'io.kubernetes.cri-o.LogPath',
  podman: 'ctr.log',
  containerd: 'container.log',
};

export interface ArchiveMetadata {
  info: CheckpointInfo;
  spec: SpecDump;
  config?: ConfigDump;
}

export function detectEngine(spec: SpecDump): Engine {
  const manager = spec.annotations?.['io.container.manager'];
  if (manager === 'libpod') return 'podman';
  if (manager === 'cri-o') return 'cri-o';
  return 'containerd';
}

/** CRI-O's `io.kubernetes.cri-o.Metadata` annotation: the CRI container metadata, as JSON. */
const crioMetadataSchema = z.looseObject({ name: z.string().optional() });

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Go writes the zero time for "never"; that is not a time worth showing. */
function realTime(value: string | undefined): string | undefined {
  return value && !value.startsWith('0001-01-01') ? value : undefined;
}

type PodIdentity = Pick<CheckpointInfo, 'pod' | 'namespace' | 'podUid' | 'podSource'>;

/**
 * CRI-O names every sandbox `k8s_<pod>_<namespace>_<uid>_<attempt>` and every container
 * `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`. Pod names, namespaces and UIDs cannot hold
 * `_` (DNS names, UUIDs), so the split is exact.
 */
export function parseCrioSandboxName(
  sandboxName: string | undefined,
  containerName?: string,
): { pod: string; namespace: string; podUid: string } | undefined {
  const sandbox = sandboxName && /^k8s_([^_]+)_([^_]+)_([^_]+)_\d+$/.exec(sandboxName);
  if (sandbox) return { pod: sandbox[1]!, namespace: sandbox[2]!, podUid: sandbox[3]! };
  const container = containerName && /^k8s_[^_]+_([^_]+)_([^_]+)_([^_]+)_\d+$/.exec(containerName);
  if (container) return { pod: container[1]!, namespace: container[2]!, podUid: container[3]! };
  return undefined;
}

/** The kubelet's labels when present, else CRI-O's own sandbox naming (crictl-made archives). */
function crioPod(a: Record<string, string>): PodIdentity {
  const labelled = a['io.kubernetes.pod.name'];
  if (labelled) {
    return {
      pod: labelled,
      namespace: a['io.kubernetes.pod.namespace'],
      podUid: a['io.kubernetes.pod.uid'],
      podSource: 'annotations',
    };
  }
  const named = parseCrioSandboxName(a['io.kubernetes.cri-o.SandboxName'], a['io.kubernetes.cri-o.Name']);
  return named ? { ...named, podSource: 'sandbox-name' } : {};
}

/** containerd's `status` times are Unix nanoseconds, 0 for "never". */
function nanosTime(value: number | undefined): string | undefined {
  return value !== undefined && value > 0 ? new Date(Math.floor(value / 1e6)).toISOString() : undefined;
}

/**
 * containerd names the shim (`io.containerd.runc.v2`, `io.containerd.runsc.v1`); the OCI runtime
 * is the shim's middle word. A runc shim pointed at crun through its BinaryName option would still
 * read as runc: the archive does not record that option.
 */
export function ociRuntimeOf(runtime: string | undefined): string | undefined {
  if (!runtime) return undefined;
  return /^io\.containerd\.([a-z0-9-]+)\.v\d+$/.exec(runtime)?.[1] ?? runtime;
}

/** An image ID as runtimes store it (`sha256:` + 64 hex, or the bare hex), not a repo digest. */
function imageIdOnly(value: string | undefined): string | undefined {
  return value && /^(sha256:)?[0-9a-f]{64}$/.test(value) ? value : undefined;
}

/** Drops the fields that are undefined, so JSON and equality checks see only the facts found. */
function clean(info: CheckpointInfo): CheckpointInfo {
  const out: CheckpointInfo = { ...info };
  for (const key of Object.keys(out) as (keyof CheckpointInfo)[]) if (out[key] === undefined) delete out[key];
  return out;
}

/** Reads spec.dump (required) and config.dump, and derives the container facts for the detected engine. */
export async function readMetadata(archive: CheckpointArchive): Promise<ArchiveMetadata> {
  archive.require(
    'spec.dump',
    'every container checkpoint holds spec.dump; this archive is incomplete or not a checkpoint',
  );
  const spec = await readJsonMember(archive, 'spec.dump', specDumpSchema);
  const config = await readOptionalJson(archive, 'config.dump', configDumpSchema);
  const engine = detectEngine(spec);
  const a = spec.annotations ?? {};
  const checkpointMember = archive.member('stats-dump') ?? archive.member('checkpoint/inventory.img');

  const common = {
    engine,
    containerId: nonEmpty(config?.id),
    runtime: nonEmpty(config?.runtime),
    ociRuntime: ociRuntimeOf(nonEmpty(config?.runtime)),
    hostname: nonEmpty(spec.hostname),
    restored: config?.restored,
  };

  if (engine === 'podman') {
    const network = await readOptionalJson(archive, 'network.status', networkStatusSchema);
    const firstSubnet = Object.values(network ?? {})
      .flatMap((n) => Object.values(n.interfaces ?? {}))
      .flatMap((i) => i.subnets ?? [])[0];
    return {
      spec,
      config,
      info: clean({
        ...common,
        container: config?.name ?? spec.hostname ?? 'unknown',
        image: nonEmpty(config?.rootfsImageName) ?? nonEmpty(config?.RawImageName),
        imageId: nonEmpty(config?.rootfsImageID),
        ip: firstSubnet?.ipnet.split('/')[0],
        createdAt: realTime(config?.createdTime),
        // Podman's config.dump has no checkpoint time; the archive members carry it.
        checkpointedAt: realTime(config?.checkpointedTime) ?? checkpointMember?.mtime.toISOString(),
      }),
    };
  }

  if (engine === 'cri-o') {
    const metadata = tryParseJsonWith(crioMetadataSchema, a['io.kubernetes.cri-o.Metadata']);
    const pod = crioPod(a);
    return {
      spec,
      config,
      info: clean({
        ...common,
        container: metadata?.name ?? a['io.kubernetes.container.name'] ?? config?.name ?? 'unknown',
        ...pod,
        containerId: nonEmpty(config?.id) ?? a['io.kubernetes.cri-o.ContainerID'],
        image:
          nonEmpty(config?.rootfsImageName) ??
          a['io.kubernetes.cri-o.ImageName'] ??
          nonEmpty(config?.rootfsImage),
        imageId: nonEmpty(config?.rootfsImageRef) ?? a['io.kubernetes.cri-o.ImageRef'],
        ip: a['io.kubernetes.cri-o.IP.0'],
        createdAt: realTime(a['io.kubernetes.cri-o.Created']) ?? realTime(config?.createdTime),
        checkpointedAt: realTime(config?.checkpointedTime) ?? checkpointMember?.mtime.toISOString(),
      }),
    };
  }

  // containerd 2.x: `status` is its own store's record (times in nanoseconds), `status.dump` the CRI
  // ContainerStatus; config.dump's rootfsImageRef is the repo digest, status.dump's image_id the ID.
  const status = await readOptionalJson(archive, 'status', containerdStatusSchema);
  const criStatus = await readOptionalJson(archive, 'status.dump', criStatusDumpSchema);
  return {
    spec,
    config,
    info: clean({
      ...common,
      container:
        a['io.kubernetes.cri.container-name'] ??
        nonEmpty(criStatus?.metadata?.name) ??
        a['io.kubernetes.container.name'] ??
        config?.name ??
        'unknown',
      pod: a['io.kubernetes.cri.sandbox-name'] ?? a['io.kubernetes.pod.name'],
      namespace: a['io.kubernetes.cri.sandbox-namespace'] ?? a['io.kubernetes.pod.namespace'],
      podUid: a['io.kubernetes.cri.sandbox-uid'] ?? a['io.kubernetes.pod.uid'],
      image:
        nonEmpty(config?.rootfsImageName) ??
        a['io.kubernetes.cri.image-name'] ??
        nonEmpty(criStatus?.image?.image) ??
        nonEmpty(config?.rootfsImage),
      imageId: imageIdOnly(criStatus?.image_id) ?? imageIdOnly(config?.rootfsImageRef),
      imageRef: [config?.rootfsImageRef, criStatus?.image_ref].find((r) => r?.includes('@')),
      createdAt: realTime(config?.createdTime) ?? nanosTime(status?.CreatedAt),
      checkpointedAt: realTime(config?.checkpointedTime) ?? checkpointMember?.mtime.toISOString(),
    }),
  };
}
