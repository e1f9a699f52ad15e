/**
 * `kcr diff A B`: what changed in a container between two of its checkpoints. Two archives of
 * different containers are refused unless forced: their differences would be noise.
 */
import type { CheckpointInfo } from '../../archive/engine.js';
import { KcrError } from '../../errors.js';
import type { Checkpoint } from '../checkpoint.js';
import { loadDumpImages } from '../images.js';
import { dumpStats, type DumpStats } from '../stats.js';
import {
  fileChanges,
  memoryGrowth,
  processChanges,
  processSnapshot,
  socketChanges,
  type FileChange,
  type MemoryGrowth,
  type ProcessChange,
  type ProcessRef,
  type SocketChange,
} from './process-diff.js';
import { diffRootfs, type RootfsDiff } from './rootfs-diff.js';

export interface DiffOptions {
  /** Compare even when the archives are of different containers. */
  force?: boolean;
  showUnchanged?: boolean;
  showSecrets?: boolean;
}

export interface DiffSide {
  archive: string;
  container: string;
  pod?: string;
  namespace?: string;
  containerId?: string;
  checkpointedAt?: string;
}

export interface CheckpointDiff {
  apiVersion: 'kcr.dev/v1';
  kind: 'CheckpointDiff';
  a: DiffSide;
  b: DiffSide;
  warnings: string[];
  processes: {
    appeared: ProcessRef[];
    gone: ProcessRef[];
    changed: ProcessChange[];
    unchanged?: ProcessRef[];
  };
  files: { opened: FileChange[]; closed: FileChange[]; changed: FileChange[] };
  sockets: { opened: SocketChange[]; closed: SocketChange[]; changed: SocketChange[] };
  rootfs: RootfsDiff;
  memory: MemoryGrowth[];
  stats: { a?: DumpStats; b?: DumpStats };
}

function side(cp: Checkpoint): DiffSide {
  const i = cp.metadata.info;
  const out: DiffSide = { archive: cp.path, container: i.container };
  if (i.pod) out.pod = i.pod;
  if (i.namespace) out.namespace = i.namespace;
  if (i.containerId) out.containerId = i.containerId;
  if (i.checkpointedAt) out.checkpointedAt = i.checkpointedAt;
  return out;
}

const label = (i: CheckpointInfo) =>
  [i.namespace, i.pod, i.container].filter(Boolean).join('/') +
  (i.containerId ? ` (${i.containerId.slice(0, 12)})` : '');

/**
 * Same container: the same container ID, or the same namespace/pod/container names, which is
 * how Kubernetes names a container across restarts (the ID then differs: `restarted` says so).
 */
export function sameContainer(a: CheckpointInfo, b: CheckpointInfo): { same: boolean; restarted: boolean } {
  if (a.containerId && a.containerId === b.containerId) return { same: true, restarted: false };
  const sameNames = a.container === b.container && a.pod === b.pod && a.namespace === b.namespace;
  return { same: sameNames, restarted: sameNames && Boolean(a.containerId && b.containerId) };
}

export async function diffCheckpoints(
  a: Checkpoint,
  b: Checkpoint,
  options: DiffOptions = {},
): Promise<CheckpointDiff> {
  const warnings: string[] = [];
  const [ia, ib] = [a.metadata.info, b.metadata.info];
  const { same, restarted } = sameContainer(ia, ib);
  if (restarted) {
    warnings.push(
      `the container IDs differ (${ia.containerId?.slice(0, 12)}, ${ib.containerId?.slice(0, 12)}): the container was restarted or re-created between the checkpoints`,
    );
  }
  if (!same) {
    const message = `${a.path} and ${b.path} are checkpoints of different containers: ${label(ia)} and ${label(ib)}`;
    if (!options.force) {
      throw new KcrError('conflict', message, {
        hint: 'compare two checkpoints of one container, or pass --force',
      });
    }
    warnings.push(message);
  }
  if (ia.checkpointedAt && ib.checkpointedAt && ia.checkpointedAt > ib.checkpointedAt) {
    warnings.push(
      `${a.path} is the later checkpoint; changes read from A to B, so they run backwards in time`,
    );
  }
  const [imagesA, imagesB] = [await loadDumpImages(a), await loadDumpImages(b)];
  const [sa, sb] = [await processSnapshot(a, imagesA), await processSnapshot(b, imagesB)];
  const processes = processChanges(sa, sb, Boolean(options.showSecrets));
  const stats: CheckpointDiff['stats'] = {};
  const [da, db] = [dumpStats(imagesA), dumpStats(imagesB)];
  if (da) stats.a = da;
  if (db) stats.b = db;
  return {
    apiVersion: 'kcr.dev/v1',
    kind: 'CheckpointDiff',
    a: side(a),
    b: side(b),
    warnings,
    processes: {
      appeared: processes.appeared,
      gone: processes.gone,
      changed: processes.changed,
      ...(options.showUnchanged ? { unchanged: processes.unchanged } : {}),
    },
    files: fileChanges(sa, sb),
    sockets: socketChanges(sa, sb),
    rootfs: await diffRootfs(a, b, options.showUnchanged),
    memory: memoryGrowth(sa, sb),
    stats,
  };
}
