/**
 * Everything `kcr install` applies, as plain objects: the one source of truth for the install
 * manifests. `deploy/base` is these objects rendered (scripts/render-deploy.ts writes it and a test
 * keeps it in sync), so `kubectl kustomize deploy/base` and `kcr install --dry-run=client -o yaml`
 * give the same objects.
 *
 * Least privilege, each permission with its reason in `RBAC_REASONS` (rendered as annotations, so
 * `kubectl describe clusterrole` shows why):
 * - the agent: no host network, not privileged, every capability dropped, a read-only root file
 *   system; it runs as uid 0 only because the kubelet writes archives as root with mode 0600, and
 *   mounts the two host directories it needs (the kubelet's checkpoint directory, and its KEP-5823
 *   pod-checkpoint directory), read-write because pruning, removing stored archives and removing a
 *   deleted PodCheckpoint's data delete files there.
 * - the controller: non-root, no host access at all.
 */
import { posix } from 'node:path';
import { VERSION as KCR_VERSION } from '../version.js';
import { customResourceDefinitions } from './crds.js';
import { GROUP } from './resources.js';

export const DEFAULT_NAMESPACE = 'kcr-system';
export const DEFAULT_IMAGE = `localhost/kcr:${KCR_VERSION}`;
export const DEFAULT_CHECKPOINT_DIR = '/var/lib/kubelet/checkpoints';
export const METRICS_PORT = 9090;
export const LEASE_NAME = 'kcr-controller';

export interface InstallOptions {
  namespace?: string;
  image?: string;
  /** The default store of the agent and controller (a Checkpoint or schedule may name another). */
  store?: string;
  /** A Secret in the namespace whose keys become the components' environment (S3 keys, ...). */
  storeSecret?: string;
  /** A `kubernetes.io/dockerconfigjson` Secret in the namespace: credentials for oci:// stores. */
  registrySecret?: string;
  checkpointDir?: string;
  controllerReplicas?: number;
}

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

const PART_OF = { 'app.kubernetes.io/part-of': 'kcr' };

function labels(component?: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'kcr',
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
    ...PART_OF,
  };
}

type Rule = {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
  why: string;
};

/** Why each permission is needed: one line per rule, shown as the role's annotations. */
export const AGENT_RULES: Rule[] = [
  {
    apiGroups: [GROUP],
    resources: ['checkpoints'],
    verbs: ['get', 'list', 'watch'],
    why: 'watch the Checkpoints of its own node (label kcr.dev/node)',
  },
  {
    apiGroups: [GROUP],
    resources: ['checkpoints/status'],
    verbs: ['get', 'update', 'patch'],
    why: 'record each step, the backup id and errors in the Checkpoint status',
  },
  {
    apiGroups: [''],
    resources: ['nodes/checkpoint'],
    verbs: ['create'],
    why: 'the kubelet authorizes POST /checkpoint for the agent’s own token (never its admin certificate)',
  },
  {
    apiGroups: [''],
    resources: ['pods'],
    verbs: ['get'],
    why: 'keep the Pod object with the backup, which a restore rebuilds the Pod from',
  },
  {
    apiGroups: ['node.k8s.io'],
    resources: ['podcheckpoints'],
    verbs: ['get', 'list', 'watch', 'patch'],
    why: 'hold the kcr.dev/node-data finalizer on its node’s PodCheckpoints until their data there is removed',
  },
];

