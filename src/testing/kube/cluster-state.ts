/**
 * What the test cluster knows: nodes (each with a directory standing for its file system),
 * pods, services, events, users with RBAC rules, and the knobs tests turn to make the kubelet or
 * the runtime fail the way real ones do.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { leaseResource, nodeResource, podResource } from './builtins.js';
import {
  configMapResource,
  daemonSetResource,
  deploymentResource,
  namespaceResource,
  podDisruptionBudgetResource,
  rbacResources,
  secretResource,
  serviceAccountResource,
  serviceResource,
} from './builtin-objects.js';
import { syncBudgets } from './eviction.js';
import { CustomResources, crdResource } from './crds.js';
import { History, ObjectStore } from './history.js';
import type { ContainerdConfig } from './containerd-restore.js';
import type { KubeObject, PodJson } from './objects.js';
import { newMeta, runningStatus, waitingStatus } from './objects.js';
import type { PodCheckpointer } from './pod-checkpoints.js';
import { Resources } from './resources.js';

export interface Rule {
  verbs: string[];
  /** `pods`, `pods/exec`, `nodes/proxy`, ... or `*`. */
  resources: string[];
  /** Namespaces the rule applies in; undefined means all (a ClusterRoleBinding). */
  namespaces?: string[];
  /** API groups the rule applies to (`''` is the core group, `*` any); undefined means any. */
  apiGroups?: string[];
  /** Only these objects (by name); undefined means any. */
  resourceNames?: string[];
}

export interface User {
  name: string;
  groups: string[];
  rules: Rule[];
}

/** A failure the kubelet's checkpoint endpoint produces, with the real status and text. */
export type KubeletFailure =
  | 'cri-v1-only'
  | 'no-criu'
  | 'tcp-established'
  | 'deadline'
  | 'runtime-not-found'
  | { status: number; body: string };

export interface FakeNode {
  name: string;
  /** `cri-o://1.31.2`, `containerd://2.0.1`, `containerd://1.7.22`, ... */
  runtime: string;
  kubeletVersion: string;
  /** The kubelet's featureGates as /configz reports them. */
  featureGates: Record<string, boolean>;
  /** False makes the kubelet behave as without the checkpoint route (404 page not found). */
  checkpointRoute: boolean;
  /** Local directory that stands for the node's `/` (`/` itself for a node that is this machine). */
  root: string;
  /** The kubelet's --root-dir; archives go to `<it>/checkpoints`. */
  kubeletRootDir: string;
  kubeletPort: number;
  /** The next checkpoint calls fail this way (one entry per call; `always` keeps failing). */
  failures: KubeletFailure[];
  alwaysFail?: KubeletFailure;
  /** Client certificate CNs the kubelet authorizes for `nodes/checkpoint` besides system:masters. */
  checkpointUsers: Set<string>;
  /** Labels besides kubernetes.io/hostname and kubernetes.io/os. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The Node's spec (podCIDR; unschedulable and taints once cordoned through the API). */
  spec: Record<string, unknown>;
  uid: string;
  creationTimestamp: string;
  /** A containerd node's CRI runtime settings (config.toml), which containerd-restore.ts follows. */
  containerd?: ContainerdConfig;
}

