/**
 * Version rules for checkpoint/restore: the kubelet API exists from Kubernetes 1.25 (alpha, gate
 * off) and is beta and on by default from 1.30; CRI-O implements it from 1.25, containerd from 2.0.
 * Restoring differs (docs/checkpoint-format.md §E.4, §E.5): CRI-O restores a Pod whose image is a
 * checkpoint image; containerd 2.0–2.3 does the same only with `enable_experimental_restore_via_create`
 * (off by default since 2.2.7 and 2.3.4), and containerd 2.4 removed that path for KEP-5823's
 * pod-level RestorePod.
 */
export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

export function parseVersion(text: string): Semver | undefined {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) } : undefined;
}

export function atLeast(v: Semver, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

export const MIN_KUBERNETES = { major: 1, minor: 25 };
export const DEFAULT_ON_KUBERNETES = { major: 1, minor: 30 };

/**
 * How a runtime restores a checkpoint image that a Pod names: in CreateContainer (CRI-O), in
 * CreateContainer behind containerd's opt-in, only through the pod-level RestorePod (containerd
 * 2.4+, which kcr restore does not drive), or not at all.
 */
export type RestorePath = 'create-container' | 'create-container-opt-in' | 'restore-pod' | 'none';

export interface RuntimeInfo {
  /** `cri-o`, `containerd`, `docker`, ... as the node reports it. */
  name: string;
  version?: Semver;
  raw: string;
  /** Whether the runtime implements the CRI CheckpointContainer call. */
  supported: boolean;
  /** The reason when not supported, naming the version needed. */
  reason?: string;
  restorePath: RestorePath;
  /** What the restore path needs on the node, or why there is none. */
  restoreNote: string;
}

/** containerd's CRI runtime setting that turns restore in CreateContainer on. */
export const CONTAINERD_RESTORE_OPTION = 'enable_experimental_restore_via_create';

/** Reads `status.nodeInfo.containerRuntimeVersion`, e.g. `cri-o://1.31.2` or `containerd://2.0.1`. */
export function runtimeInfo(containerRuntimeVersion: string | undefined): RuntimeInfo {
  const raw = containerRuntimeVersion ?? '';
  const [name = 'unknown', rest = ''] = raw.includes('://') ? raw.split('://') : [raw || 'unknown', ''];
  const version = parseVersion(rest);
  const base = { name, raw, ...(version ? { version } : {}) };
  const shown = rest || '?';
  if (name === 'cri-o') {
    if (version && atLeast(version, 1, 25))
      return {
        ...base,
        supported: true,
        restorePath: 'create-container',
        restoreNote: `CRI-O ${shown} restores a Pod whose image is a checkpoint image, with criu support on (\`kcr setup crio\`)`,
      };
    return {
      ...base,
      supported: false,
      reason: `CRI-O ${shown} is older than 1.25, which added container checkpointing`,
      restorePath: 'none',
      restoreNote: `CRI-O ${shown} cannot restore checkpoints (1.25 added it)`,
    };
  }
  if (name === 'containerd') {
    if (version && atLeast(version, 2, 4))
      return {
        ...base,
        supported: true,
        restorePath: 'restore-pod',
        restoreNote: `containerd ${shown} removed restore in CreateContainer: it restores only through the pod-level RestorePod (KEP-5823), which kcr restore does not drive`,
      };
    if (version && atLeast(version, 2, 0))
      return {
        ...base,
        supported: true,
        restorePath: 'create-container-opt-in',
        restoreNote: `containerd ${shown} restores a Pod whose image is a checkpoint image only with ${CONTAINERD_RESTORE_OPTION} = true in its CRI runtime config (off by default since 2.2.7 and 2.3.4; \`kcr setup containerd\`)`,
      };
    return {
      ...base,
      supported: false,
      reason: `containerd ${shown} has no CRI checkpoint support; it arrived in containerd 2.0`,
      restorePath: 'none',
      restoreNote: `containerd ${shown} cannot restore checkpoints (2.0 added it)`,
    };
  }
  return {
    ...base,
    supported: false,
    reason: `${name} does not implement CRI container checkpointing; use CRI-O >= 1.25 or containerd >= 2.0`,
    restorePath: 'none',
    restoreNote: `${name} cannot restore checkpoints`,
  };
}

export function formatVersion(v: Semver): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}
