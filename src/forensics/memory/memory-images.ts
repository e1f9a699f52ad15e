/**
 * The part of a dump that memory views read, decoded alone: pstree.img for the processes, each
 * one's mm-<pid>.img (its mappings) and main-thread core (its name), and files.img and memfd.img
 * only when a mapping is named by them. A memory search thus decodes a handful of images, not
 * every thread's core, fdinfo, socket and mount. It is strict as loadDumpImages is for these: a
 * missing or damaged image fails the load, naming it; images it does not read cannot fail it.
 */
import { coreEntry, pstreeEntry } from '../../criu/messages/core.js';
import { f, message, type DecodedOf, type FieldMap, type MessageSpec } from '../../criu/schema.js';
import type { CheckpointImages } from '../checkpoint-images.js';
import { mmEntry } from '../../criu/messages/mm.js';
import {
  checkPid,
  isZombie,
  loadFiles,
  loadMemfdInodes,
  requireImage,
  type FileEntry,
  type MemfdInodeEntry,
  type MmEntry,
} from '../images.js';
import { VMA_STATUS } from './mappings.js';

/**
 * What memory views read of a main thread's core-<pid>.img: its name. The core also holds the
 * registers, signal handlers and limits, which a memory search would otherwise decode for nothing.
 */
export const coreName = message('core_entry', {
  tc: f.message(3, message('task_core_entry', { comm: f.string(6) })),
});
export type CoreName = DecodedOf<typeof coreName>;

/** A process as memory views see it (a TaskImages of loadDumpImages is one too). */
export interface MemoryTask {
  pid: number;
  zombie: boolean;
  /** Core of the main thread: its name (`tc.comm`). */
  core?: CoreName;
  /** Its mappings; absent for zombies. */
  mm?: MmEntry;
}

/** What memory views read of the dump (a DumpImages is one too). */
export interface MemoryImages {
  tasks: MemoryTask[];
  files: Map<number, FileEntry>;
  memfdInodes: Map<number, MemfdInodeEntry>;
}

/** The first entry of an image CRIU writes for every live task: missing is a gap in the dump. */
async function required<F extends FieldMap>(cp: CheckpointImages, file: string, spec: MessageSpec<F>) {
  requireImage(cp, file);
  return (await cp.entries(file, spec))[0];
}

/** A task's name from its core, decoding nothing else of it. */
async function requiredName(cp: CheckpointImages, pid: number): Promise<CoreName | undefined> {
  const file = `core-${pid}.img`;
  requireImage(cp, file);
  return (await cp.projectedEntries(file, coreEntry, coreName))[0];
}

/** Loads the images memory views need, of every process or of `pid` alone (checked against pstree.img). */
export async function loadMemoryImages(cp: CheckpointImages, pid?: number): Promise<MemoryImages> {
  const pstree = await cp.requiredEntries('pstree.img', pstreeEntry);
  checkPid({ tasks: pstree.map((e) => ({ pid: e.pid ?? 0 })) }, pid, cp.path);
  const tasks: MemoryTask[] = [];
  for (const entry of pstree) {
    const taskPid = entry.pid ?? 0;
    if (pid !== undefined && taskPid !== pid) continue;
    const zombie = isZombie(entry);
    const core = await requiredName(cp, taskPid);
    const mm = zombie ? undefined : await required(cp, `mm-${taskPid}.img`, mmEntry);
    tasks.push({ pid: taskPid, zombie, ...(core ? { core } : {}), ...(mm ? { mm } : {}) });
  }
  // Which mappings are named through the file objects: files (by path) and memfds (by inode).
  let status = 0;
  for (const task of tasks) for (const vma of task.mm?.vmas ?? []) status |= vma.status ?? 0;
  const byFile = VMA_STATUS.FILE_PRIVATE | VMA_STATUS.FILE_SHARED | VMA_STATUS.MEMFD;
  return {
    tasks,
    files: status & byFile ? await loadFiles(cp, pstree.length) : new Map(),
    memfdInodes: status & VMA_STATUS.MEMFD ? await loadMemfdInodes(cp) : new Map(),
  };
}
