/**
 * Loads the decoded CRIU images that the forensic views need into one plain snapshot.
 * Everything starts from pstree.img: per-task images of tasks not in the tree are stale
 * leftovers (Podman reuses its checkpoint directory) and are ignored.
 */
import { decodeEntries, entriesAs } from '../criu/image.js';
import { coreEntry, inventoryEntry, pstreeEntry, taskKobjIdsEntry } from '../criu/messages/core.js';
import {
  fdinfoEntry,
  fileEntry,
  fsEntry,
  memfdInodeEntry,
  pipeDataEntry,
  pipeEntry,
  regFileEntry,
  remapFilePathEntry,
  ttyInfoEntry,
} from '../criu/messages/files.js';
import { mmEntry } from '../criu/messages/mm.js';
import { mntEntry } from '../criu/messages/namespaces.js';
import { inetSkEntry, skPacketEntry, tcpStreamEntry, unixSkEntry } from '../criu/messages/sockets.js';
import { statsEntry } from '../criu/messages/stats.js';
import type { Decoded, DecodedOf, FieldMap, MessageSpec } from '../criu/schema.js';
import { KcrError } from '../errors.js';
import type { CheckpointImages } from './checkpoint-images.js';

export type CoreEntry = DecodedOf<typeof coreEntry>;
export type IdsEntry = DecodedOf<typeof taskKobjIdsEntry>;
export type MmEntry = DecodedOf<typeof mmEntry>;
export type FsEntry = DecodedOf<typeof fsEntry>;
export type FdinfoEntry = DecodedOf<typeof fdinfoEntry>;
export type FileEntry = DecodedOf<typeof fileEntry>;
export type RemapEntry = DecodedOf<typeof remapFilePathEntry>;
export type MntEntry = DecodedOf<typeof mntEntry>;
export type TcpStreamEntry = DecodedOf<typeof tcpStreamEntry>;
export type SkPacketEntry = DecodedOf<typeof skPacketEntry>;
export type StatsEntry = DecodedOf<typeof statsEntry>;
export type InventoryEntry = DecodedOf<typeof inventoryEntry>;
export type MemfdInodeEntry = DecodedOf<typeof memfdInodeEntry>;
export type TtyInfoEntry = DecodedOf<typeof ttyInfoEntry>;

export interface TaskImages {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** No threads, no memory, no files: only its core (name, state, exit code) is in the dump. */
  zombie: boolean;
  threads: number[];
  /** Core of the main thread (holds task-wide state in `tc`). */
  core?: CoreEntry;
  /** Core of every thread, main thread included. */
  threadCores: Map<number, CoreEntry>;
  ids?: IdsEntry;
  mm?: MmEntry;
  fs?: FsEntry;
}

/** Bytes queued in a pipe or FIFO at the checkpoint (pipes-data.img / fifo-data.img). */
export interface PipeData {
  bytes: number;
  /** The pipe's buffer size. */
  size?: number;
  data: Uint8Array;
}

export interface DumpImages {
  inventory?: InventoryEntry;
  tasks: TaskImages[];
  fdinfo: Map<number, FdinfoEntry[]>;
  files: Map<number, FileEntry>;
  remaps: Map<number, RemapEntry>;
  memfdInodes: Map<number, MemfdInodeEntry>;
  ttyInfo: Map<number, TtyInfoEntry>;
  mountpoints: Map<number, MntEntry[]>;
  tcpStreams: Map<number, TcpStreamEntry>;
  skQueues: SkPacketEntry[];
  /** Queued bytes by pipe inode (pipe_id), for pipes and for FIFOs. */
  pipeData: Map<number, PipeData>;
  fifoData: Map<number, PipeData>;
  stats?: StatsEntry;
  /** Images that could not be read (only with `tolerant`; the strict loader throws instead). */
  problems: ImageProblem[];
}

function byKey<T>(items: T[], key: (item: T) => number | undefined): Map<number, T> {
  const out = new Map<number, T>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) out.set(k, item);
  }
  return out;
}

/** A CRIU image (or stats-dump) that could not be read: missing where required, or damaged. */
export interface ImageProblem {
  /** The image file name (`files.img`, `core-7.img`, `stats-dump`). */
  image: string;
  message: string;
  /** The error itself, rethrown by the strict loader. */
  error: unknown;
}

/**
 * Reads an image through `load`; a failure is recorded in `problems` and `fallback` is used, so
 * one damaged image costs only the views that need it (inspect.ts decides which). `missing` records
 * a required image that is not there without throwing first: a hostile pstree.img can name 100k
 * tasks whose images do not exist, and an error (with its stack) per image is most of the time.
 */
interface Guard {
  <T>(image: string, fallback: T, load: () => Promise<T>): Promise<T>;
  missing(image: string): void;
}

/** `core-7.img` and `core-9.img` are one kind: only the first problem of a kind is kept (view-errors reads only that). */
const imageKind = (image: string) => image.replace(/-[0-9a-f]+\.img$/, '-N.img');

