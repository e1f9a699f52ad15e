/**
 * A process's memory mappings (VMAs from mm-<pid>.img), named the way /proc/PID/maps names them,
 * with how many of their pages the dump holds. The pages of shared mappings (shared anonymous
 * memory and memfds) are not in the process's pagemap but in a shmem pagemap of their own.
 */
import type { ProcessMemory } from '../../criu/memory.js';
import type { MmEntry } from '../images.js';
import type { MemoryImages, MemoryTask } from './memory-images.js';

/** vma_entry.status bits (criu/include/image.h). */
export const VMA_STATUS = {
  REGULAR: 1 << 0,
  STACK: 1 << 1,
  VSYSCALL: 1 << 2,
  VDSO: 1 << 3,
  HEAP: 1 << 5,
  FILE_PRIVATE: 1 << 6,
  FILE_SHARED: 1 << 7,
  ANON_SHARED: 1 << 8,
  ANON_PRIVATE: 1 << 9,
  SYSVIPC: 1 << 10,
  SOCKET: 1 << 11,
  VVAR: 1 << 12,
  AIORING: 1 << 13,
  MEMFD: 1 << 14,
} as const;

const MAP_SHARED = 0x1;
const MAP_GROWSDOWN = 0x100;

export type MappingKind =
  | 'file'
  | 'heap'
  | 'stack'
  | 'vdso'
  | 'vvar'
  | 'vsyscall'
  | 'anonymous'
  | 'shared-anonymous'
  | 'memfd'
  | 'sysv-shm'
  | 'socket'
  | 'aio';

export interface MemoryMapping {
  start: bigint;
  end: bigint;
  /** `rwxp` / `rw-s`, as /proc/PID/maps prints them. */
  perms: string;
  /** File offset of the mapping (vma.pgoff, bytes). */
  offset: bigint;
  /** A path, `[heap]`, `[stack]`, `[vdso]`, `[vvar]`, `[vsyscall]`, or '' for anonymous memory. */
  name: string;
  kind: MappingKind;
  shared: boolean;
  /** Pages of the mapping whose contents are in the dump. */
  dumpedPages: number;
  totalPages: number;
  /** For shared memory: the shmem id whose pagemap (pagemap-shmem-<id>.img) holds its pages. */
  shmid?: number;
}

/** The shmem object behind a shared VMA: shared anonymous memory by shmid, memfds through memfd.img. */
export function sharedObjectId(images: MemoryImages, vma: VmaEntry): number | undefined {
  const status = vma.status ?? 0;
  if (status & VMA_STATUS.MEMFD) {
    const file = images.files.get(Number(vma.shmid ?? 0n));
    const inode = images.memfdInodes.get(file?.memfd?.inode_id ?? -1);
    return inode?.shmid;
  }
  if (status & (VMA_STATUS.ANON_SHARED | VMA_STATUS.SYSVIPC)) return Number(vma.shmid ?? 0n);
  return undefined;
}

export type VmaEntry = NonNullable<MmEntry['vmas']>[number];

function permsOf(vma: VmaEntry): string {
  const prot = vma.prot ?? 0;
  return (
    (prot & 1 ? 'r' : '-') +
    (prot & 2 ? 'w' : '-') +
    (prot & 4 ? 'x' : '-') +
    ((vma.flags ?? 0) & MAP_SHARED ? 's' : 'p')
  );
}

function memfdName(images: MemoryImages, vma: VmaEntry): { name: string; kind: MappingKind } {
  const file = images.files.get(Number(vma.shmid ?? 0n));
  const inode = images.memfdInodes.get(file?.memfd?.inode_id ?? -1);
  const name = inode?.name ?? '';
  // CRIU dumps MAP_SHARED|MAP_ANONYMOUS memory as a memfd named /dev/zero; /proc calls it that too.
  if (name === '/dev/zero') return { name: '/dev/zero (deleted)', kind: 'shared-anonymous' };
  return { name: `/memfd:${name} (deleted)`, kind: 'memfd' };
}

