/**
 * Node and cluster configuration for checkpoint/restore, as files ready to use: a kubeadm config
 * (InitConfiguration, ClusterConfiguration, KubeletConfiguration), a CRI-O drop-in,
 * /etc/criu/runc.conf, and the containerd 2.x settings.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { KcrError, fileError } from '../errors.js';
import { atLeast, parseVersion } from './versions.js';

import { CRI_SOCKETS, DEFAULT_KUBERNETES_VERSION } from './defaults.js';

export { CRI_SOCKETS, DEFAULT_KUBERNETES_VERSION };

export interface KubeadmOptions {
  kubernetesVersion?: string;
  criSocket?: string;
  podSubnet?: string;
  controlPlaneEndpoint?: string;
}

/** kubeadm 1.31 introduced v1beta4, whose extraArgs are a list of {name, value}; older ones take v1beta3 maps. */
function extraArgs(v1beta4: boolean, args: Record<string, string>): unknown {
  return v1beta4 ? Object.entries(args).map(([name, value]) => ({ name, value })) : args;
}

export function kubeadmConfig(o: KubeadmOptions = {}): string {
  const version = o.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
  const v = parseVersion(version);
  if (!v || !atLeast(v, 1, 25)) {
    throw new KcrError(
      'usage',
      `--kubernetes-version ${version}: checkpointing needs Kubernetes 1.25 or later`,
      { hint: 'for example --kubernetes-version v1.31.4' },
    );
  }
  const v1beta4 = atLeast(v, 1, 31);
  const apiVersion = `kubeadm.k8s.io/${v1beta4 ? 'v1beta4' : 'v1beta3'}`;
  const gates = { 'feature-gates': 'ContainerCheckpoint=true' };
  const docs = [
    {
      apiVersion,
      kind: 'InitConfiguration',
      nodeRegistration: { criSocket: o.criSocket ?? CRI_SOCKETS['cri-o'] },
    },
    {
      apiVersion,
      kind: 'ClusterConfiguration',
      kubernetesVersion: version.startsWith('v') ? version : `v${version}`,
      ...(o.controlPlaneEndpoint ? { controlPlaneEndpoint: o.controlPlaneEndpoint } : {}),
      networking: { podSubnet: o.podSubnet ?? '10.244.0.0/16' },
      apiServer: { extraArgs: extraArgs(v1beta4, gates) },
      controllerManager: { extraArgs: extraArgs(v1beta4, gates) },
      scheduler: { extraArgs: extraArgs(v1beta4, gates) },
    },
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      cgroupDriver: 'systemd',
      // The checkpoint endpoint lives among the debugging handlers and needs the gate (on by default from 1.30).
      enableDebuggingHandlers: true,
      featureGates: { ContainerCheckpoint: true },
    },
  ];
  const header =
    '# kubeadm configuration for checkpoint/restore, written by `kcr setup kubeadm`.\n' +
    '# Use it with: kubeadm init --config kubeadm.yaml (kubeadm join takes the KubeletConfiguration part).\n';
  return header + docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}

export const CRIO_DROP_IN_PATH = '/etc/crio/crio.conf.d/50-kcr-checkpoint.conf';
export const RUNC_CONF_PATH = '/etc/criu/runc.conf';
export const RUNC_CONF_OPTIONS = ['tcp-established', 'file-locks'] as const;

export function crioDropIn(): string {
  return [
    `# ${CRIO_DROP_IN_PATH}, written by \`kcr setup crio\`.`,
    '# Needs criu >= 3.16 in the PATH of crio; restart crio afterwards (systemctl restart crio).',
    '[crio.runtime]',
    '# Checkpoint and restore containers with CRIU (the default from CRI-O 1.30; off before).',
    'enable_criu_support = true',
    '# Keep the infra (pause) container, as the restore paths of older CRI-O releases expect.',
    'drop_infra_ctr = false',
    '',
  ].join('\n');
}

export const CONTAINERD_CONFIG_PATH = '/etc/containerd/config.toml';

/**
 * The containerd 2.x (config version 3) settings for checkpoint and restore. `enable_criu` is on by
 * default; restore from a checkpoint image goes through CreateContainer only with
 * `enable_experimental_restore_via_create`, off by default since 2.2.7 and 2.3.4 and gone in 2.4.
 */
export function containerdConfig(): string {
  return [
    `# containerd 2.x checkpoint and restore, written by \`kcr setup containerd\`.`,
    `# Merge it into ${CONTAINERD_CONFIG_PATH} (config version 3), or into a file that its imports list,`,
    "# then restart containerd (systemctl restart containerd). Needs criu >= 3.16 in containerd's PATH.",
    'version = 3',
    '',
    "[plugins.'io.containerd.cri.v1.runtime']",
    "  # CheckpointContainer (the kubelet's checkpoint) and restore run CRIU (the default: true).",
    '  enable_criu = true',
    '  # containerd 2.0 to 2.3 restore a Pod whose image is a checkpoint image inside CreateContainer, only',
    '  # with this on (off by default since 2.2.7 and 2.3.4). While it is on, whoever may create pods',
    '  # can have a checkpoint restored: grant that only to trusted users. containerd 2.4 removes it in',
    '  # favour of the pod-level RestorePod (KEP-5823).',
    '  enable_experimental_restore_via_create = true',
    '',
  ].join('\n');
}

export function runcConf(): string {
  return [
    `# ${RUNC_CONF_PATH}: options runc passes to CRIU on every checkpoint and restore (one per line, no dashes).`,
    '# Dump established TCP connections instead of failing with',
    '# "Connected TCP socket, consider using --tcp-established option".',
    'tcp-established',
    '# Dump and restore the file locks the container holds.',
    'file-locks',
    '',
  ].join('\n');
}

/** Adds kcr's options to an existing runc.conf, keeping the operator's own lines. */
export function mergeRuncConf(existing: string): string {
  const present = new Set(existing.split('\n').map((l) => l.trim().replace(/^--/, '')));
  const missing = RUNC_CONF_OPTIONS.filter((o) => !present.has(o));
  if (missing.length === 0) return existing;
  return `${existing}${existing.endsWith('\n') || existing === '' ? '' : '\n'}# added by kcr setup crio\n${missing.join('\n')}\n`;
}

export interface InstalledFile {
  path: string;
  changed: boolean;
}

/** Writes the CRI-O drop-in and merges runc.conf under `root` (default `/`); run as root on the node. */
export async function installCrioConfig(root = '/'): Promise<InstalledFile[]> {
  const dropIn = join(root, CRIO_DROP_IN_PATH);
  const runc = join(root, RUNC_CONF_PATH);
  const read = (p: string) =>
    readFile(p, 'utf8').catch((err: unknown) =>
      (err as { code?: unknown }).code === 'ENOENT' ? undefined : Promise.reject(fileError(p, err)),
    );
  const results: InstalledFile[] = [];
  for (const [path, next] of [
    [dropIn, async () => crioDropIn()],
    [
      runc,
      async () => {
        const current = await read(runc);
        return current === undefined ? runcConf() : mergeRuncConf(current);
      },
    ],
  ] as const) {
    const before = await read(path);
    const content = await next();
    if (before === content) {
      results.push({ path, changed: false });
      continue;
    }
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content, { mode: 0o644 });
    } catch (err) {
      throw fileError(path, err, 'cannot write');
    }
    results.push({ path, changed: true });
  }
  return results;
}