export interface PodOptions {
  name: string;
  namespace?: string;
  node?: string;
  containers?: { name: string; image?: string; ports?: number[] }[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  volumes?: PodJson['spec']['volumes'];
  phase?: 'Running' | 'Pending';
  /** More of the pod's spec (nodeSelector, affinity, ...). */
  spec?: Record<string, unknown>;
}

/** How a created pod turns out: Running, or stuck with a container waiting reason and message. */
export type PodFate =
  | { kind: 'running' }
  | { kind: 'waiting'; container?: string; reason: string; message: string; event?: string };

export class ClusterState {
  /** Every write of every resource, for watches (resourceVersions, 410 after compaction). */
  readonly history = new History();
  /** What the generic REST layer serves; CRDs add to it. */
  readonly resources = new Resources();
  readonly customResources = new CustomResources(this.resources, this.history);
  /** How often a watch that allows them gets a BOOKMARK (a real API server: about a minute). */
  bookmarkIntervalMs = 60_000;
  readonly nodes = new Map<string, FakeNode>();
  /** The Node objects as the API serves them, kept in step with `nodes` (see syncNodes). */
  readonly nodeObjects = new ObjectStore<KubeObject>('/nodes', this.history);
  readonly pods = new ObjectStore<PodJson>('/pods', this.history);
  readonly services = new ObjectStore<KubeObject>('/services', this.history);
  readonly leases = new ObjectStore<KubeObject>('coordination.k8s.io/leases', this.history);
  readonly namespaces = new ObjectStore<KubeObject>('/namespaces', this.history);
  readonly serviceAccounts = new ObjectStore<KubeObject>('/serviceaccounts', this.history);
  readonly secrets = new ObjectStore<KubeObject>('/secrets', this.history);
  readonly configMaps = new ObjectStore<KubeObject>('/configmaps', this.history);
  readonly roles = new ObjectStore<KubeObject>('rbac.authorization.k8s.io/roles', this.history);
  readonly clusterRoles = new ObjectStore<KubeObject>('rbac.authorization.k8s.io/clusterroles', this.history);
  readonly roleBindings = new ObjectStore<KubeObject>('rbac.authorization.k8s.io/rolebindings', this.history);
  readonly clusterRoleBindings = new ObjectStore<KubeObject>(
    'rbac.authorization.k8s.io/clusterrolebindings',
    this.history,
  );
  readonly daemonSets = new ObjectStore<KubeObject>('apps/daemonsets', this.history);
  readonly deployments = new ObjectStore<KubeObject>('apps/deployments', this.history);
  readonly podDisruptionBudgets = new ObjectStore<KubeObject>('policy/poddisruptionbudgets', this.history);
  readonly events: KubeObject[] = [];
  readonly users = new Map<string, User>();
  readonly tokens = new Map<string, string>();
  version = { major: '1', minor: '31', gitVersion: 'v1.31.4' };
  /** KEP-5823 pod-level checkpoints, once enabled (TestCluster.enablePodCheckpoints). */
  podCheckpoints: PodCheckpointer | undefined;
  /** How the node's kubelet starts a pod with spec.restoreFrom (set with podCheckpoints). */
  restoreFate: ((pod: PodJson) => PodFate | undefined) | undefined;
  /** Decides what happens to each created pod; tests replace it to simulate restore failures. */
  /** How a created pod turns out; a promise (a node pulling an image) leaves it ContainerCreating until it settles. */
  podFate: (pod: PodJson) => PodFate | Promise<PodFate> = () => ({ kind: 'running' });
  private readonly pendingFates = new Set<Promise<void>>();
  /** Every pod deleted, as `namespace/name`, in order. */
  readonly deletedPods: string[] = [];
  readonly createdPods: PodJson[] = [];