function nameOf(images: MemoryImages, mm: MmEntry, vma: VmaEntry): { name: string; kind: MappingKind } {
  const status = vma.status ?? 0;
  const start = vma.start ?? 0n;
  const end = vma.end ?? 0n;
  if (status & VMA_STATUS.VSYSCALL) return { name: '[vsyscall]', kind: 'vsyscall' };
  if (status & VMA_STATUS.VDSO) return { name: '[vdso]', kind: 'vdso' };
  if (status & VMA_STATUS.VVAR) return { name: '[vvar]', kind: 'vvar' };
  if (status & VMA_STATUS.HEAP) return { name: '[heap]', kind: 'heap' };
  if (status & VMA_STATUS.MEMFD) return memfdName(images, vma);
  if (status & (VMA_STATUS.FILE_PRIVATE | VMA_STATUS.FILE_SHARED)) {
    // For file mappings vma.shmid is the files.img id of the mapped REG file.
    const name = images.files.get(Number(vma.shmid ?? 0n))?.reg?.name;
    return { name: name ?? `<file ${vma.shmid ?? 0n}>`, kind: 'file' };
  }
  if (status & VMA_STATUS.SYSVIPC) return { name: `/SYSV (shmid ${vma.shmid ?? 0n})`, kind: 'sysv-shm' };
  if (status & VMA_STATUS.ANON_SHARED) return { name: '/dev/zero (deleted)', kind: 'shared-anonymous' };
  if (status & VMA_STATUS.AIORING) return { name: '[aio]', kind: 'aio' };
  if (status & VMA_STATUS.SOCKET) return { name: '[socket]', kind: 'socket' };
  // The kernel names [stack] the VMA holding mm->start_stack; thread stacks stay anonymous.
  const stack = mm.mm_start_stack;
  if (
    (stack !== undefined && stack >= start && stack < end) ||
    status & VMA_STATUS.STACK ||
    (vma.flags ?? 0) & MAP_GROWSDOWN
  ) {
    return { name: '[stack]', kind: 'stack' };
  }
  return { name: '', kind: 'anonymous' };
}

/** Dumped pages of [start, end) in a pagemap (runs sorted by address; only PRESENT runs count). */
export function presentPagesIn(memory: ProcessMemory | undefined, start: bigint, end: bigint): number {
  if (!memory) return 0;
  const size = BigInt(memory.pageSize);
  let pages = 0;
  for (let i = memory.firstRunEndingAfter(start); i < memory.runs.length; i++) {
    const run = memory.runs[i]!;
    if (run.vaddr >= end) break;
    if (run.fileOffset === null) continue;
    const runEnd = memory.runEnd(run);
    // A run inside the range, the common case (thousands per process), counts whole.
    if (run.vaddr >= start && runEnd <= end) {
      pages += run.pages;
      continue;
    }
    const from = run.vaddr > start ? run.vaddr : start;
    const to = runEnd < end ? runEnd : end;
    if (to > from) pages += Number((to - from) / size);
  }
  return pages;
}

/** Loads pagemap-shmem-<id>.img on demand; see shmem.ts. */
export type ShmemLookup = (shmid: number) => ProcessMemory | undefined;

export function processMappings(
  images: MemoryImages,
  task: MemoryTask,
  memory: ProcessMemory | undefined,
  shmem: ShmemLookup = () => undefined,
): MemoryMapping[] {
  const mm = task.mm;
  if (!mm) return [];
  const pageSize = BigInt(memory?.pageSize ?? 4096);
  const vmas = [...(mm.vmas ?? [])].sort((a, b) => compareBig(a.start ?? 0n, b.start ?? 0n));
  return vmas.map((vma) => {
    const start = vma.start ?? 0n;
    const end = vma.end ?? start;
    const offset = vma.pgoff ?? 0n;
    const { name, kind } = nameOf(images, mm, vma);
    const shmid = sharedObjectId(images, vma);
    const shared = ((vma.flags ?? 0) & MAP_SHARED) !== 0;
    // Shared memory lives in the shmem pagemap, addressed by offset in the object (pgoff-based).
    const dumpedPages =
      shmid !== undefined && shared
        ? presentPagesIn(shmem(shmid), offset, offset + (end - start))
        : presentPagesIn(memory, start, end);
    const mapping: MemoryMapping = {
      start,
      end,
      perms: permsOf(vma),
      offset,
      name,
      kind,
      shared,
      dumpedPages,
      totalPages: Number((end - start) / pageSize),
    };
    if (shmid !== undefined) mapping.shmid = shmid;
    return mapping;
  });
}

export const compareBig = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** The mapping containing `addr` (binary search: VMAs are sorted and disjoint), or undefined. */
export function mappingAt(mappings: readonly MemoryMapping[], addr: bigint): MemoryMapping | undefined {
  let lo = 0;
  let hi = mappings.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = mappings[mid]!;
    if (addr < m.start) hi = mid - 1;
    else if (addr >= m.end) lo = mid + 1;
    else return m;
  }
  return undefined;
}

const hex = (v: bigint) => '0x' + v.toString(16);

/** A mapping as JSON carries it (`kcr mem maps -o json`, the dashboard): addresses as 0x hex. */
export function mappingJson(m: MemoryMapping) {
  return {
    start: hex(m.start),
    end: hex(m.end),
    perms: m.perms,
    offset: hex(m.offset),
    name: m.name,
    kind: m.kind,
    dumpedPages: m.dumpedPages,
    totalPages: m.totalPages,
    ...(m.shmid !== undefined ? { shmid: m.shmid } : {}),
  };
}
