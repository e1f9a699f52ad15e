/**
 * From what the user typed (a pod name or a selector, maybe -c) to concrete targets: pod,
 * container and the node that runs it. Pods come from the API server, or, on a node without a
 * kubeconfig, from the kubelet's own /pods list.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { KcrError, isKcrError } from '../errors.js';
import { parseJsonWith } from '../util/validate.js';
import { apiError, networkError } from './api-errors.js';
import type { KubeClient } from './client.js';
import { podListSchema } from './documents.js';
import { kubeletTlsHint, type KubeletEndpoint } from './kubelet.js';
import { matchesSelector, parseSelector } from './selector.js';

export interface PodSource {
  getPod(namespace: string, name: string): Promise<V1Pod>;
  listPods(namespace: string, selector: string): Promise<V1Pod[]>;
}

export class ApiServerPods implements PodSource {
  constructor(private readonly client: KubeClient) {}

  async getPod(namespace: string, name: string): Promise<V1Pod> {
    try {
      return await this.client.core.readNamespacedPod({ name, namespace });
    } catch (err) {
      throw apiError(err, `pod ${namespace}/${name}`, this.client.server);
    }
  }

  async listPods(namespace: string, selector: string): Promise<V1Pod[]> {
    parseSelector(selector); // reject a malformed selector with our message, not the server's
    try {
      const list = await this.client.core.listNamespacedPod({ namespace, labelSelector: selector });
      return list.items;
    } catch (err) {
      throw apiError(err, `pods in ${namespace} matching ${selector}`, this.client.server);
    }
  }
}

/**
 * A full node's pod list with managedFields and big annotations passes 4 MiB; 64 MiB holds
 * hundreds of pods and still bounds what a wrong --kubelet-url can make kcr buffer.
 */
export const KUBELET_PODS_MAX_BYTES = 64 * 1024 * 1024;

/** The kubelet's `GET /pods` (what it runs), for kcr on a node with only kubelet credentials. */
export class KubeletPods implements PodSource {
  private cache: V1Pod[] | undefined;
  constructor(private readonly kubelet: KubeletEndpoint) {}

  private async all(): Promise<V1Pod[]> {
    if (this.cache) return this.cache;
    let res;
    try {
      res = await this.kubelet.request({
        method: 'GET',
        path: '/pods',
        timeoutMs: 30_000,
        maxBodyBytes: KUBELET_PODS_MAX_BYTES,
      });
    } catch (err) {
      if (isKcrError(err)) {
        throw err.code === 'remote'
          ? new KcrError(err.code, err.message, {
              hint: "pass a kubeconfig, so that kcr asks the API server for the one pod instead of reading the kubelet's whole list",
              cause: err,
            })
          : err;
      }
      const net = networkError(err, this.kubelet.server, kubeletTlsHint(this.kubelet.server));
      throw (
        net ?? new KcrError('network', `kubelet ${this.kubelet.server}/pods: ${String(err)}`, { cause: err })
      );
    }
    if (res.status !== 200) {
      throw new KcrError(
        res.status === 401 || res.status === 403 ? 'auth' : 'remote',
        `kubelet ${this.kubelet.server}/pods: ${res.body.trim() || res.status}`,
        {
          hint: "pass -c CONTAINER and the pod's namespace, or a kubeconfig, so kcr need not list the kubelet's pods",
        },
      );
    }
    const list = parseJsonWith(podListSchema, res.body, {
      what: `kubelet ${this.kubelet.server}/pods: not a pod list`,
      hint: "is --kubelet-url the kubelet's secure port (10250)?",
      code: 'remote',
    });
    this.cache = list.items ?? [];
    return this.cache;
  }

  async getPod(namespace: string, name: string): Promise<V1Pod> {
    const pod = (await this.all()).find(
      (p) => p.metadata?.namespace === namespace && p.metadata?.name === name,
    );
    if (!pod) {
      throw new KcrError(
        'not-found',
        `pod ${namespace}/${name}: not running on the kubelet at ${this.kubelet.server}`,
        {
          hint: 'check the name and -n NAMESPACE, or point --kubelet-url at the node that runs it',
        },
      );
    }
    return pod;
  }

  async listPods(namespace: string, selector: string): Promise<V1Pod[]> {
    const requirements = parseSelector(selector);
    return (await this.all()).filter(
      (p) => p.metadata?.namespace === namespace && matchesSelector(p.metadata?.labels, requirements),
    );
  }
}

export interface ContainerChoice {
  container?: string;
  allContainers?: boolean;
}

export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** Names that `-c` may pick: regular, init (sidecars run long) and ephemeral containers. */
function containerNames(pod: V1Pod): { regular: string[]; sidecars: string[]; other: string[] } {
  const spec = pod.spec;
  return {
    regular: (spec?.containers ?? []).map((c) => c.name),
    sidecars: (spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
    other: [
      ...(spec?.initContainers ?? []).filter((c) => c.restartPolicy !== 'Always').map((c) => c.name),
      ...(spec?.ephemeralContainers ?? []).map((c) => c.name),
    ],
  };
}

export function podRef(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? '?'}`;
}

/** kubectl's rule: -c, else the only container, else the default-container annotation. */
export function chooseContainers(pod: V1Pod, choice: ContainerChoice): string[] {
  const names = containerNames(pod);
  const all = [...names.regular, ...names.sidecars, ...names.other];
  if (choice.container) {
    if (!all.includes(choice.container)) {
      throw new KcrError('not-found', `container "${choice.container}" not found in pod ${podRef(pod)}`, {
        hint: `its containers: ${all.join(', ')}`,
      });
    }
    return [choice.container];
  }
  if (choice.allContainers) return [...names.regular, ...names.sidecars];
  if (names.regular.length === 1) return names.regular;
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && all.includes(annotated)) return [annotated];
  throw new KcrError(
    'usage',
    `pod ${podRef(pod)} has ${names.regular.length} containers (${names.regular.join(', ')})`,
    {
      hint: 'choose one with -c CONTAINER, or use --all-containers',
    },
  );
}

/** A checkpoint needs the container running on a node; say which of those is missing. */
export function assertRunning(pod: V1Pod, container: string): string {
  const node = pod.spec?.nodeName;
  if (!node) {
    throw new KcrError('conflict', `pod ${podRef(pod)} is not scheduled to a node yet`, {
      hint: 'wait until it runs (`kubectl get pod -w`)',
    });
  }
  const statuses = [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  const status = statuses.find((s) => s.name === container);
  if (pod.status?.phase !== 'Running' || (status && !status.state?.running)) {
    const why =
      status?.state?.waiting?.reason ?? status?.state?.terminated?.reason ?? pod.status?.phase ?? 'unknown';
    throw new KcrError('conflict', `container ${podRef(pod)}/${container} is not running (${why})`, {
      hint: 'only a running container can be checkpointed',
    });
  }
  return node;
}
