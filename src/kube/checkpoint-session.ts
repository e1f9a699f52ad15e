/**
 * The Kubernetes half of `kcr checkpoint`: resolve pods and containers (by name or label
 * selector), then ask each node's kubelet, through the API server's node proxy or directly, to
 * checkpoint one container, and copy an archive off its node through a helper pod. Where archives
 * and Pod objects go on the local disk is the caller's business (ops/checkpoint.ts).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { KcrError, isKcrError } from '../errors.js';
import { apiError } from './api-errors.js';
import { requestCheckpoint } from './checkpoint-call.js';
import { KubeClient } from './client.js';
import { copyFromNode, type CopyProgress, type CopyResult } from './copy.js';
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

/** Which containers to checkpoint, and how to reach their kubelets. */
export interface CheckpointSelection extends KubeconfigOptions {
  namespace?: string;
  /** A pod name, or `selector`: exactly one of them. */
  pod?: string;
  selector?: string;
  container?: string;
  allContainers?: boolean;
  /** Seconds the kubelet may take (its default: runtimeRequestTimeout, 2 minutes). */
  timeoutSeconds?: number;
  via?: KubeletVia;
  kubeletUrl?: string;
  kubeletTls?: KubeletTlsOptions;
}

export interface CheckpointTarget {
  namespace: string;
  pod: string;
  container: string;
  node: string;
}

/** One container to checkpoint, with its Pod object; with a selector, a pod that cannot be checkpointed carries its error. */
export interface PlannedCheckpoint {
  target: CheckpointTarget;
  pod: V1Pod;
  error?: KcrError;
}

export interface NodeCopyOptions {
  /** Namespace for the helper pod (default: the target's). */
  helperNamespace?: string;
  helperImage?: string;
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
  onHelperPod?: (pod: HelperPod) => void;
  onWarning?: (message: string) => void;
  /** How often to poll the helper pod; tests shorten it. */
  pollIntervalMs?: number;
}

interface Session {
  options: CheckpointSelection;
  via: KubeletVia;
  client?: KubeClient;
  kubelets: Map<string, Promise<KubeletEndpoint>>;
}

function validate(o: CheckpointSelection): void {
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
}

function openSession(o: CheckpointSelection): Session {
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

function checkOneKubelet(s: Session, planned: PlannedCheckpoint[]): void {
  if (s.via !== 'kubelet' || !s.options.kubeletUrl) return;
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

/**
 * A checkpoint run against one cluster: the pods are resolved once (open), then each planned
 * container is checkpointed and, if the caller wants, copied off its node.
 */
export class CheckpointSession {
  private constructor(
    private readonly s: Session,
    readonly namespace: string,
    readonly planned: PlannedCheckpoint[],
  ) {}

  /** Checks the selection, then finds the pods and picks their containers; nothing is checkpointed yet. */
  static async open(options: CheckpointSelection): Promise<CheckpointSession> {
    validate(options);
    const s = openSession(options);
    const namespace = options.namespace ?? s.client?.defaultNamespace ?? 'default';
    const planned = plan(await findPods(s, namespace), options);
    checkOneKubelet(s, planned);
    return new CheckpointSession(s, namespace, planned);
  }

  get via(): KubeletVia {
    return this.s.via;
  }

  /** Asks the target's kubelet to checkpoint it; returns the archive path on the node. */
  async checkpoint(target: CheckpointTarget, signal?: AbortSignal): Promise<string> {
    const kubelet = await kubeletFor(this.s, target.node);
    return requestCheckpoint(kubelet, {
      ...target,
      timeoutSeconds: this.s.options.timeoutSeconds,
      signal,
    });
  }

  /** Copies `nodePath` from the target's node to the local file `destination` through a helper pod. */
  async copyFromNode(
    target: CheckpointTarget,
    nodePath: string,
    destination: string,
    o: NodeCopyOptions = {},
  ): Promise<CopyResult> {
    if (!this.s.client) {
      throw new KcrError(
        'usage',
        `${nodePath} is on node ${target.node}, and copying it needs a kubeconfig`,
        {
          hint: 'pass --kubeconfig, or run kcr on that node',
        },
      );
    }
    return copyFromNode(this.s.client, {
      namespace: o.helperNamespace ?? target.namespace,
      node: target.node,
      nodePath,
      destination,
      helperImage: o.helperImage ?? DEFAULT_HELPER_IMAGE,
      signal: o.signal,
      onProgress: o.onProgress,
      onHelperPod: o.onHelperPod,
      onWarning: o.onWarning,
      pollIntervalMs: o.pollIntervalMs,
    });
  }
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
function plan(pods: V1Pod[], o: CheckpointSelection): PlannedCheckpoint[] {
  const single = pods.length === 1 && o.pod !== undefined;
  return pods.flatMap((pod): PlannedCheckpoint[] => {
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