export const CONTROLLER_RULES: Rule[] = [
  {
    apiGroups: [GROUP],
    resources: ['checkpointschedules', 'restores'],
    verbs: ['get', 'list', 'watch'],
    why: 'run the schedules and carry out the restores',
  },
  {
    apiGroups: [GROUP],
    resources: ['checkpointschedules/status', 'restores/status', 'checkpoints/status'],
    verbs: ['get', 'update', 'patch'],
    why: 'record every schedule run (so none is lost or repeated) and each restore’s outcome',
  },
  {
    apiGroups: [GROUP],
    resources: ['checkpoints'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
    why: 'create the runs’ Checkpoints, assign a node to Checkpoints made without one, delete pruned ones',
  },
  {
    apiGroups: [''],
    resources: ['pods'],
    verbs: ['get', 'list', 'watch', 'patch', 'create'],
    why: 'find the Pods a schedule covers, remove kcr.dev/checkpoint-now once done, create restored Pods',
  },
  {
    apiGroups: [''],
    resources: ['services'],
    verbs: ['create'],
    why: 'expose a restored Pod (Restore spec.expose)',
  },
  {
    apiGroups: [''],
    resources: ['events'],
    verbs: ['list'],
    why: 'explain a restored Pod that does not start',
  },
  {
    apiGroups: [''],
    resources: ['nodes'],
    verbs: ['get', 'list'],
    why: 'check that a restore’s node exists and can restore (runtime, labels)',
  },
  {
    apiGroups: ['node.k8s.io'],
    resources: ['podcheckpoints'],
    verbs: ['get', 'list', 'delete', 'restore'],
    why: 'apply retention to PodCheckpoints, which the KEP leaves to others, and carry out Restores of them (spec.restoreFrom)',
  },
];

const LEASE_RULES: Rule[] = [
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['create'],
    why: 'create the leader-election Lease the first time (create cannot be limited to one name)',
  },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'update'],
    resourceNames: [LEASE_NAME],
    why: 'hold and renew the leader-election Lease, that one only',
  },
];

function role(kind: 'ClusterRole' | 'Role', name: string, rules: Rule[], namespace?: string): KubeManifest {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      labels: labels(),
      annotations: Object.fromEntries(
        rules.map((r, i) => [`kcr.dev/why-${i}`, `${r.resources.join(',')} ${r.verbs.join(',')}: ${r.why}`]),
      ),
    },
    rules: rules.map(({ why: _why, ...r }) => r),
  };
}

function binding(
  kind: 'ClusterRoleBinding' | 'RoleBinding',
  name: string,
  serviceAccount: string,
  namespace: string,
): KubeManifest {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(kind === 'RoleBinding' ? { namespace } : {}), labels: labels() },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole',
      name,
    },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
  };
}

function serviceAccount(name: string, namespace: string, component: string): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace, labels: labels(component) },
  };
}

function storeArgs(o: InstallOptions): string[] {
  return o.store ? [`--store=${o.store}`] : [];
}

function commonContainer(o: Required<Pick<InstallOptions, 'image'>> & InstallOptions, component: string) {
  return {
    name: component,
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
    livenessProbe: { httpGet: { path: '/healthz', port: 'metrics' }, periodSeconds: 20 },
    readinessProbe: { httpGet: { path: '/readyz', port: 'metrics' }, periodSeconds: 10 },
    env: [
      { name: 'KCR_TMPDIR', value: '/tmp' },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ...(o.registrySecret
        ? [{ name: 'REGISTRY_AUTH_FILE', value: `${REGISTRY_MOUNT.mountPath}/.dockerconfigjson` }]
        : []),
    ],
    ...(o.storeSecret ? { envFrom: [{ secretRef: { name: o.storeSecret } }] } : {}),
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
  };
}

const REGISTRY_MOUNT = { name: 'registry-auth', mountPath: '/etc/kcr/registry', readOnly: true };

function volumes(o: InstallOptions, own: Record<string, unknown>[]): Record<string, unknown>[] {
  return [
    ...own,
    { name: 'tmp', emptyDir: {} },
    ...(o.registrySecret ? [{ name: REGISTRY_MOUNT.name, secret: { secretName: o.registrySecret } }] : []),
  ];
}

function mounts(o: InstallOptions, own: Record<string, unknown>[]): Record<string, unknown>[] {
  return [...own, TMP_MOUNT, ...(o.registrySecret ? [REGISTRY_MOUNT] : [])];
}

const TMP_MOUNT = { name: 'tmp', mountPath: '/tmp' };

/** The kubelet's KEP-5823 directory, beside its checkpoint directory under the kubelet's root. */
function podCheckpointDir(checkpointDir: string): string {
  return posix.join(posix.dirname(checkpointDir), 'pod-checkpoints');
}

