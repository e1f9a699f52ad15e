/**
 * `kcr restore`: from an archive (published as a checkpoint image first) or from a checkpoint
 * image, create a Pod pinned to a node that can restore, optionally a Service, and wait for it.
 * Publishing and fetching images belong to the oci module; they are passed in, so that kube
 * depends on archive metadata only.
 */
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import type { CheckpointInfo } from '../archive/index.js';
import { KcrError } from '../errors.js';
import { apiError } from './api-errors.js';
import { KubeClient } from './client.js';
import { checkPodName } from './names.js';
import type { KubeconfigOptions } from './kubeconfig.js';
import { podEvents, waitForRunning } from './pod-status.js';
import { restoreHint } from './restore-hints.js';
import { restoreManifests } from './restore-manifest.js';
import { checkRestoreRuntime, readRestoreNode } from './restore-node.js';
import {
  fetchImageSource,
  inspectImageSource,
  openArchiveSource,
  sourceKind,
  type ImageFacts,
  type ImageFetcher,
  type Source,
} from './restore-source.js';

export type { FetchedImage, ImageFacts, ImageFetcher } from './restore-source.js';

export type PublishFn = (
  archivePath: string,
  reference: string,
  options: { signal?: AbortSignal; sourceNode?: string },
) => Promise<{ reference: string; digest: string }>;

export interface RestoreOptions extends KubeconfigOptions {
  /** An archive path, or a checkpoint image reference. */
  source: string;
  name?: string;
  namespace?: string;
  node?: string;
  /** Repository to publish an archive to (REGISTRY/REPOSITORY[:TAG]). */
  registry?: string;
  expose?: number[];
  wait?: boolean;
  timeoutSeconds?: number;
  dryRun?: boolean;
  publish?: PublishFn;
  /** Reads checkpoint images (restore IMAGE_REF): the manifest first, the layer last. */
  images?: ImageFetcher;
  signal?: AbortSignal;
  onEvent?: (event: RestoreEvent) => void;
  pollIntervalMs?: number;
}

export type RestoreEvent =
  | { type: 'publishing'; reference: string }
  | { type: 'published'; image: string }
  | { type: 'pulling'; image: string }
  | { type: 'created'; kind: 'Pod' | 'Service'; namespace: string; name: string }
  | { type: 'waiting'; namespace: string; name: string };

