/**
 * `kcr checkpoint`: resolve pods and containers, ask each node's kubelet to checkpoint them (at
 * most `parallel` at once), and optionally copy each archive here with the Pod object beside it.
 */
import { setMaxListeners } from 'node:events';
import { access, constants, mkdir } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { KcrError, fileError, isKcrError } from '../errors.js';
import { apiError } from './api-errors.js';
import { requestCheckpoint } from './checkpoint-call.js';
import { KubeClient } from './client.js';
import { mapLimit } from './concurrency.js';
import { copyFromNode, copyLocalFile, type CopyProgress, type CopyResult } from './copy.js';
import { isDirectory, writePrivateFile } from './files.js';
import { DEFAULT_HELPER_IMAGE, type HelperPod } from './helper-pod.js';
import { hasKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
import {
  DirectKubelet,
  kubeletUrlForNode,
  ProxiedKubelet,
  type KubeletEndpoint,
  type KubeletTlsOptions,
  type KubeletVia,
} from './kubelet.js';
import { ApiServerPods, assertRunning, chooseContainers, KubeletPods, type PodSource } from './resolve.js';

export interface CheckpointOptions extends KubeconfigOptions {
  namespace?: string;
  /** A pod name, or `selector`: exactly one of them. */
  pod?: string;
  selector?: string;
  container?: string;
  allContainers?: boolean;
  timeoutSeconds?: number;
  /** Copy archives here: a file (one target) or a directory. */
  output?: string;
  /**
   * Without `output`: the directory to save each Pod object in, as `<archive file name>.pod.json`
   * (the CLI passes its working directory). Unset, only kcr running on the node itself saves it,
   * beside the archive.
   */
  podJsonDir?: string;
  via?: KubeletVia;
  kubeletUrl?: string;
  kubeletTls?: KubeletTlsOptions;
  parallel?: number;
  helperImage?: string;
  helperNamespace?: string;
  signal?: AbortSignal;
  onEvent?: (event: CheckpointEvent) => void;
  /** How often to poll the helper pod; tests shorten it. */
  pollIntervalMs?: number;
}

export interface CheckpointTarget {
  namespace: string;
  pod: string;
  container: string;
  node: string;
}

export interface LocalCopy extends CopyResult {
  /** The Pod object saved beside the archive, which restore uses. */
  podJson: string;
}

export interface CheckpointOutcome {
  target: CheckpointTarget;
  via: KubeletVia;
  /** Archive path on the node. */
  archive?: string;
  copy?: LocalCopy;
  /** Where the Pod object was saved when the archive was not copied (with a copy: `copy.podJson`). */
  podJson?: string;
  error?: KcrError;
}

export type CheckpointEvent =
  | { type: 'checkpointing'; target: CheckpointTarget }
  | { type: 'checkpointed'; target: CheckpointTarget; archive: string }
  | { type: 'failed'; target: CheckpointTarget; error: KcrError }
  | { type: 'helper-pod'; target: CheckpointTarget; pod: HelperPod }
  | { type: 'copy-progress'; target: CheckpointTarget; progress: CopyProgress }
  | { type: 'copied'; target: CheckpointTarget; copy: LocalCopy }
  | { type: 'warning'; message: string };

interface Planned {
  target: CheckpointTarget;
  pod: V1Pod;
  error?: KcrError;
}

/** Everything a run needs once the flags have been checked. */
interface Session {
  options: CheckpointOptions;
  via: KubeletVia;
  client?: KubeClient;
  kubelets: Map<string, Promise<KubeletEndpoint>>;
  outputDir?: string;
}

function validate(o: CheckpointOptions): void {
  if (Boolean(o.pod) === Boolean(o.selector)) {
    throw new KcrError(
      'usage',
      o.pod ? 'give a pod name or -l SELECTOR, not both' : 'which pod? give a pod name or -l SELECTOR',
      {
        hint: 'kcr checkpoint POD [-c CONTAINER] or kcr checkpoint -l app=web',
      },
    );
  }
  if (o.container && o.allContainers)
    throw new KcrError('usage', '-c and --all-containers exclude each other');
  if (o.timeoutSeconds !== undefined && (!Number.isInteger(o.timeoutSeconds) || o.timeoutSeconds <= 0)) {
    throw new KcrError('usage', `--timeout ${o.timeoutSeconds}: must be a whole number of seconds above 0`);
  }
  if (o.parallel !== undefined && (!Number.isInteger(o.parallel) || o.parallel < 1)) {
    throw new KcrError('usage', `--parallel ${o.parallel}: must be a whole number above 0`);
  }
}

function openSession(o: CheckpointOptions): Session {
  const via: KubeletVia = o.via ?? (o.kubeletUrl ? 'kubelet' : 'apiserver');
  if (via === 'apiserver' && o.kubeletUrl) {
    throw new KcrError('usage', '--kubelet-url needs --via kubelet', {
      hint: 'drop --via apiserver, or drop --kubelet-url',
    });
  }
  // Direct kubelet access works on a node without a kubeconfig; the API server path always needs one.
  const needClient = via === 'apiserver' || hasKubeconfig(o) || !o.kubeletUrl;
  const client = needClient ? KubeClient.fromKubeconfig(o) : undefined;
  return { options: o, via, client, kubelets: new Map() };
}

function podSource(s: Session): PodSource {
  if (s.client) return new ApiServerPods(s.client);
  return new KubeletPods(directKubelet(s, ''));
}

async function directKubeletFor(s: Session, node: string): Promise<KubeletEndpoint> {
  let url = s.options.kubeletUrl;
  if (!url) {
    const client = s.client!;
    const nodeObject = await client.core.readNode({ name: node }).catch((err: unknown) => {
      throw apiError(err, `node ${node}`, client.server);
    });
    url = kubeletUrlForNode(nodeObject);
    if (!url)
      throw new KcrError('not-found', `node ${node} reports no address for its kubelet`, {
        hint: 'pass --kubelet-url https://ADDRESS:10250',
      });
  }
  return DirectKubelet.create(node, url, s.options.kubeletTls ?? {});
}

function directKubelet(s: Session, node: string): KubeletEndpoint {
  // Only used for listing pods before the node is known; the URL is then required.
  const url = s.options.kubeletUrl!;
  let created: Promise<DirectKubelet> | undefined;
  const lazy = () => (created ??= DirectKubelet.create(node, url, s.options.kubeletTls ?? {}));
  return {
    via: 'kubelet',
    node,
    server: url,
    request: async (req) => (await lazy()).request(req),
  };
}

function kubeletFor(s: Session, node: string): Promise<KubeletEndpoint> {
  let endpoint = s.kubelets.get(node);
  if (!endpoint) {
    endpoint =
      s.via === 'apiserver'
        ? Promise.resolve(new ProxiedKubelet(s.client!, node))
        : directKubeletFor(s, node);
    s.kubelets.set(node, endpoint);
  }
  return endpoint;
}

async function findPods(s: Session, namespace: string): Promise<V1Pod[]> {
  const source = podSource(s);
  const o = s.options;
  if (o.pod) return [await source.getPod(namespace, o.pod)];
  const pods = await source.listPods(namespace, o.selector!);
  if (pods.length === 0) {
    throw new KcrError('not-found', `no pods in namespace ${namespace} match -l ${o.selector}`, {
      hint: 'check the labels with `kubectl get pods --show-labels`',
    });
  }
  return pods;
}

/** One entry per container; with a selector, a pod that cannot be checkpointed becomes an error entry. */
function plan(pods: V1Pod[], o: CheckpointOptions): Planned[] {
  const single = pods.length === 1 && o.pod !== undefined;
  return pods.flatMap((pod): Planned[] => {
    const namespace = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    try {
      const containers = chooseContainers(pod, o);
      return containers.map((container) => {
        try {
          return { pod, target: { namespace, pod: name, container, node: assertRunning(pod, container) } };
        } catch (err) {
          if (single || !isKcrError(err)) throw err;
          return {
            pod,
            target: { namespace, pod: name, container, node: pod.spec?.nodeName ?? '' },
            error: err,
          };
        }
      });
    } catch (err) {
      if (single || !isKcrError(err)) throw err;
      return [
        {
          pod,
          target: { namespace, pod: name, container: o.container ?? '', node: pod.spec?.nodeName ?? '' },
          error: err,
        },
      ];
    }
  });
}

async function resolveOutputDir(o: CheckpointOptions, count: number): Promise<string | undefined> {
  if (!o.output) return undefined;
  const wantsDir = o.output.endsWith('/') || (await isDirectory(o.output));
  if (!wantsDir && count > 1) {
    throw new KcrError('usage', `-o ${o.output}: ${count} archives need a directory`, {
      hint: 'pass an existing directory, or end the path with /',
    });
  }
  if (wantsDir) {
    await mkdir(o.output, { recursive: true }).catch((err: unknown) => {
      throw fileError(o.output!, err, 'cannot create');
    });
    return o.output;
  }
  if (!(await isDirectory(dirname(o.output)))) {
    throw new KcrError('not-found', `-o ${o.output}: the directory ${dirname(o.output)} does not exist`, {
      hint: 'create it first, or name a path in an existing directory',
    });
  }
  return undefined;
}

function destinationFor(s: Session, nodePath: string): string | undefined {
  if (!s.options.output) return undefined;
  return s.outputDir ? join(s.outputDir, posix.basename(nodePath)) : s.options.output;
}

async function readableHere(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function podJson(pod: V1Pod): string {
  return JSON.stringify({ ...pod, apiVersion: 'v1', kind: 'Pod' }, null, 2) + '\n';
}

async function copyArchive(
  s: Session,
  p: Planned,
  nodePath: string,
  destination: string,
): Promise<LocalCopy> {
  const o = s.options;
  const emit = o.onEvent ?? (() => undefined);
  const onProgress = (progress: CopyProgress) => emit({ type: 'copy-progress', target: p.target, progress });
  let copy: CopyResult;
  if (s.via === 'kubelet' && (await readableHere(nodePath))) {
    copy = await copyLocalFile(nodePath, destination, onProgress, o.signal);
  } else {
    if (!s.client) {
      throw new KcrError(
        'usage',
        `${nodePath} is on node ${p.target.node}, and copying it needs a kubeconfig`,
        { hint: 'pass --kubeconfig, or run kcr on that node' },
      );
    }
    copy = await copyFromNode(s.client, {
      namespace: o.helperNamespace ?? p.target.namespace,
      node: p.target.node,
      nodePath,
      destination,
      helperImage: o.helperImage ?? DEFAULT_HELPER_IMAGE,
      signal: o.signal,
      onProgress,
      onHelperPod: (pod) => emit({ type: 'helper-pod', target: p.target, pod }),
      onWarning: (message) => emit({ type: 'warning', message }),
      pollIntervalMs: o.pollIntervalMs,
    });
  }
  const saved = `${copy.path}.pod.json`;
  await writePrivateFile(saved, podJson(p.pod));
  return { ...copy, podJson: saved };
}

/**
 * Without -o the archive stays on the node, but the Pod object is saved now, because restore
 * needs it later and the pod may be gone by then: beside the archive when kcr runs on the node
 * itself, else in `podJsonDir`. A failure here is a warning: the checkpoint itself succeeded.
 */
async function savePodObject(s: Session, p: Planned, archive: string): Promise<string | undefined> {
  const onNode = s.via === 'kubelet' && (await readableHere(archive));
  const dir = onNode ? posix.dirname(archive) : s.options.podJsonDir;
  if (!dir) return undefined;
  const path = join(dir, `${posix.basename(archive)}.pod.json`);
  try {
    await writePrivateFile(path, podJson(p.pod));
    return path;
  } catch (err) {
    const why = isKcrError(err) ? err.message : String(err);
    s.options.onEvent?.({
      type: 'warning',
      message: `the Pod object of ${p.target.namespace}/${p.target.pod} was not saved (${why}); restore will rebuild it from the archive's spec.dump`,
    });
    return undefined;
  }
}

async function runOne(s: Session, p: Planned): Promise<CheckpointOutcome> {
  const o = s.options;
  const emit = o.onEvent ?? (() => undefined);
  const outcome: CheckpointOutcome = { target: p.target, via: s.via };
  if (p.error) return { ...outcome, error: p.error };
  try {
    emit({ type: 'checkpointing', target: p.target });
    const kubelet = await kubeletFor(s, p.target.node);
    outcome.archive = await requestCheckpoint(kubelet, {
      ...p.target,
      timeoutSeconds: o.timeoutSeconds,
      signal: o.signal,
    });
    emit({ type: 'checkpointed', target: p.target, archive: outcome.archive });
    const destination = destinationFor(s, outcome.archive);
    if (destination) {
      outcome.copy = await copyArchive(s, p, outcome.archive, destination);
      emit({ type: 'copied', target: p.target, copy: outcome.copy });
    } else {
      const saved = await savePodObject(s, p, outcome.archive);
      if (saved) outcome.podJson = saved;
    }
    return outcome;
  } catch (err) {
    if (!isKcrError(err)) throw err;
    emit({ type: 'failed', target: p.target, error: err });
    return { ...outcome, error: err };
  }
}

/**
 * Every request in flight listens on the caller's signal; with --parallel above a few that passes
 * Node's default of 10 listeners, so the tasks share one linked signal with a matching limit. The
 * one listener on the caller's signal is removed when the run ends (dispose): a long-lived signal
 * (the server's, a test's) must not collect one per run.
 */
function fanOutSignal(
  signal: AbortSignal | undefined,
  parallel: number,
): { signal: AbortSignal | undefined; dispose: () => void } {
  if (!signal) return { signal: undefined, dispose: () => {} };
  const linked = new AbortController();
  setMaxListeners(parallel * 4 + 10, linked.signal);
  const forward = () => linked.abort(signal.reason);
  if (signal.aborted) linked.abort(signal.reason);
  else signal.addEventListener('abort', forward, { once: true });
  return { signal: linked.signal, dispose: () => signal.removeEventListener('abort', forward) };
}

/** Checkpoints the selected containers; one failed target does not stop the others. */
export async function checkpoint(input: CheckpointOptions): Promise<CheckpointOutcome[]> {
  validate(input);
  const fanOut = fanOutSignal(input.signal, input.parallel ?? 4);
  try {
    return await checkpointAll({ ...input, signal: fanOut.signal });
  } finally {
    fanOut.dispose();
  }
}

async function checkpointAll(options: CheckpointOptions): Promise<CheckpointOutcome[]> {
  const s = openSession(options);
  const namespace = options.namespace ?? s.client?.defaultNamespace ?? 'default';
  const planned = plan(await findPods(s, namespace), options);
  if (s.via === 'kubelet' && options.kubeletUrl) {
    const nodes = new Set(planned.filter((p) => !p.error).map((p) => p.target.node));
    if (nodes.size > 1) {
      throw new KcrError(
        'usage',
        `--kubelet-url names one kubelet, but the pods run on ${nodes.size} nodes (${[...nodes].join(', ')})`,
        {
          hint: "omit --kubelet-url to use each node's own kubelet address, or narrow the selector",
        },
      );
    }
  }
  s.outputDir = await resolveOutputDir(options, planned.length);
  const outcomes = await mapLimit(planned, options.parallel ?? 4, (p) => runOne(s, p), options.signal);
  if (options.signal?.aborted) throw new KcrError('cancelled', 'checkpoint cancelled');
  return outcomes;
}
