/**
 * Restore: from an archive (published as a checkpoint image first) or from a checkpoint image,
 * create a Pod pinned to a node that can restore, optionally a Service, and wait for it.
 */
import type { KeyObject } from 'node:crypto';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { ENGINE_NAMES, restorersOf, type CheckpointInfo, type Restorer } from '../archive/index.js';
import { KcrError } from '../errors.js';
import {
  checkPodName,
  createRestoredPod,
  createRestoredService,
  KubeClient,
  readRestoreNode,
  checkRestoreRuntime,
  restoreManifests,
  waitRestored,
  type KubeconfigOptions,
} from '../kube/index.js';
import {
  publishCheckpointImage,
  withDigest,
  withTag,
  type ImageReference,
  type RegistryOptions,
} from '../oci/index.js';
import { emitter, type OpEvent, type OpOptions } from './events.js';
import {
  fetchImageSource,
  inspectImageSource,
  openArchiveSource,
  type ImageAccess,
  type ImageFacts,
  type RestoreSource,
  type Source,
} from './restore-source.js';

export interface RestoreOptions extends KubeconfigOptions, OpOptions {
  source: RestoreSource;
  /** Name of the new pod (default: the original pod's). */
  name?: string;
  /** Namespace of the new pod (default: the original one). */
  namespace?: string;
  /** Node to restore on (default: the node it was checkpointed on). */
  node?: string;
  /**
   * Where an archive's checkpoint image is pushed, `REGISTRY/REPOSITORY[:TAG]` (oci's
   * parseRepository); without a tag, the tag is CONTAINER-TIME (checkpointTag). Needed for an archive.
   */
  repository?: ImageReference;
  /** Credentials, CA and --insecure for pushing and pulling checkpoint images. */
  registry?: RegistryOptions;
  /**
   * Private keys for an encrypted (ocicrypt) checkpoint image: kcr reads its layer for the Pod;
   * the node needs the key too (CRI-O's decryption_keys_path) to run it.
   */
  identities?: readonly KeyObject[];
  expose?: number[];
  wait?: boolean;
  timeoutSeconds?: number;
  /** Read and check everything, create and push nothing; the result holds the objects. */
  dryRun?: boolean;
  pollIntervalMs?: number;
}

export interface RestoreResult {
  /** What the Pod runs: REGISTRY/REPOSITORY@DIGEST (with dryRun for an archive: the tag it would push). */
  image: string;
  node: string;
  pod: V1Pod;
  service?: V1Service;
  warnings: string[];
  dryRun: boolean;
  /** True once the pod was seen Running (with wait). */
  running: boolean;
}

/** A tag that says what and when: `webserver-20261128-160140`. */
export function checkpointTag(info: CheckpointInfo): string {
  const stamp = (info.checkpointedAt ?? '')
    .replace(/\.\d+/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-')
    .replace(/Z|[+-]\d{4}$/, '');
  const name = info.container
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, '-')
    .slice(0, 80);
  return /^\d{8}-\d{6}$/.test(stamp) ? `${name}-${stamp}` : `${name}-checkpoint`;
}

/** The repository for an archive: checked before anything is read, pulled or pushed. */
function publishTarget(o: RestoreOptions): ImageReference {
  if (!o.repository) {
    throw new KcrError(
      'usage',
      `restoring ${describeSource(o.source)} needs --registry REGISTRY/REPOSITORY`,
      {
        hint: 'the node pulls the checkpoint as an image: kcr pushes it there first',
      },
    );
  }
  return o.repository;
}

function describeSource(source: RestoreSource): string {
  return 'archive' in source ? source.archive : source.image.full;
}

