/**
 * Mounts, two views: the runtime's (spec.dump, host sources) and CRIU's
 * (mountpoints-<mnt_ns_id>.img, the mount tree inside the container).
 */
import type { BindMount, SpecDump } from '../archive/metadata.js';
import type { DumpImages } from './images.js';

const FS_TYPES: Record<number, string> = {
  0: 'unsupported',
  1: 'proc',
  2: 'sysfs',
  3: 'devtmpfs',
  4: 'binfmt_misc',
  5: 'tmpfs',
  6: 'devpts',
  7: 'simfs',
  8: 'pstore',
  9: 'securityfs',
  10: 'fusectl',
  11: 'debugfs',
  12: 'cgroup',
  13: 'aufs',
  14: 'mqueue',
  15: 'fuse',
  16: 'auto',
  17: 'overlay',
  18: 'autofs',
  19: 'tracefs',
  23: 'cgroup2',
};

export interface CriuMount {
  mountId: number;
  parentId: number;
  mountpoint: string;
  fstype: string;
  source: string;
  /** Path inside the mounted filesystem that is mounted here. */
  root: string;
  options: string;
  /** A bind mount from the host (its contents are not in the dump); CRIU's external key. */
  external?: string;
}

export interface RuntimeMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface Mounts {
  runtime: RuntimeMount[];
  criu: CriuMount[];
  /** CRI-O's bind.mounts: bind sources a restore recreates when they are missing on the node. */
  bindMounts: BindMount[];
}

export function fsTypeName(fstype: number | undefined, fsname: string | undefined): string {
  // AUTO means "CRIU saw a filesystem it has no special code for": the real name is fsname.
  if (fstype === 16 && fsname) return fsname;
  return fstype === undefined ? 'unknown' : (FS_TYPES[fstype] ?? `type${fstype}`);
}

export function mounts(images: DumpImages, spec: SpecDump, bindMounts: BindMount[] = []): Mounts {
  const root = images.tasks.find((t) => t.ppid === 0) ?? images.tasks[0];
  const nsId = root?.ids?.mnt_ns_id ?? images.inventory?.root_ids?.mnt_ns_id;
  const entries = nsId === undefined ? [] : (images.mountpoints.get(nsId) ?? []);
  const criu = entries
    .map((m): CriuMount => {
      const out: CriuMount = {
        mountId: m.mnt_id ?? 0,
        parentId: m.parent_mnt_id ?? 0,
        mountpoint: m.mountpoint ?? '',
        // Host bind mounts of single files show up as an unsupported fs type: call them binds.
        fstype: (m.ext_key || m.ext_mount) && !m.fstype ? 'bind' : fsTypeName(m.fstype, m.fsname),
        source: m.source ?? '',
        root: m.root ?? '',
        options: m.options ?? '',
      };
      if (m.ext_key || m.ext_mount) out.external = m.ext_key ?? 'yes';
      return out;
    })
    .sort((a, b) => a.mountpoint.localeCompare(b.mountpoint) || a.mountId - b.mountId);
  const runtime = (spec.mounts ?? []).map((m) => ({
    destination: m.destination,
    type: m.type ?? '',
    source: m.source ?? '',
    options: m.options ?? [],
  }));
  return { runtime, criu, bindMounts };
}
