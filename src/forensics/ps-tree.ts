/** The process tree: one record per task in pstree.img, with state, threads and credentials. */
import type { DumpImages, TaskImages } from './images.js';

/**
 * Task states from compel's task-state.h (pycriu's display table swaps 3 and 6; this does not).
 * CRIU writes a zombie as TASK_DEAD (2): it never dumps a task that is gone, so 2 is a zombie.
 */
const TASK_STATES: Record<number, string> = { 1: 'alive', 2: 'zombie', 3: 'stopped', 6: 'zombie' };

export interface ThreadInfo {
  tid: number;
  comm: string;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  comm: string;
  state: string;
  exitCode?: number;
  uid?: number;
  gid?: number;
  euid?: number;
  threads: ThreadInfo[];
  /** Executable path (mm.exe_file_id resolved in files.img). */
  exe?: string;
}

export function taskState(value: number | undefined): string {
  if (value === undefined) return 'unknown';
  return TASK_STATES[value] ?? `unknown(${value})`;
}

export function exePath(images: DumpImages, task: TaskImages): string | undefined {
  const id = task.mm?.exe_file_id;
  return id === undefined ? undefined : images.files.get(id)?.reg?.name;
}

export function processInfo(images: DumpImages, task: TaskImages): ProcessInfo {
  const tc = task.core?.tc;
  const creds = task.core?.thread_core?.creds;
  const comm = tc?.comm ?? '';
  const state = taskState(tc?.task_state);
  const info: ProcessInfo = {
    pid: task.pid,
    ppid: task.ppid,
    pgid: task.pgid,
    sid: task.sid,
    comm,
    state,
    threads: task.threads.map((tid) => ({
      tid,
      // Per-thread names live in thread_core.comm; older dumps only have the task's comm.
      comm: task.threadCores.get(tid)?.thread_core?.comm ?? comm,
    })),
  };
  if (state === 'zombie') info.exitCode = tc?.exit_code ?? 0;
  if (creds?.uid !== undefined) info.uid = creds.uid;
  if (creds?.gid !== undefined) info.gid = creds.gid;
  if (creds?.euid !== undefined) info.euid = creds.euid;
  const exe = exePath(images, task);
  if (exe !== undefined) info.exe = exe;
  return info;
}

/** All processes, sorted by PID (children order is not defined by CRIU). */
export function processTree(images: DumpImages): ProcessInfo[] {
  return images.tasks.map((task) => processInfo(images, task)).sort((a, b) => a.pid - b.pid);
}