export interface RestoreResult {
  image: string;
  node: string;
  pod: V1Pod;
  service?: V1Service;
  warnings: string[];
  dryRun: boolean;
  /** True once the pod was seen Running (with --wait). */
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

function repositoryOf(reference: string): string {
  const slash = reference.lastIndexOf('/');
  const last = reference
    .slice(slash + 1)
    .split('@')[0]!
    .split(':')[0]!;
  return reference.slice(0, slash + 1) + last;
}

/** `--registry` for an archive: checked before anything is read, pulled or pushed. */
function publishTarget(o: RestoreOptions): string {
  if (!o.registry) {
    throw new KcrError('usage', `restoring ${o.source} needs --registry REGISTRY/REPOSITORY`, {
      hint: 'the node pulls the checkpoint as an image: kcr pushes it there first',
    });
  }
  if (!o.registry.includes('/'))
    throw new KcrError(
      'usage',
      `--registry ${o.registry}: give REGISTRY/REPOSITORY, e.g. registry.example.com/checkpoints`,
    );
  if (!o.dryRun && !o.publish)
    throw new KcrError('usage', 'publishing checkpoint images is not available here');
  return o.registry;
}

async function checkpointImage(o: RestoreOptions, src: Source): Promise<string> {
  if (src.image) return src.image;
  const registry = publishTarget(o);
  const lastSegment = registry.slice(registry.lastIndexOf('/') + 1);
  const reference = lastSegment.includes(':') ? registry : `${registry}:${checkpointTag(src.info)}`;
  if (o.dryRun) return reference;
  o.onEvent?.({ type: 'publishing', reference });
  // The node the checkpoint was taken on, as the saved Pod records it; not the restore target.
  const sourceNode = src.savedPod?.spec?.nodeName;
  const pushed = await o.publish!(src.archivePath, reference, {
    signal: o.signal,
    ...(sourceNode ? { sourceNode } : {}),
  });
  // By digest, so the node runs exactly what was pushed (a tag and a digest together confuse containers/image).
  const image = `${repositoryOf(pushed.reference)}@${pushed.digest}`;
  o.onEvent?.({ type: 'published', image });
  return image;
}

async function create(
  client: KubeClient,
  pod: V1Pod,
  service: V1Service | undefined,
  o: RestoreOptions,
): Promise<void> {
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
  o.onEvent?.({ type: 'created', kind: 'Pod', namespace: ns, name: pod.metadata!.name! });
  if (!service) return;
  try {
    await client.core.createNamespacedService({ namespace: ns, body: service });
  } catch (err) {
    // Nothing half-done: the pod goes again, so that a retry does not meet "already exists".
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
  o.onEvent?.({ type: 'created', kind: 'Service', namespace: ns, name: service.metadata!.name! });
}

/** Waits for Running; a failure comes back with the pod's events and what they mean. */
async function waitRestored(
  client: KubeClient,
  pod: V1Pod,
  image: string,
  baseImage: string | undefined,
  o: RestoreOptions,
): Promise<void> {
  const ns = pod.metadata!.namespace!;
  const name = pod.metadata!.name!;
  const node = pod.spec!.nodeName!;
  o.onEvent?.({ type: 'waiting', namespace: ns, name });
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

function validate(o: RestoreOptions): void {
  if (o.timeoutSeconds !== undefined && !(o.timeoutSeconds > 0))
    throw new KcrError('usage', `--timeout ${o.timeoutSeconds}: must be above 0`);
  if (o.name !== undefined) checkPodName(o.name);
}

/** The node to restore on: --node, else where the checkpoint was taken (saved Pod, or image annotation). */
function chooseNode(o: RestoreOptions, src: Source | undefined, facts: ImageFacts | undefined): string {
  const node = o.node ?? src?.savedPod?.spec?.nodeName ?? facts?.sourceNode;
  if (!node) {
    throw new KcrError('usage', `which node should restore ${o.source}? it does not say where it ran`, {
      hint: 'pass --node NODE (a node with CRI-O >= 1.25 or containerd >= 2.0)',
    });
  }
  return node;
}

/**
 * Cheap checks first, the expensive part last: flags, the kubeconfig, the image's manifest and the
 * target node are all checked before an image is pulled or pushed, so that a typo costs seconds,
 * not a GiB transfer.
 */
export async function restore(o: RestoreOptions): Promise<RestoreResult> {
  validate(o);
  const kind = await sourceKind(o.source, o.images);
  if (kind === 'archive') publishTarget(o);
  // A dry run creates nothing, but it still reads the target node: whether its runtime can restore
  // this checkpoint is the question a dry run is for.
  const client = KubeClient.fromKubeconfig(o);
  const facts = kind === 'image' ? await inspectImageSource(o.images!, o.source, o.signal) : undefined;
  let src = kind === 'archive' ? await openArchiveSource(o.source) : undefined;
  try {
    const node = chooseNode(o, src, facts);
    const target = await readRestoreNode(client, node, '--node');
    // An image's annotations name its engine: a wrong node is refused before the layer is pulled.
    if (!src && facts?.engine) checkRestoreRuntime(target, { engine: facts.engine }, '--node');
    if (!src) {
      o.onEvent?.({ type: 'pulling', image: facts!.image });
      src = await fetchImageSource(o.images!, facts!, o.signal);
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
    const image = await checkpointImage(o, loaded);
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
    await create(client, pod, service, o);
    if (o.wait) {
      await waitRestored(client, pod, image, loaded.info.image, o);
      result.running = true;
    }
    return result;
  } finally {
    await src?.dispose();
  }
}