function imageAccess(o: RestoreOptions, emit: (e: OpEvent) => void): ImageAccess {
  const env = o.registry?.env ?? o.env;
  return {
    ...o.registry,
    ...(env ? { env } : {}),
    ...(o.identities?.length ? { identities: o.identities } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onProgress: (progress) => emit({ type: 'transfer', progress }),
  };
}

async function checkpointImage(o: RestoreOptions, src: Source, emit: (e: OpEvent) => void): Promise<string> {
  if (src.image) return src.image;
  const repository = publishTarget(o);
  const target = repository.tag ? repository : withTag(repository, checkpointTag(src.info));
  if (o.dryRun) return target.full;
  emit({ type: 'publishing', reference: target.full });
  // The node the checkpoint was taken on, as the saved Pod records it; not the restore target.
  const sourceNode = src.savedPod?.spec?.nodeName;
  const pushed = await publishCheckpointImage(src.archivePath, target, {
    ...imageAccess(o, emit),
    ...(sourceNode ? { sourceNode } : {}),
  });
  // By digest, so the node runs exactly what was pushed (a tag and a digest together confuse containers/image).
  const image = withDigest(target, pushed.digest).full;
  emit({ type: 'published', image });
  return image;
}

function validate(o: RestoreOptions): void {
  if (o.timeoutSeconds !== undefined && !(o.timeoutSeconds > 0))
    throw new KcrError('usage', `--timeout ${o.timeoutSeconds}: must be above 0`);
  if (o.name !== undefined) checkPodName(o.name);
}

const RESTORE_NODE: Record<Restorer, string> = {
  'cri-o': 'CRI-O >= 1.25',
  containerd: 'containerd 2.0 to 2.3',
};

/** The node to restore on: --node, else where the checkpoint was taken (saved Pod, or image annotation). */
function chooseNode(o: RestoreOptions, src: Source | undefined, facts: ImageFacts | undefined): string {
  const node = o.node ?? src?.savedPod?.spec?.nodeName ?? facts?.sourceNode;
  if (!node) {
    // The archive says which runtime can restore it: the hint names that one, or none.
    const can = src ? restorersOf(src.fit) : undefined;
    if (can?.length === 0) {
      throw new KcrError(
        'conflict',
        `no Kubernetes runtime can restore ${describeSource(o.source)}: ${ENGINE_NAMES[src!.info.engine]} wrote it`,
        {
          hint:
            src!.info.engine === 'podman'
              ? 'a Podman checkpoint restores with `podman container restore --import`, not in Kubernetes'
              : 'take a new checkpoint through the kubelet (kcr checkpoint)',
        },
      );
    }
    const runtimes = (can ?? ['cri-o', 'containerd']).map((r) => RESTORE_NODE[r]).join(' or ');
    throw new KcrError(
      'usage',
      `which node should restore ${describeSource(o.source)}? it does not say where it ran`,
      { hint: `pass --node NODE (a node with ${runtimes})` },
    );
  }
  return node;
}

/**
 * Cheap checks first, the expensive part last: options, the kubeconfig, the image's manifest and
 * the target node are all checked before an image is pulled or pushed, so that a typo costs
 * seconds, not a GiB transfer.
 */
export async function restore(o: RestoreOptions): Promise<RestoreResult> {
  validate(o);
  const emit = emitter(o);
  if ('archive' in o.source) publishTarget(o);
  // A dry run creates nothing, but it still reads the target node: whether its runtime can restore
  // this checkpoint is the question a dry run is for.
  const client = KubeClient.fromKubeconfig(o);
  const facts =
    'image' in o.source ? await inspectImageSource(o.source.image, imageAccess(o, emit)) : undefined;
  let src = 'archive' in o.source ? await openArchiveSource(o.source.archive, o.source.pod) : undefined;
  try {
    const node = chooseNode(o, src, facts);
    const target = await readRestoreNode(client, node, '--node');
    // An image's annotations name its engine: a wrong node is refused before the layer is pulled.
    if (!src && facts?.engine) checkRestoreRuntime(target, { engine: facts.engine }, '--node');
    if (!src) {
      emit({ type: 'pulling', image: facts!.image.full });
      src = await fetchImageSource(facts!, imageAccess(o, emit));
    }
    const loaded = src;
    // The archive itself decides, before anything is pushed or created.
    const runtimeWarnings = checkRestoreRuntime(
      target,
      { engine: loaded.info.engine, fit: loaded.fit },
      '--node',
    );
    const namespace =
      o.namespace ??
      loaded.savedPod?.metadata?.namespace ??
      loaded.info.namespace ??
      client?.defaultNamespace;
    const build = (image: string) =>
      restoreManifests({
        info: loaded.info,
        spec: loaded.spec,
        savedPod: loaded.savedPod,
        image,
        node,
        nodeLabels: target.metadata?.labels ?? {},
        name: o.name,
        namespace,
        expose: o.expose,
      });
    // A saved Pod that does not fit the archive or the node fails here, before anything is pushed.
    build('validate');
    const image = await checkpointImage(o, loaded, emit);
    const { pod, service, warnings } = build(image);
    const result: RestoreResult = {
      image,
      node,
      pod,
      ...(service ? { service } : {}),
      warnings: [...runtimeWarnings, ...warnings],
      dryRun: Boolean(o.dryRun),
      running: false,
    };
    if (o.dryRun) return result;
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    await createRestoredPod(client, pod);
    emit({ type: 'created', kind: 'Pod', namespace: ns, name });
    if (service) {
      await createRestoredService(client, pod, service);
      emit({ type: 'created', kind: 'Service', namespace: ns, name: service.metadata!.name! });
    }
    if (o.wait) {
      emit({ type: 'waiting', namespace: ns, name });
      await waitRestored(client, pod, {
        image,
        baseImage: loaded.info.image,
        timeoutSeconds: o.timeoutSeconds,
        pollIntervalMs: o.pollIntervalMs,
        signal: o.signal,
      });
      result.running = true;
      emit({ type: 'running', namespace: ns, name });
    }
    return result;
  } finally {
    await src?.dispose();
  }
}
