/**
 * `kcr doctor`: is this cluster ready for checkpoint and restore, and if not, what to change.
 * Each check yields findings (ok, warn, fail) with a fix; the cluster is ready when none fails.
 */
import type { V1Node } from '@kubernetes/client-node';
import { KcrError, isKcrError } from '../errors.js';
import { tryParseJsonWith } from '../util/validate.js';
import { apiError } from './api-errors.js';
import { KubeClient } from './client.js';
import { mapLimit } from '../util/concurrency.js';
import { kubeletConfigzSchema } from './documents.js';
import { runCanary } from './doctor-canary.js';
import type { KubeconfigOptions } from './kubeconfig.js';
import { ProxiedKubelet } from './kubelet.js';
import {
  atLeast,
  CONTAINERD_RESTORE_OPTION,
  formatVersion,
  parseVersion,
  runtimeInfo,
  type Semver,
} from './versions.js';
import {
  podCheckpointsServed,
  POD_CHECKPOINT_ENABLE_HINT,
  POD_CHECKPOINT_GROUP,
  POD_CHECKPOINT_PLURAL,
  POD_CHECKPOINT_VERSION,
} from './pod-checkpoint.js';

export type FindingStatus = 'ok' | 'warn' | 'fail';
export type CheckName =
  'server-version' | 'runtime' | 'restore' | 'feature-gate' | 'rbac' | 'canary' | 'pod-level';

export interface Finding {
  check: CheckName;
  /** What the finding is about: `cluster`, a node name, or a permission. */
  subject: string;
  status: FindingStatus;
  message: string;
  fix?: string;
}

export interface DoctorReport {
  ready: boolean;
  server: string;
  serverVersion?: string;
  findings: Finding[];
}

export interface DoctorOptions extends KubeconfigOptions {
  node?: string;
  namespace?: string;
  canary?: boolean;
  canaryImage?: string;
  signal?: AbortSignal;
  pollIntervalMs?: number;
}

/** Requests in flight at once: the node checks of a 500-node cluster should not flood the API server. */
export const DOCTOR_PARALLEL = 8;

const GATE_FIX =
  'set featureGates: {ContainerCheckpoint: true} in the KubeletConfiguration (/var/lib/kubelet/config.yaml) and restart the kubelet; `kcr setup kubeadm` prints a complete config';

async function serverVersion(client: KubeClient, findings: Finding[]): Promise<Semver | undefined> {
  let gitVersion: string;
  try {
    gitVersion = (await client.version.getCode()).gitVersion;
  } catch (err) {
    const e = apiError(err, 'server version', client.server);
    // An API server that cannot be reached (or refuses the credentials) fails every other check
    // the same way: that is one error naming the server, not a report of eight identical findings.
    if (e.code === 'network' || e.code === 'timeout' || e.code === 'auth') throw e;
    findings.push({
      check: 'server-version',
      subject: 'cluster',
      status: 'fail',
      message: e.message,
      fix: e.hint,
    });
    return undefined;
  }
  const v = parseVersion(gitVersion);
  const push = (status: FindingStatus, message: string, fix?: string) =>
    findings.push({ check: 'server-version', subject: 'cluster', status, message, ...(fix ? { fix } : {}) });
  if (!v || !atLeast(v, 1, 25))
    push(
      'fail',
      `Kubernetes ${gitVersion} has no checkpoint API (it arrived in 1.25)`,
      'upgrade the cluster to 1.30 or later',
    );
  else if (!atLeast(v, 1, 30))
    push(
      'warn',
      `Kubernetes ${gitVersion}: checkpointing is alpha, off unless the ContainerCheckpoint gate is on`,
      'enable the gate on every kubelet, or upgrade to 1.30+ where it is beta and on',
    );
  else push('ok', `Kubernetes ${gitVersion}: checkpointing is beta and on by default`);
  return v;
}

/**
 * KEP-5823 pod-level checkpoints are optional: served, they are an extra; not served on a 1.37+
 * server, turning them on is one flag away (warn); before 1.37 they do not exist (ok, said so).
 */
