/**
 * The annotations every restorer looks for (docs/checkpoint-format.md §E.3 and the second §F):
 * CRI-O checks only its `checkpoint.name`; containerd and checkpointctl read `org.criu.checkpoint.*`;
 * Podman needs both `checkpoint.name` and `checkpoint.runtime.name`, the latter equal to its runtime.
 */
import { ENGINE_NAMES, type CheckpointInfo } from '../archive/index.js';
import type { Annotations } from './media-types.js';

export const ANNOTATIONS = {
  crioName: 'io.kubernetes.cri-o.annotations.checkpoint.name',
  crioRootfsImageName: 'io.kubernetes.cri-o.annotations.checkpoint.rootfsImageName',
  crioRootfsImageId: 'io.kubernetes.cri-o.annotations.checkpoint.rootfsImageID',
  criuContainerName: 'org.criu.checkpoint.container.name',
  criuPodName: 'org.criu.checkpoint.pod.name',
  criuPodNamespace: 'org.criu.checkpoint.pod.namespace',
  criuPodUid: 'org.criu.checkpoint.pod.uid',
  criuEngine: 'org.criu.checkpoint.engine.name',
  criuRootfsImageName: 'org.criu.checkpoint.rootfsImageName',
  criuRootfsImageId: 'org.criu.checkpoint.rootfsImageID',
  criuRuntime: 'org.criu.checkpoint.runtime.name',
  criuVersion: 'org.criu.checkpoint.criu.version',
  criuHostArch: 'org.criu.checkpoint.host.arch',
  podmanName: 'io.podman.annotations.checkpoint.name',
  podmanRuntime: 'io.podman.annotations.checkpoint.runtime.name',
  podmanRootfsImageName: 'io.podman.annotations.checkpoint.rootfsImageName',
  podmanRootfsImageId: 'io.podman.annotations.checkpoint.rootfsImageID',
  created: 'org.opencontainers.image.created',
  refName: 'org.opencontainers.image.ref.name',
  kcrArchiveSha256: 'io.kcr.checkpoint.archive.sha256',
  kcrArchiveSize: 'io.kcr.checkpoint.archive.size',
  kcrSourceNode: 'io.kcr.checkpoint.source.node',
  kcrSourceCompression: 'io.kcr.checkpoint.source.compression',
  kcrCheckpointedAt: 'io.kcr.checkpoint.checkpointed',
  kcrPodUid: 'io.kcr.checkpoint.pod.uid',
} as const;

export interface AnnotationFacts {
  info: CheckpointInfo;
  architecture: string;
  created: string;
  /** `sha256:<hex>` of the uncompressed archive tar, which is what `kcr image pull` gives back. */
  archiveDigest: string;
  archiveSize: number;
  sourceCompression: 'none' | 'gzip' | 'zstd';
  sourceNode?: string;
  criuVersion?: string;
}

export function checkpointAnnotations(facts: AnnotationFacts): Annotations {
  const { info } = facts;
  const entries: [string, string | undefined][] = [
    [ANNOTATIONS.crioName, info.container],
    [ANNOTATIONS.crioRootfsImageName, info.image],
    [ANNOTATIONS.crioRootfsImageId, info.imageId],
    [ANNOTATIONS.criuContainerName, info.container],
    [ANNOTATIONS.criuPodName, info.pod],
    [ANNOTATIONS.criuPodNamespace, info.namespace],
    [ANNOTATIONS.criuPodUid, info.podUid],
    [ANNOTATIONS.criuEngine, ENGINE_NAMES[info.engine]],
    [ANNOTATIONS.criuRootfsImageName, info.image],
    [ANNOTATIONS.criuRootfsImageId, info.imageId],
    [ANNOTATIONS.criuRuntime, info.runtime],
    [ANNOTATIONS.criuVersion, facts.criuVersion],
    [ANNOTATIONS.criuHostArch, facts.architecture],
    [ANNOTATIONS.podmanName, info.container],
    // Podman refuses an image without this one ("image is not a checkpoint"), and compares it with its
    // OCI runtime: `runc`, never containerd's shim name `io.containerd.runc.v2`.
    [ANNOTATIONS.podmanRuntime, info.ociRuntime ?? info.runtime],
    [ANNOTATIONS.podmanRootfsImageName, info.image],
    [ANNOTATIONS.podmanRootfsImageId, info.imageId],
    [ANNOTATIONS.created, facts.created],
    [ANNOTATIONS.kcrArchiveSha256, facts.archiveDigest],
    [ANNOTATIONS.kcrArchiveSize, String(facts.archiveSize)],
    [ANNOTATIONS.kcrSourceNode, facts.sourceNode],
    [
      ANNOTATIONS.kcrSourceCompression,
      facts.sourceCompression === 'none' ? undefined : facts.sourceCompression,
    ],
    [ANNOTATIONS.kcrCheckpointedAt, info.checkpointedAt],
  ];
  const out: Annotations = {};
  for (const [key, value] of entries) if (value !== undefined && value !== '') out[key] = value;
  return out;
}

/** Reads checkpoint facts back from whichever engine's keys an image carries (kcr's, buildah's, Podman's). */
export interface AnnotatedCheckpoint {
  container?: string;
  pod?: string;
  namespace?: string;
  engine?: string;
  runtime?: string;
  rootfsImage?: string;
  rootfsImageId?: string;
  checkpointedAt?: string;
  created?: string;
  archiveDigest?: string;
  archiveSize?: number;
  sourceNode?: string;
}

export function readCheckpointAnnotations(annotations: Annotations): AnnotatedCheckpoint {
  const a = (...keys: string[]) => keys.map((k) => annotations[k]).find((v) => v !== undefined && v !== '');
  const size = a(ANNOTATIONS.kcrArchiveSize);
  const facts: AnnotatedCheckpoint = {
    container: a(ANNOTATIONS.crioName, ANNOTATIONS.criuContainerName, ANNOTATIONS.podmanName),
    pod: a(ANNOTATIONS.criuPodName),
    namespace: a(ANNOTATIONS.criuPodNamespace),
    engine: a(ANNOTATIONS.criuEngine),
    runtime: a(ANNOTATIONS.criuRuntime, ANNOTATIONS.podmanRuntime),
    rootfsImage: a(
      ANNOTATIONS.criuRootfsImageName,
      ANNOTATIONS.crioRootfsImageName,
      ANNOTATIONS.podmanRootfsImageName,
    ),
    rootfsImageId: a(
      ANNOTATIONS.criuRootfsImageId,
      ANNOTATIONS.crioRootfsImageId,
      ANNOTATIONS.podmanRootfsImageId,
    ),
    checkpointedAt: a(ANNOTATIONS.kcrCheckpointedAt),
    created: a(ANNOTATIONS.created),
    archiveDigest: a(ANNOTATIONS.kcrArchiveSha256),
    archiveSize: size !== undefined && /^\d+$/.test(size) ? Number(size) : undefined,
    sourceNode: a(ANNOTATIONS.kcrSourceNode),
  };
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as AnnotatedCheckpoint;
}

export function isCheckpointImage(annotations: Annotations): boolean {
  return [ANNOTATIONS.crioName, ANNOTATIONS.criuContainerName, ANNOTATIONS.podmanName].some(
    (k) => k in annotations,
  );
}