function guardInto(cp: CheckpointImages, problems: ImageProblem[], strict: boolean): Guard {
  const kinds = new Set<string>();
  const record = (image: string, error: unknown) => {
    if (strict) throw error;
    const kind = imageKind(image);
    if (kinds.has(kind)) return;
    kinds.add(kind);
    problems.push({ image, message: error instanceof Error ? error.message : String(error), error });
  };
  const guard = async <T>(image: string, fallback: T, load: () => Promise<T>): Promise<T> => {
    try {
      return await load();
    } catch (error) {
      record(image, error);
      return fallback;
    }
  };
  return Object.assign(guard, {
    missing(image: string) {
      if (!strict && kinds.has(imageKind(image))) return;
      record(image, missingImage(cp, image));
    },
  });
}

function missingImage(cp: CheckpointImages, file: string): KcrError {
  return new KcrError('not-found', `${cp.path}: has no ${cp.imageMember(file)}`, {
    hint: 'the CRIU dump is incomplete (the checkpoint failed or the archive was cut); take a new checkpoint',
  });
}

/** Throws the standard error when `file`, an image CRIU writes for every live task, is missing. */
export function requireImage(cp: CheckpointImages, file: string): void {
  if (!cp.hasImage(file)) throw missingImage(cp, file);
}

/**
 * CRIU records a zombie's thread list as [0] (it has no threads left) and still writes its core
 * (name, task_state, exit code) as core-<pid>.img; it has no ids, mm, fs or pagemap image.
 */
export function isZombie(entry: DecodedOf<typeof pstreeEntry>): boolean {
  return entry.threads?.length === 1 && entry.threads[0] === 0;
}

/** The standard error for a `--pid` the checkpoint does not hold. */
export function checkPid(
  images: { tasks: readonly { pid: number }[] },
  pid: number | undefined,
  path: string,
): void {
  if (pid === undefined || images.tasks.some((t) => t.pid === pid)) return;
  const known = images.tasks.map((t) => t.pid).join(', ');
  throw new KcrError('not-found', `${path}: no process with pid ${pid}`, {
    hint: `the checkpoint holds pids ${known} (container PID namespace)`,
  });
}

async function loadTask(
  cp: CheckpointImages,
  entry: DecodedOf<typeof pstreeEntry>,
  guard: Guard,
): Promise<TaskImages> {
  const pid = entry.pid ?? 0;
  const zombie = isZombie(entry);
  const threads = zombie ? [] : entry.threads?.length ? entry.threads : [pid];
  const threadCores = new Map<number, CoreEntry>();
  // CRIU writes these for every live task: a missing one is a gap in the dump, said as such.
  const first = async <F extends FieldMap>(file: string, spec: MessageSpec<F>, required = true) => {
    if (required && !cp.hasImage(file)) {
      guard.missing(file);
      return undefined;
    }
    return guard(file, undefined, async () => (await cp.entries(file, spec))[0]);
  };
  for (const tid of zombie ? [pid] : threads) {
    const core = await first(`core-${tid}.img`, coreEntry);
    if (core) threadCores.set(tid, core);
  }
  const core = threadCores.get(pid);
  const live = !zombie;
  // Dumps before CRIU 1.x kept the ids in the core image.
  const ids = await first(`ids-${pid}.img`, taskKobjIdsEntry, live && !core?.ids);
  const mm = await first(`mm-${pid}.img`, mmEntry, live);
  const fs = await first(`fs-${pid}.img`, fsEntry, live);
  if (live && !cp.hasImage(`pagemap-${pid}.img`)) guard.missing(`pagemap-${pid}.img`);
  return {
    pid,
    ppid: entry.ppid ?? 0,
    pgid: entry.pgid ?? 0,
    sid: entry.sid ?? 0,
    zombie,
    threads,
    core,
    threadCores,
    ids: ids ?? core?.ids,
    mm,
    fs,
  };
}

const LEGACY_FILE_IMAGES = ['reg-files.img', 'inetsk.img', 'unixsk.img', 'pipes.img'];

/** Pre-files.img dumps kept one image per file type; gather them into the same id → file map. */
async function loadLegacyFiles(cp: CheckpointImages): Promise<Map<number, FileEntry>> {
  const files = new Map<number, FileEntry>();
  for (const reg of await cp.entries('reg-files.img', regFileEntry))
    files.set(reg.id ?? 0, { type: 1, id: reg.id, reg });
  for (const isk of await cp.entries('inetsk.img', inetSkEntry))
    files.set(isk.id ?? 0, { type: 4, id: isk.id, isk });
  for (const usk of await cp.entries('unixsk.img', unixSkEntry))
    files.set(usk.id ?? 0, { type: 5, id: usk.id, usk });
  for (const pipe of await cp.entries('pipes.img', pipeEntry))
    files.set(pipe.id ?? 0, { type: 2, id: pipe.id, pipe });
  return files;
}

/** The file objects by id: files.img, or the per-type images of dumps made before it. */
export async function loadFiles(cp: CheckpointImages, tasks: number): Promise<Map<number, FileEntry>> {
  if (cp.hasImage('files.img')) return byKey(await cp.entries('files.img', fileEntry), (f) => f.id);
  // Every task has at least its cwd and root in the file objects: none at all is a gap.
  if (tasks > 0 && !LEGACY_FILE_IMAGES.some((f) => cp.hasImage(f))) {
    throw new KcrError('not-found', `${cp.path}: has no ${cp.imageMember('files.img')}`, {
      hint: 'the CRIU dump is incomplete: open files and sockets cannot be shown',
    });
  }
  return loadLegacyFiles(cp);
}

