/** `kcr mem`: one row per process, what checkpointctl memparse shows, plus the VMA count. */
import type { MemoryContext } from './context.js';

export interface ProcessMemorySummary {
  pid: number;
  comm: string;
  /** Bytes of the process's own pages in the dump (its resident, private memory). */
  dumpedBytes: number;
  /** Total size of its MAP_SHARED mappings (checkpointctl's "shared size"). */
  sharedBytes: number;
  /** Bytes of shared memory (memfd, shared anonymous) whose pages are in the dump. */
  sharedDumpedBytes: number;
  vmaCount: number;
  /** The pages member holding its memory, e.g. `checkpoint/pages-2.img`. */
  pagesMember?: string;
  /** The pages member is missing or cut short: the sizes above hold (they come from the pagemap), the bytes cannot be read. */
  pagesProblem?: string;
  pageSize: number;
}

export function memorySummary(context: MemoryContext): ProcessMemorySummary[] {
  return context.processes.map(({ pid, comm, memory, mappings }) => {
    const pageSize = memory?.pageSize ?? 4096;
    let sharedBytes = 0n;
    let sharedDumpedPages = 0;
    for (const m of mappings) {
      if (!m.shared) continue;
      sharedBytes += m.end - m.start;
      sharedDumpedPages += m.dumpedPages;
    }
    const summary: ProcessMemorySummary = {
      pid,
      comm,
      dumpedBytes: memory?.dumpedBytes ?? 0,
      sharedBytes: Number(sharedBytes),
      sharedDumpedBytes: sharedDumpedPages * pageSize,
      vmaCount: mappings.length,
      pageSize,
    };
    if (memory?.pages) summary.pagesMember = memory.pages.name;
    if (memory?.pagesProblem) summary.pagesProblem = memory.pagesProblem.message;
    return summary;
  });
}