async function podLevelFinding(
  client: KubeClient,
  version: Semver | undefined,
  signal?: AbortSignal,
): Promise<Finding> {
  const finding = (status: FindingStatus, message: string, fix?: string): Finding => ({
    check: 'pod-level',
    subject: 'cluster',
    status,
    message,
    ...(fix ? { fix } : {}),
  });
  const api = `${POD_CHECKPOINT_GROUP}/${POD_CHECKPOINT_VERSION} ${POD_CHECKPOINT_PLURAL}`;
  let served: boolean;
  try {
    served = await podCheckpointsServed(client, signal);
  } catch (err) {
    return finding(
      'warn',
      `cannot tell whether ${api} are served: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (served)
    return finding(
      'ok',
      `${api} are served: \`kcr checkpoint --pod-level POD\` checkpoints whole pods (KEP-5823)`,
    );
  if (version && atLeast(version, 1, 37))
    return finding(
      'warn',
      `${api} are not served: pod-level checkpoints (KEP-5823) are off`,
      POD_CHECKPOINT_ENABLE_HINT,
    );
  return finding(
    'ok',
    `${api} are not served (pod-level checkpoints arrive in Kubernetes 1.37, alpha); container checkpoints do not need them`,
  );
}

function runtimeFinding(node: V1Node): Finding {
  const name = node.metadata?.name ?? '?';
  const rt = runtimeInfo(node.status?.nodeInfo?.containerRuntimeVersion);
  if (rt.supported) {
    return {
      check: 'runtime',
      subject: name,
      status: 'ok',
      message: `${rt.raw} can checkpoint${rt.restorePath === 'restore-pod' ? '' : ' and restore'} (with ${rt.name === 'cri-o' ? 'criu support enabled' : 'criu installed'})`,
    };
  }
  return {
    check: 'runtime',
    subject: name,
    status: 'fail',
    message: rt.reason ?? rt.raw,
    fix: 'run CRI-O >= 1.25 (with `kcr setup crio`) or containerd >= 2.0 on this node',
  };
}

/** Which restore path the node's runtime offers, and what to change for it (none when the runtime check failed). */
function restoreFinding(node: V1Node): Finding | undefined {
  const name = node.metadata?.name ?? '?';
  const rt = runtimeInfo(node.status?.nodeInfo?.containerRuntimeVersion);
  const finding = (status: FindingStatus, fix?: string): Finding => ({
    check: 'restore',
    subject: name,
    status,
    message: rt.restoreNote,
    ...(fix ? { fix } : {}),
  });
  switch (rt.restorePath) {
    case 'create-container':
      return finding('ok');
    case 'create-container-opt-in':
      // containerd's configuration cannot be read through the API: say what it must hold.
      return finding(
        'warn',
        `set ${CONTAINERD_RESTORE_OPTION} = true (and enable_criu = true) under [plugins.'io.containerd.cri.v1.runtime'] in /etc/containerd/config.toml and restart containerd; \`kcr setup containerd\` prints it`,
      );
    case 'restore-pod':
      return finding(
        'fail',
        'kcr restores through CreateContainer: restore containerd checkpoints on a node with containerd 2.0 to 2.3 (kcr restore --node); kcr does not drive RestorePod yet',
      );
    case 'none':
      return undefined;
  }
}

async function gateFinding(client: KubeClient, node: V1Node, signal?: AbortSignal): Promise<Finding> {
  const name = node.metadata?.name ?? '?';
  const kubelet = parseVersion(node.status?.nodeInfo?.kubeletVersion ?? '');
  const byDefault = kubelet !== undefined && atLeast(kubelet, 1, 30);
  const finding = (status: FindingStatus, message: string, fix?: string): Finding => ({
    check: 'feature-gate',
    subject: name,
    status,
    message,
    ...(fix ? { fix } : {}),
  });
  if (kubelet && !atLeast(kubelet, 1, 25))
    return finding(
      'fail',
      `kubelet ${formatVersion(kubelet)} has no checkpoint endpoint`,
      'upgrade the node to Kubernetes 1.30+',
    );
  let res;
  try {
    res = await new ProxiedKubelet(client, name).request({
      method: 'GET',
      path: '/configz',
      timeoutMs: 15_000,
      signal,
    });
  } catch (err) {
    return finding(
      'warn',
      `cannot read the kubelet's /configz: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (res.status !== 200) {
    const why = res.status === 403 ? 'forbidden (needs get on nodes/proxy)' : `answered ${res.status}`;
    return finding(
      'warn',
      `cannot read the kubelet's /configz: ${why}; the gate is ${byDefault ? 'on by default' : 'off by default'} for kubelet ${node.status?.nodeInfo?.kubeletVersion ?? '?'}`,
      byDefault ? undefined : GATE_FIX,
    );
  }
  const configz = tryParseJsonWith(kubeletConfigzSchema, res.body);
  if (!configz) return finding('warn', "the kubelet's /configz answer is not a kubelet configuration");
  const config = configz.kubeletconfig ?? {};
  if (config.enableDebuggingHandlers === false) {
    return finding(
      'fail',
      'enableDebuggingHandlers is false, which removes the checkpoint endpoint',
      'set enableDebuggingHandlers: true in the KubeletConfiguration and restart the kubelet',
    );
  }
  const gate = config.featureGates?.ContainerCheckpoint;
  if (gate === true) return finding('ok', 'ContainerCheckpoint is enabled');
  if (gate === false)
    return finding('fail', 'ContainerCheckpoint is disabled in the kubelet configuration', GATE_FIX);
  return byDefault
    ? finding('ok', 'ContainerCheckpoint is on by default (kubelet 1.30+)')
    : finding('fail', 'ContainerCheckpoint is off (alpha, not enabled)', GATE_FIX);
}

interface Permission {
  verb: string;
  resource: string;
  subresource?: string;
  namespaced: boolean;
  /** What kcr needs it for; a missing permission without `required` is a warning. */
  purpose: string;
  required: boolean;
}

const PERMISSIONS: Permission[] = [
  {
    verb: 'create',
    resource: 'nodes',
    subresource: 'proxy',
    namespaced: false,
    purpose: 'checkpoint through the API server',
    required: true,
  },
  {
    verb: 'get',
    resource: 'nodes',
    subresource: 'proxy',
    namespaced: false,
    purpose: "read each kubelet's configuration (/configz) for the feature-gate check",
    required: false,
  },
  { verb: 'get', resource: 'pods', namespaced: true, purpose: 'find the pod and its node', required: true },
  {
    verb: 'list',
    resource: 'pods',
    namespaced: true,
    purpose: 'checkpoint the pods of a label selector (-l)',
    required: false,
  },
  {
    verb: 'create',
    resource: 'pods',
    namespaced: true,
    purpose: 'restore, and the helper pod of checkpoint --output-file',
    required: false,
  },
  {
    verb: 'create',
    resource: 'pods',
    subresource: 'exec',
    namespaced: true,
    purpose: 'copy archives with checkpoint --output-file',
    required: false,
  },
];

async function rbacFinding(client: KubeClient, p: Permission, namespace: string): Promise<Finding> {
  const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
  const subject = `${p.verb} ${resource}${p.namespaced ? ` in ${namespace}` : ''}`;
  try {
    const review = await client.authz.createSelfSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            verb: p.verb,
            resource: p.resource,
            ...(p.subresource ? { subresource: p.subresource } : {}),
            ...(p.namespaced ? { namespace } : {}),
            group: '',
          },
        },
      },
    });
    if (review.status?.allowed)
      return { check: 'rbac', subject, status: 'ok', message: `allowed (${p.purpose})` };
  } catch (err) {
    const e = apiError(err, 'access review', client.server);
    return { check: 'rbac', subject, status: 'warn', message: e.message, ...(e.hint ? { fix: e.hint } : {}) };
  }
  const scope = p.namespaced
    ? `kubectl create role kcr --verb=${p.verb} --resource=${resource} -n ${namespace}`
    : `kubectl create clusterrole kcr --verb=${p.verb} --resource=${resource}`;
  return {
    check: 'rbac',
    subject,
    status: p.required ? 'fail' : 'warn',
    message: `not allowed; kcr needs it to ${p.purpose}`,
    fix: `${scope}, then bind it to your user`,
  };
}

