/**
 * `kcr inspect`: the selected views of one checkpoint in one object, the documented
 * `-o json` schema (docs/inspect-json.md). Views are computed from one snapshot of the images.
 */
import { bindMountsSchema, readOptionalJson } from '../archive/metadata.js';
import { KcrError } from '../errors.js';
import { ociArchitecture } from '../criu/arch.js';
import type { Checkpoint } from './checkpoint.js';
import { processArgs, type EnvVar } from './cmdline-env.js';
import { configuredEnv, containerMetadata, type ContainerMetadata } from './container-config.js';
import { containerLog, type ContainerLog } from './container-log.js';
import { loadDumpImages, type DumpImages } from './images.js';
import { mounts, type Mounts } from './mounts.js';
import { openFiles, type ProcessFiles } from './open-files.js';
import { processTree, type ProcessInfo } from './ps-tree.js';
import { rootfsChanges, type RootfsChanges } from './rootfs.js';
import { sockets, type SocketInfo } from './sockets.js';
import { dumpStats, type DumpStats } from './stats.js';
import { summarize, type CheckpointSummary } from './summary.js';

export const INSPECT_VIEWS = [
  'processes',
  'cmdline',
  'env',
  'files',
  'sockets',
  'mounts',
  'rootfs',
  'stats',
  'log',
  'metadata',
] as const;
export type InspectView = (typeof INSPECT_VIEWS)[number];

export interface InspectOptions {
  views: ReadonlySet<InspectView>;
  /** Limit per-process views to this PID (container PID namespace). */
  pid?: number;
  showSecrets?: boolean;
  /** Log lines to keep from the end; negative for all. */
  logTail?: number;
}

export interface InspectedProcess extends ProcessInfo {
  cmdline?: string[];
  env?: EnvVar[];
  /** argv was rewritten by the process (setproctitle); cmdline follows the kernel's rule. */
  titleRewritten?: boolean;
  /** Some argv/environ bytes were not in the dump. */
  argsIncomplete?: boolean;
}

export interface CriuInfo {
  imageVersion?: number;
  architecture?: string;
  dumpRunId?: string;
  /** CRIU images in the archive with no decoder in kcr (listed, not fatal). */
  images: number;
}

export interface Inspection {
  apiVersion: 'kcr.dev/v1';
  kind: 'CheckpointInspection';
  checkpoint: CheckpointSummary;
  criu: CriuInfo;
  processes?: InspectedProcess[];
  /**
   * With `env`: the environment the container was configured with (spec.dump `process.env`),
   * beside each process's environment read from memory (`processes[].env`).
   */
  configuredEnv?: EnvVar[];
  metadata?: ContainerMetadata;
  files?: ProcessFiles[];
  sockets?: SocketInfo[];
  mounts?: Mounts;
  rootfs?: RootfsChanges;
  stats?: DumpStats;
  log?: ContainerLog;
}

function criuInfo(cp: Checkpoint, images: DumpImages): CriuInfo {
  const root = images.tasks.find((t) => t.ppid === 0) ?? images.tasks[0];
  const info: CriuInfo = { images: cp.imageFiles().filter((f) => f.endsWith('.img')).length };
  if (images.inventory?.img_version !== undefined) info.imageVersion = images.inventory.img_version;
  const arch = ociArchitecture(root?.core?.mtype);
  if (arch) info.architecture = arch;
  if (images.inventory?.dump_criu_run_id) info.dumpRunId = images.inventory.dump_criu_run_id;
  return info;
}

export function checkPid(images: DumpImages, pid: number | undefined, path: string): void {
  if (pid === undefined || images.tasks.some((t) => t.pid === pid)) return;
  const known = images.tasks.map((t) => t.pid).join(', ');
  throw new KcrError('not-found', `${path}: no process with pid ${pid}`, {
    hint: `the checkpoint holds pids ${known} (container PID namespace)`,
  });
}

async function inspectProcesses(
  cp: Checkpoint,
  images: DumpImages,
  options: InspectOptions,
): Promise<InspectedProcess[]> {
  const wantCmd = options.views.has('cmdline');
  const wantEnv = options.views.has('env');
  const list = processTree(images).filter((p) => options.pid === undefined || p.pid === options.pid);
  return Promise.all(
    list.map(async (p): Promise<InspectedProcess> => {
      if (!wantCmd && !wantEnv) return p;
      const task = images.tasks.find((t) => t.pid === p.pid)!;
      const args = await processArgs(task, await cp.memory(p.pid), Boolean(options.showSecrets));
      const out: InspectedProcess = { ...p };
      if (wantCmd) out.cmdline = args.cmdline;
      if (wantEnv) out.env = args.env;
      if (args.titleRewritten) out.titleRewritten = true;
      if (args.incomplete) out.argsIncomplete = true;
      return out;
    }),
  );
}

export async function inspect(cp: Checkpoint, options: InspectOptions): Promise<Inspection> {
  const images = await loadDumpImages(cp);
  checkPid(images, options.pid, cp.path);
  const v = options.views;
  const result: Inspection = {
    apiVersion: 'kcr.dev/v1',
    kind: 'CheckpointInspection',
    checkpoint: summarize(cp),
    criu: criuInfo(cp, images),
  };
  if (v.has('metadata')) result.metadata = containerMetadata(cp, Boolean(options.showSecrets));
  if (v.has('processes') || v.has('cmdline') || v.has('env'))
    result.processes = await inspectProcesses(cp, images, options);
  if (v.has('env')) result.configuredEnv = configuredEnv(cp, Boolean(options.showSecrets));
  if (v.has('files')) result.files = openFiles(images, options.pid);
  if (v.has('sockets')) result.sockets = sockets(images, options.pid);
  if (v.has('mounts')) {
    const binds = (await readOptionalJson(cp.archive, 'bind.mounts', bindMountsSchema)) ?? [];
    result.mounts = mounts(images, cp.metadata.spec, binds);
  }
  if (v.has('rootfs')) result.rootfs = await rootfsChanges(cp);
  if (v.has('stats')) {
    const stats = dumpStats(images);
    if (stats) result.stats = stats;
  }
  if (v.has('log')) result.log = await containerLog(cp, options.logTail ?? 50);
  return result;
}
