/**
 * What every memory view starts from: the decoded images it needs (memory-images.ts), each
 * process's memory reader and mappings, and the shared-memory objects (pagemap-shmem-<id>.img),
 * loaded once.
 */
import type { ProcessMemory } from '../../criu/memory.js';
import type { CheckpointImages } from '../checkpoint-images.js';
import { checkPid } from '../images.js';
import { processMappings, type MemoryMapping } from './mappings.js';
import { loadMemoryImages, type MemoryImages, type MemoryTask } from './memory-images.js';

export interface ProcessMemoryView {
  pid: number;
  comm: string;
  task: MemoryTask;
  /** Undefined for tasks without a pagemap (zombies, dead tasks). */
  memory: ProcessMemory | undefined;
  mappings: MemoryMapping[];
}

export interface MemoryContext {
  images: MemoryImages;
  /** Sorted by PID. */
  processes: ProcessMemoryView[];
  /** Shared memory objects by shmid; their "addresses" are offsets in the object. */
  shmem: Map<number, ProcessMemory>;
}

const SHMEM_PAGEMAP = /^pagemap-shmem-(\d+)\.img$/;

/** The reader's "pid" is the negated shmid: shared memory belongs to no process of its own. */
function loadShmem(cp: CheckpointImages, file: string, shmid: number): Promise<ProcessMemory | undefined> {
  return cp.memoryFromPagemap(file, -shmid);
}

async function loadAllShmem(cp: CheckpointImages): Promise<Map<number, ProcessMemory>> {
  const out = new Map<number, ProcessMemory>();
  for (const file of cp.imageFiles()) {
    const match = SHMEM_PAGEMAP.exec(file);
    if (!match) continue;
    const shmid = Number(match[1]);
    const memory = await loadShmem(cp, file, shmid);
    if (memory) out.set(shmid, memory);
  }
  return out;
}

/**
 * Loads the memory views; with `pid`, only that process (an unknown PID is the standard error).
 * `images`: already decoded ones (a DumpImages will do), else only what memory views need is
 * decoded. A truncated pages member fails here, naming the member (ProcessMemory checks its size).
 */
export async function loadMemoryContext(
  cp: CheckpointImages,
  options: { pid?: number; images?: MemoryImages } = {},
): Promise<MemoryContext> {
  const images = options.images ?? (await loadMemoryImages(cp, options.pid));
  checkPid(images, options.pid, cp.path);
  const shmem = await loadAllShmem(cp);
  const tasks = images.tasks
    .filter((t) => options.pid === undefined || t.pid === options.pid)
    .sort((a, b) => a.pid - b.pid);
  const processes: ProcessMemoryView[] = [];
  for (const task of tasks) {
    const memory = await cp.memory(task.pid);
    processes.push({
      pid: task.pid,
      comm: task.core?.tc?.comm ?? '',
      task,
      memory,
      mappings: processMappings(images, task, memory, (id) => shmem.get(id)),
    });
  }
  return { images, processes, shmem };
}

export function processView(context: MemoryContext, pid: number): ProcessMemoryView {
  const view = context.processes.find((p) => p.pid === pid);
  if (!view) throw new Error(`pid ${pid} not loaded`);
  return view;
}