function agentDaemonSet(
  o: Required<Pick<InstallOptions, 'image' | 'namespace' | 'checkpointDir'>> & InstallOptions,
) {
  const base = commonContainer(o, 'agent');
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'kcr-agent', namespace: o.namespace, labels: labels('agent') },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'kcr', 'app.kubernetes.io/component': 'agent' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
      template: {
        metadata: { labels: labels('agent') },
        spec: {
          serviceAccountName: 'kcr-agent',
          hostNetwork: false,
          // Every node that can run workloads can be asked to checkpoint them.
          tolerations: [{ operator: 'Exists' }],
          priorityClassName: 'system-node-critical',
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              ...base,
              args: [
                'agent',
                '--node=$(NODE_NAME)',
                '--kubelet-url=https://$(HOST_IP):10250',
                `--checkpoint-dir=${o.checkpointDir}`,
                `--pod-checkpoint-dir=${podCheckpointDir(o.checkpointDir)}`,
                `--metrics-port=${METRICS_PORT}`,
                ...storeArgs(o),
              ],
              env: [
                ...base.env,
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
              ],
              securityContext: {
                privileged: false,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                // The kubelet writes archives as root, mode 0600: reading them needs uid 0, no capability.
                runAsUser: 0,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: mounts(o, [
                { name: 'checkpoints', mountPath: o.checkpointDir },
                { name: 'pod-checkpoints', mountPath: podCheckpointDir(o.checkpointDir) },
              ]),
            },
          ],
          volumes: volumes(o, [
            { name: 'checkpoints', hostPath: { path: o.checkpointDir, type: 'DirectoryOrCreate' } },
            {
              name: 'pod-checkpoints',
              hostPath: { path: podCheckpointDir(o.checkpointDir), type: 'DirectoryOrCreate' },
            },
          ]),
        },
      },
    },
  };
}

function controllerDeployment(o: Required<Pick<InstallOptions, 'image' | 'namespace'>> & InstallOptions) {
  const base = commonContainer(o, 'controller');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'kcr-controller', namespace: o.namespace, labels: labels('controller') },
    spec: {
      // Two replicas, one leader (the Lease): a node failure does not stop the schedules.
      replicas: o.controllerReplicas ?? 2,
      selector: {
        matchLabels: { 'app.kubernetes.io/name': 'kcr', 'app.kubernetes.io/component': 'controller' },
      },
      template: {
        metadata: { labels: labels('controller') },
        spec: {
          serviceAccountName: 'kcr-controller',
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              ...base,
              args: [
                'controller',
                `--lease-namespace=$(POD_NAMESPACE)`,
                `--lease-name=${LEASE_NAME}`,
                `--metrics-port=${METRICS_PORT}`,
                ...storeArgs(o),
              ],
              securityContext: {
                privileged: false,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: mounts(o, []),
            },
          ],
          volumes: volumes(o, []),
        },
      },
    },
  };
}

function metricsService(component: string, namespace: string): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `kcr-${component}-metrics`, namespace, labels: labels(component) },
    spec: {
      // Headless: a ServiceMonitor scrapes every agent, not one chosen by the Service.
      clusterIP: 'None',
      selector: { 'app.kubernetes.io/name': 'kcr', 'app.kubernetes.io/component': component },
      ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' }],
    },
  };
}

/** The objects `kcr install` applies, in the order they can be applied. */
export function installManifests(options: InstallOptions = {}): KubeManifest[] {
  const o = {
    ...options,
    namespace: options.namespace ?? DEFAULT_NAMESPACE,
    image: options.image ?? DEFAULT_IMAGE,
    checkpointDir: options.checkpointDir ?? DEFAULT_CHECKPOINT_DIR,
  };
  const ns = o.namespace;
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: {
          ...labels(),
          // Pod Security "baseline" forbids hostPath volumes, and the agent needs the checkpoint directory.
          'pod-security.kubernetes.io/enforce': 'privileged',
          'pod-security.kubernetes.io/warn': 'baseline',
        },
      },
    },
    ...customResourceDefinitions(labels()),
    serviceAccount('kcr-agent', ns, 'agent'),
    serviceAccount('kcr-controller', ns, 'controller'),
    role('ClusterRole', 'kcr-agent', AGENT_RULES),
    role('ClusterRole', 'kcr-controller', CONTROLLER_RULES),
    role('Role', 'kcr-controller-leader', LEASE_RULES, ns),
    binding('ClusterRoleBinding', 'kcr-agent', 'kcr-agent', ns),
    binding('ClusterRoleBinding', 'kcr-controller', 'kcr-controller', ns),
    binding('RoleBinding', 'kcr-controller-leader', 'kcr-controller', ns),
    agentDaemonSet(o),
    controllerDeployment(o),
    metricsService('agent', ns),
    metricsService('controller', ns),
  ];
}