/** The nodes to look at; a user who may not read nodes gets a finding, not a failed doctor. */
async function nodesToCheck(
  client: KubeClient,
  only: string | undefined,
  findings: Finding[],
): Promise<V1Node[]> {
  try {
    return only ? [await client.core.readNode({ name: only })] : (await client.core.listNode()).items;
  } catch (err) {
    const e = apiError(err, only ? `node ${only}` : 'nodes', client.server);
    if (e.code === 'not-found') throw e;
    const fix =
      e.code === 'auth' ? 'ask for `get`/`list` on nodes, or run kcr doctor as a cluster admin' : e.hint;
    findings.push({
      check: 'runtime',
      subject: only ?? 'nodes',
      status: 'warn',
      message: `cannot check the nodes: ${e.message}`,
      ...(fix ? { fix } : {}),
    });
    return [];
  }
}

export async function doctor(o: DoctorOptions = {}): Promise<DoctorReport> {
  const client = KubeClient.fromKubeconfig(o);
  const namespace = o.namespace ?? client.defaultNamespace;
  const findings: Finding[] = [];
  const version = await serverVersion(client, findings);
  findings.push(await podLevelFinding(client, version, o.signal));
  const nodes = await nodesToCheck(client, o.node, findings);
  // One /configz per node through the API server: concurrent, but bounded for large clusters.
  const gates = await mapLimit(
    nodes,
    DOCTOR_PARALLEL,
    (node) => gateFinding(client, node, o.signal),
    o.signal,
  );
  const reviews = await mapLimit(
    PERMISSIONS,
    DOCTOR_PARALLEL,
    (p) => rbacFinding(client, p, namespace),
    o.signal,
  );
  if (o.signal?.aborted) throw new KcrError('cancelled', 'doctor cancelled');
  nodes.forEach((node, i) => {
    const restore = restoreFinding(node);
    findings.push(runtimeFinding(node), ...(restore ? [restore] : []), gates[i]!);
  });
  findings.push(...reviews);
  if (o.canary) {
    const usable = nodes.filter((n) =>
      findings.every((f) => f.subject !== n.metadata?.name || f.status !== 'fail'),
    );
    try {
      findings.push(
        await runCanary(client, {
          namespace,
          node: usable[0]?.metadata?.name,
          image: o.canaryImage,
          signal: o.signal,
          pollIntervalMs: o.pollIntervalMs,
        }),
      );
    } catch (err) {
      if (!isKcrError(err)) throw err;
      findings.push({
        check: 'canary',
        subject: namespace,
        status: 'fail',
        message: err.message,
        ...(err.hint ? { fix: err.hint } : {}),
      });
    }
  }
  return {
    ready: findings.every((f) => f.status !== 'fail'),
    server: client.server,
    ...(version ? { serverVersion: formatVersion(version) } : {}),
    findings,
  };
}