  constructor(readonly rootDir: string) {
    this.resources.serve(podResource(this.pods));
    this.resources.serve(
      nodeResource(
        this.nodeObjects,
        () => this.syncNodes(),
        (o) => this.nodeWritten(o),
      ),
    );
    this.resources.serve(leaseResource(this.leases));
    for (const r of [
      namespaceResource(this.namespaces),
      serviceAccountResource(this.serviceAccounts),
      secretResource(this.secrets),
      configMapResource(this.configMaps),
      serviceResource(this.services),
      ...rbacResources(this),
      daemonSetResource(this.daemonSets),
      deploymentResource(this.deployments),
      podDisruptionBudgetResource(this.podDisruptionBudgets, () =>
        syncBudgets(this.podDisruptionBudgets, this.pods),
      ),
    ])
      this.resources.serve(r);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      this.namespaces.set(ns, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: newMeta(ns, undefined, { labels: { 'kubernetes.io/metadata.name': ns } }),
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    this.resources.serve(crdResource(this.customResources, this.history));
  }

  addUser(name: string, groups: string[] = [], rules: Rule[] = []): User {
    const user = { name, groups, rules };
    this.users.set(name, user);
    return user;
  }

  allows(user: User, verb: string, resource: string, namespace?: string, group = '', name?: string): boolean {
    if (user.groups.includes('system:masters')) return true;
    return [...user.rules, ...this.boundRules(user)].some(
      (r) =>
        (r.verbs.includes(verb) || r.verbs.includes('*')) &&
        (r.resources.includes(resource) || r.resources.includes('*')) &&
        (r.apiGroups === undefined || r.apiGroups.includes(group) || r.apiGroups.includes('*')) &&
        (r.namespaces === undefined || (namespace !== undefined && r.namespaces.includes(namespace))) &&
        (r.resourceNames === undefined || (name !== undefined && r.resourceNames.includes(name))),
    );
  }

  /**
   * The rules RBAC objects written through the API grant `user` (the RBAC authorizer): a
   * ClusterRoleBinding's ClusterRole everywhere, a RoleBinding's Role or ClusterRole in the
   * binding's namespace. A ServiceAccount subject is the user `system:serviceaccount:NS:NAME`.
   */
  private boundRules(user: User): Rule[] {
    type Subject = { kind: string; name: string; namespace?: string };
    type PolicyRule = {
      verbs?: string[];
      resources?: string[];
      apiGroups?: string[];
      resourceNames?: string[];
    };
    const names = (s: Subject) =>
      s.kind === 'ServiceAccount'
        ? user.name === `system:serviceaccount:${s.namespace}:${s.name}`
        : s.kind === 'Group'
          ? user.groups.includes(s.name)
          : s.name === user.name;
    const rules: Rule[] = [];
    const bindings = [
      ...[...this.clusterRoleBindings.values()].map((b) => ({ b, namespace: undefined })),
      ...[...this.roleBindings.values()].map((b) => ({ b, namespace: b.metadata.namespace })),
    ];
    for (const { b, namespace } of bindings) {
      if (!((b.subjects as Subject[] | undefined) ?? []).some(names)) continue;
      const ref = b.roleRef as { kind: string; name: string };
      const role =
        ref.kind === 'ClusterRole'
          ? this.clusterRoles.get(ref.name)
          : this.roles.get(`${namespace ?? ''}/${ref.name}`);
      for (const r of (role?.rules as PolicyRule[] | undefined) ?? []) {
        rules.push({
          verbs: r.verbs ?? [],
          resources: r.resources ?? [],
          apiGroups: r.apiGroups ?? [],
          ...(namespace ? { namespaces: [namespace] } : {}),
          ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
        });
      }
    }
    return rules;
  }

  addNode(name: string, options: Partial<Omit<FakeNode, 'name'>> = {}): FakeNode {
    const node: FakeNode = {
      name,
      runtime: 'cri-o://1.31.2',
      kubeletVersion: 'v1.31.4',
      featureGates: {},
      checkpointRoute: true,
      kubeletPort: 0,
      failures: [],
      checkpointUsers: new Set(),
      labels: {},
      annotations: {},
      spec: { podCIDR: '10.244.0.0/24' },
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      kubeletRootDir: '/var/lib/kubelet',
      root: join(this.rootDir, 'nodes', name),
      ...options,
    };
    this.nodes.set(name, node);
    this.syncNodes();
    return node;
  }

  /**
   * Brings the Node objects in line with the FakeNodes (a test may change a node's labels or its
   * kubelet's port in place): each one that differs is written, so watchers see it.
   */
  syncNodes(): void {
    for (const node of this.nodes.values()) {
      const fresh = this.nodeObject(node);
      const stored = this.nodeObjects.get(node.name);
      fresh.metadata.resourceVersion = stored?.metadata.resourceVersion ?? '';
      if (!stored || JSON.stringify(stored) !== JSON.stringify(fresh)) this.nodeObjects.set(node.name, fresh);
    }
    for (const name of this.nodeObjects.keys()) if (!this.nodes.has(name)) this.nodeObjects.delete(name);
  }

  /** A Node written through the API (a cordon, a label): the FakeNode takes its labels and spec. */
  private nodeWritten(o: KubeObject): void {
    const node = this.nodes.get(o.metadata.name);
    if (!node) return;
    const { 'kubernetes.io/hostname': _h, 'kubernetes.io/os': _os, ...labels } = o.metadata.labels ?? {};
    node.labels = labels;
    node.annotations = { ...(o.metadata.annotations ?? {}) };
    node.spec = structuredClone((o.spec ?? {}) as Record<string, unknown>);
    this.syncNodes();
  }

  nodeObject(node: FakeNode): KubeObject {
    const [runtimeName] = node.runtime.split('://');
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: node.name,
        uid: node.uid,
        resourceVersion: '',
        creationTimestamp: node.creationTimestamp,
        labels: { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux', ...node.labels },
        ...(Object.keys(node.annotations).length ? { annotations: { ...node.annotations } } : {}),
      },
      spec: structuredClone(node.spec),
      status: {
        addresses: [
          { type: 'InternalIP', address: '127.0.0.1' },
          { type: 'Hostname', address: node.name },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: node.kubeletPort } },
        nodeInfo: {
          architecture: 'amd64',
          operatingSystem: 'linux',
          osImage: 'Debian GNU/Linux 12 (bookworm)',
          kernelVersion: '6.1.0-28-amd64',
          containerRuntimeVersion: node.runtime,
          kubeletVersion: node.kubeletVersion,
          kubeProxyVersion: node.kubeletVersion,
          machineID: 'f'.repeat(32),
          systemUUID: '00000000-0000-0000-0000-000000000000',
          bootID: '11111111-1111-1111-1111-111111111111',
        },
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: `kubelet is posting ready status (${runtimeName})`,
          },
        ],
      },
    };
  }

  addPod(o: PodOptions): PodJson {
    const namespace = o.namespace ?? 'default';
    const pod: PodJson = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: newMeta(o.name, namespace, {
        ...(o.labels ? { labels: o.labels } : {}),
        ...(o.annotations ? { annotations: o.annotations } : {}),
      }),
      spec: {
        nodeName: o.node ?? [...this.nodes.keys()][0],
        restartPolicy: 'Always',
        containers: (o.containers ?? [{ name: o.name }]).map((c) => ({
          name: c.name,
          image: c.image ?? 'localhost/nginx:latest',
          ...(c.ports ? { ports: c.ports.map((p) => ({ containerPort: p, protocol: 'TCP' })) } : {}),
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        })),
        ...(o.volumes ? { volumes: o.volumes } : {}),
        ...o.spec,
        serviceAccountName: 'default',
        schedulerName: 'default-scheduler',
      },
      status: {},
    };
    pod.status =
      o.phase === 'Pending'
        ? waitingStatus(pod, pod.spec.containers[0]!.name, 'ContainerCreating', '')
        : runningStatus(pod, '127.0.0.1');
    this.pods.set(`${namespace}/${o.name}`, pod);
    return pod;
  }

  /** Called for pods created through the API: the scheduler and kubelet, compressed into one step. */
  admitPod(pod: PodJson): void {
    // The scheduler's part: a pod without nodeName goes to the first node.
    pod.spec.nodeName ??= [...this.nodes.keys()][0];
    const rejection = this.kubeletAdmission(pod);
    const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    if (rejection) {
      pod.status = { phase: 'Failed', reason: 'NodeAffinity', message: rejection };
      this.pods.set(key, pod);
      this.createdPods.push(pod);
      return;
    }
    const fate = this.restoreFate?.(pod) ?? this.podFate(pod);
    this.createdPods.push(pod);
    if (!(fate instanceof Promise)) {
      this.applyFate(pod, fate);
      return;
    }
    pod.status = waitingStatus(pod, pod.spec.containers[0]!.name, 'ContainerCreating', '');
    this.pods.set(key, pod);
    const pending: Promise<void> = fate
      .catch((err: unknown): PodFate => ({
        kind: 'waiting',
        reason: 'CreateContainerError',
        message: err instanceof Error ? err.message : String(err),
      }))
      .then((settled) => this.applyFate(pod, settled))
      .finally(() => this.pendingFates.delete(pending));
    this.pendingFates.add(pending);
  }

  private applyFate(pod: PodJson, fate: PodFate): void {
    if (fate.kind === 'running') {
      pod.status = runningStatus(pod, '127.0.0.1');
    } else {
      const container = fate.container ?? pod.spec.containers[0]!.name;
      pod.status = waitingStatus(pod, container, fate.reason, fate.message);
      this.addEvent(pod, 'Warning', 'Failed', fate.event ?? `Error: ${fate.message}`);
    }
    // A pod deleted while its fate was decided stays deleted.
    const key = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
    if (this.pods.get(key) === pod) this.pods.set(key, pod);
  }

  /** Resolves once every pod whose fate was still being decided has its status. */
  async settled(): Promise<void> {
    while (this.pendingFates.size > 0) await Promise.all([...this.pendingFates]);
  }

  /** The kubelet's admission: a pod bound with nodeName must still match the node's labels (nodeSelector). */
  private kubeletAdmission(pod: PodJson): string | undefined {
    const node = this.nodes.get(pod.spec.nodeName ?? '');
    if (!node) return undefined;
    const labels = this.nodeObject(node).metadata.labels ?? {};
    const selector = (pod.spec.nodeSelector ?? {}) as Record<string, string>;
    if (Object.entries(selector).every(([k, v]) => labels[k] === v)) return undefined;
    return "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector";
  }

  addEvent(pod: PodJson, type: string, reason: string, message: string): void {
    const ns = pod.metadata.namespace ?? 'default';
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.events.push({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: newMeta(`${pod.metadata.name}.${Date.now().toString(16)}${this.events.length}`, ns),
      involvedObject: {
        kind: 'Pod',
        namespace: ns,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
        apiVersion: 'v1',
        fieldPath: 'spec.containers{' + pod.spec.containers[0]!.name + '}',
      },
      reason,
      message,
      source: { component: 'kubelet', host: pod.spec.nodeName },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      reportingComponent: 'kubelet',
      reportingInstance: pod.spec.nodeName ?? '',
    });
  }

  podsOn(node: string): PodJson[] {
    return [...this.pods.values()].filter((p) => p.spec.nodeName === node);
  }
}