/** memfd.img: the memfd inodes by id (a memfd mapping's pages are in the shmem pagemap they name). */
export async function loadMemfdInodes(cp: CheckpointImages): Promise<Map<number, MemfdInodeEntry>> {
  return byKey(await cp.entries('memfd.img', memfdInodeEntry), (m) =>
    m.inode_id === undefined ? undefined : Number(m.inode_id),
  );
}

/** pipes-data.img / fifo-data.img: one pipe_data_entry per pipe, its queued bytes right after it. */
async function loadPipeData(cp: CheckpointImages, file: string): Promise<Map<number, PipeData>> {
  const out = new Map<number, PipeData>();
  const image = await cp.image(file);
  for (const entry of image?.entries ?? []) {
    const [value] = entriesAs({ magic: image!.magic, entries: [entry] }, pipeDataEntry, cp.imageMember(file));
    if (value?.pipe_id === undefined) continue;
    const data = entry.extra?.kind === 'bytes' ? entry.extra.data : new Uint8Array();
    const item: PipeData = { bytes: value.bytes ?? data.length, data };
    if (value.size !== undefined) item.size = value.size;
    out.set(value.pipe_id, item);
  }
  return out;
}

/**
 * Strict: the first image that cannot be read fails the whole load (mem, secrets, diff).
 * `tolerant`: images that cannot be read are left out, and the first of each kind (`core-N.img`)
 * is listed in `problems` (inspect).
 */
export async function loadDumpImages(
  cp: CheckpointImages,
  options: { tolerant?: boolean } = {},
): Promise<DumpImages> {
  const problems: ImageProblem[] = [];
  // Strict loading stops at the first image that cannot be read instead of reading on.
  const images = await loadAll(cp, guardInto(cp, problems, !options.tolerant));
  return { ...images, problems };
}

async function loadAll(cp: CheckpointImages, guard: Guard): Promise<Omit<DumpImages, 'problems'>> {
  const entries = <F extends FieldMap>(file: string, spec: MessageSpec<F>) =>
    guard(file, [] as Decoded<F>[], () => cp.entries(file, spec));
  const pstree = await guard('pstree.img', [], () => cp.requiredEntries('pstree.img', pstreeEntry));
  const [inventory] = await entries('inventory.img', inventoryEntry);
  const tasks: TaskImages[] = [];
  for (const entry of pstree) tasks.push(await loadTask(cp, entry, guard));

  const fdinfo = new Map<number, FdinfoEntry[]>();
  const mountpoints = new Map<number, MntEntry[]>();
  for (const task of tasks) {
    const filesId = task.ids?.files_id;
    if (filesId !== undefined && !fdinfo.has(filesId)) {
      const file = `fdinfo-${filesId}.img`;
      fdinfo.set(
        filesId,
        await guard(file, [], async () => (requireImage(cp, file), cp.entries(file, fdinfoEntry))),
      );
    }
    const mntNs = task.ids?.mnt_ns_id;
    if (mntNs !== undefined && !mountpoints.has(mntNs)) {
      const file = `mountpoints-${mntNs}.img`;
      mountpoints.set(
        mntNs,
        await guard(file, [], async () => (requireImage(cp, file), cp.entries(file, mntEntry))),
      );
    }
  }

  const files = await guard('files.img', new Map<number, FileEntry>(), () => loadFiles(cp, pstree.length));

  const tcpStreams = new Map<number, TcpStreamEntry>();
  for (const file of cp.imageFiles()) {
    const match = /^tcp-stream-([0-9a-f]+)\.img$/.exec(file);
    if (!match) continue;
    const [entry] = await entries(file, tcpStreamEntry);
    if (entry) tcpStreams.set(parseInt(match[1]!, 16), entry);
  }

  let stats: StatsEntry | undefined;
  if (cp.archive.has('stats-dump')) {
    stats = await guard(
      'stats-dump',
      undefined,
      async () => decodeEntries(await cp.archive.read('stats-dump'), 'stats-dump', statsEntry)[0],
    );
  }

  return {
    inventory,
    tasks,
    fdinfo,
    files,
    remaps: byKey(await entries('remap-fpath.img', remapFilePathEntry), (r) => r.orig_id),
    memfdInodes: await guard('memfd.img', new Map(), () => loadMemfdInodes(cp)),
    ttyInfo: byKey(await entries('tty-info.img', ttyInfoEntry), (t) => t.id),
    mountpoints,
    tcpStreams,
    skQueues: await entries('sk-queues.img', skPacketEntry),
    pipeData: await guard('pipes-data.img', new Map(), () => loadPipeData(cp, 'pipes-data.img')),
    fifoData: await guard('fifo-data.img', new Map(), () => loadPipeData(cp, 'fifo-data.img')),
    stats,
  };
}
