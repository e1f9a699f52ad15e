/**
 * Version rules for checkpoint/restore: the kubelet API exists from Kubernetes 1.25 (alpha, gate
 * off) and is beta and on by default from 1.30; CRI-O implements it from 1.25, containerd from 2.0.
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

export interface RuntimeInfo {
  /** `cri-o`, `containerd`, `docker`, ... as the node reports it. */
  name: string;
  version?: Semver;
  raw: string;
  /** Whether the runtime implements the CRI CheckpointContainer call and restore from a checkpoint image. */
  supported: boolean;
  /** The reason when not supported, naming the version needed. */
  reason?: string;
}

/** Reads `status.nodeInfo.containerRuntimeVersion`, e.g. `cri-o://1.31.2` or `containerd://2.0.1`. */
export function runtimeInfo(containerRuntimeVersion: string | undefined): RuntimeInfo {
  const raw = containerRuntimeVersion ?? '';
  const [name = 'unknown', rest = ''] = raw.includes('://') ? raw.split('://') : [raw || 'unknown', ''];
  const version = parseVersion(rest);
  const base = { name, raw, ...(version ? { version } : {}) };
  if (name === 'cri-o') {
    if (version && atLeast(version, 1, 25)) return { ...base, supported: true };
    return {
      ...base,
      supported: false,
      reason: `CRI-O ${rest || '?'} is older than 1.25, which added container checkpointing`,
    };
  }
  if (name === 'containerd') {
    if (version && atLeast(version, 2, 0)) return { ...base, supported: true };
    return {
      ...base,
      supported: false,
      reason: `containerd ${rest || '?'} has no CRI checkpoint support; it arrived in containerd 2.0`,
    };
  }
  return {
    ...base,
    supported: false,
    reason: `${name} does not implement CRI container checkpointing; use CRI-O >= 1.25 or containerd >= 2.0`,
  };
}

export function formatVersion(v: Semver): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}
