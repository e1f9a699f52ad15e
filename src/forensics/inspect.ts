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
import { checkPid, loadDumpImages, type DumpImages } from './images.js';
import { describeCycles, processForest } from './process-forest.js';
import { mounts, type Mounts } from './mounts.js';
import { openFiles, type ProcessFiles } from './open-files.js';
import { processTree, type ProcessInfo } from './ps-tree.js';
import { rootfsChanges, type RootfsChanges } from './rootfs.js';
import { sockets, type SocketInfo } from './sockets.js';
import { dumpStats, type DumpStats } from './stats.js';
import { summarize, type CheckpointSummary } from './summary.js';
import { errorFor, problemFor, type ViewError, type ViewName } from './view-errors.js';

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
  /** Views that were asked for and could not be built, with the image that stopped them. */
  errors?: ViewError[];
  /** What looked wrong in the archive without stopping the inspection (duplicate members, PID cycles). */
  warnings?: string[];
}

const imageCount = (cp: Checkpoint) => cp.imageFiles().filter((f) => f.endsWith('.img')).length;

function criuInfo(cp: Checkpoint, images: DumpImages): CriuInfo {
  const root = images.tasks.find((t) => t.ppid === 0) ?? images.tasks[0];
  const info: CriuInfo = { images: imageCount(cp) };
  if (images.inventory?.img_version !== undefined) info.imageVersion = images.inventory.img_version;
  const arch = ociArchitecture(root?.core?.mtype);
  if (arch) info.architecture = arch;
  if (images.inventory?.dump_criu_run_id) info.dumpRunId = images.inventory.dump_criu_run_id;
  return info;
}

/** Command line and environment per process; one failure (memory not readable) costs both views. */
async function addArgs(
  cp: Checkpoint,
  images: DumpImages,
  list: InspectedProcess[],
  options: InspectOptions,
): Promise<void> {
  const wantCmd = options.views.has('cmdline');
  const wantEnv = options.views.has('env');
  // By PID in a map: a crafted pstree.img holds 100k processes, and a search per process is quadratic.
  const tasks = new Map(images.tasks.map((t) => [t.pid, t]));
  for (const p of list) {
    const task = tasks.get(p.pid)!;
    const args = await processArgs(task, await cp.memory(p.pid), Boolean(options.showSecrets));
    if (wantCmd) p.cmdline = args.cmdline;
    if (wantEnv) p.env = args.env;
    if (args.titleRewritten) p.titleRewritten = true;
    if (args.incomplete) p.argsIncomplete = true;
  }
}

/**
 * Builds the asked-for views. A view whose images could not be read, or that fails while being
 * built, is left out and listed in `errors`; every other view is still built.
 */
export async function inspect(cp: Checkpoint, options: InspectOptions): Promise<Inspection> {
  const images = await loadDumpImages(cp, { tolerant: true });
  const v = options.views;
  const errors: ViewError[] = [];
  /** Runs `build` unless `view`'s images are damaged; a failure becomes the view's error entry. */
  const attempt = async <T>(view: ViewName, build: () => T | Promise<T>): Promise<T | undefined> => {
    const problem = problemFor(view, images.problems);
    if (problem) return void errors.push(problem);
    try {
      return await build();
    } catch (err) {
      errors.push(errorFor(view, err));
      return undefined;
    }
  };
  // An unknown --pid is the user's mistake, unless there is no process tree to check it against.
  if (!images.problems.some((p) => p.image === 'pstree.img')) checkPid(images, options.pid, cp.path);
  const result: Inspection = {
    apiVersion: 'kcr.dev/v1',
    kind: 'CheckpointInspection',
    checkpoint: summarize(cp),
    // The header's CRIU line degrades to unknowns rather than failing: it is never asked for.
    criu: criuInfo(cp, images),
  };
  if (v.has('metadata'))
    result.metadata = await attempt('metadata', () => containerMetadata(cp, Boolean(options.showSecrets)));
  const wantArgs = v.has('cmdline') || v.has('env');
  if (v.has('processes') || wantArgs) {
    result.processes = await attempt('processes', () =>
      processTree(images).filter((p) => options.pid === undefined || p.pid === options.pid),
    );
    const treeError = errors.find((e) => e.view === 'processes');
    if (treeError) {
      // Without the tree there is no process to attach a command line or environment to.
      for (const view of ['cmdline', 'env'] as const) if (v.has(view)) errors.push({ ...treeError, view });
    } else if (result.processes && wantArgs) {
      const problem = problemFor(v.has('cmdline') ? 'cmdline' : 'env', images.problems);
      const failed = problem
        ? problem
        : await addArgs(cp, images, result.processes, options).then(
            () => undefined,
            (err: unknown) => errorFor('cmdline', err),
          );
      if (failed) {
        for (const p of result.processes)
          for (const k of ['cmdline', 'env', 'titleRewritten', 'argsIncomplete'] as const) delete p[k];
        for (const view of ['cmdline', 'env'] as const) if (v.has(view)) errors.push({ ...failed, view });
      }
    }
  }
  if (v.has('env')) result.configuredEnv = configuredEnv(cp, Boolean(options.showSecrets));
  if (v.has('files')) result.files = await attempt('files', () => openFiles(images, options.pid));
  if (v.has('sockets')) result.sockets = await attempt('sockets', () => sockets(images, options.pid));
  if (v.has('mounts')) {
    result.mounts = await attempt('mounts', async () => {
      const binds = (await readOptionalJson(cp.archive, 'bind.mounts', bindMountsSchema)) ?? [];
      return mounts(images, cp.metadata.spec, binds);
    });
  }
  if (v.has('rootfs')) result.rootfs = await attempt('rootfs', () => rootfsChanges(cp));
  if (v.has('stats')) {
    result.stats = await attempt('stats', () => {
      const stats = dumpStats(images);
      // Asked for and absent is worth saying: the runtime kept no statistics.
      if (!stats)
        throw new KcrError('not-found', `${cp.path}: has no stats-dump (CRIU wrote no dump statistics)`);
      return stats;
    });
  }
  if (v.has('log')) result.log = await attempt('log', () => containerLog(cp, options.logTail ?? 50));
  for (const key of Object.keys(result) as Array<keyof Inspection>)
    if (result[key] === undefined) delete result[key];
  if (errors.length) result.errors = errors;
  const warnings = [...cp.archive.warnings(), ...pstreeWarnings(images)];
  if (warnings.length > 0) result.warnings = warnings;
  return result;
}

/** Parent cycles and repeated PIDs in pstree.img: the tree shows those processes apart. */
function pstreeWarnings(images: DumpImages): string[] {
  const forest = processForest(images.tasks);
  const out = describeCycles(forest.inCycles).map((c) => `pstree.img: processes in a parent cycle (${c})`);
  if (forest.duplicates.length > 0)
    out.push(
      `pstree.img: PIDs ${[...new Set(forest.duplicates.map((t) => t.pid))].join(', ')} occur more than once`,
    );
  return out;
}
