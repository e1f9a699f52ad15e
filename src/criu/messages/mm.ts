import { f, message } from '../schema.js';

export const vmaEntry = message('vma_entry', {
  start: f.uint64(1),
  end: f.uint64(2),
  pgoff: f.uint64(3),
  shmid: f.uint64(4),
  prot: f.uint32(5),
  flags: f.uint32(6),
  status: f.uint32(7),
  fd: f.sint64(8),
  madv: f.uint64(9),
  fdflags: f.uint32(10),
});

export const aioRingEntry = message('aio_ring_entry', {
  id: f.uint64(1),
  nr_req: f.uint32(2),
  ring_len: f.uint32(3),
});

export const mmEntry = message('mm_entry', {
  mm_start_code: f.uint64(1),
  mm_end_code: f.uint64(2),
  mm_start_data: f.uint64(3),
  mm_end_data: f.uint64(4),
  mm_start_stack: f.uint64(5),
  mm_start_brk: f.uint64(6),
  mm_brk: f.uint64(7),
  mm_arg_start: f.uint64(8),
  mm_arg_end: f.uint64(9),
  mm_env_start: f.uint64(10),
  mm_env_end: f.uint64(11),
  exe_file_id: f.uint32(12),
  mm_saved_auxv: f.uint64(13, 'repeated'),
  vmas: f.message(14, vmaEntry, 'repeated'),
  dumpable: f.int32(15),
  aios: f.message(16, aioRingEntry, 'repeated'),
  thp_disabled: f.bool(17),
});

export const pagemapHead = message('pagemap_head', {
  pages_id: f.uint32(1),
});

export const pagemapEntry = message('pagemap_entry', {
  vaddr: f.uint64(1),
  // CRIU 4.2 renamed field 2 (crit 3.17 still calls it nr_pages) and moved the count to field 5;
  // writers >= 4.2 leave field 2 at 0. Read both (see pagemap.ts).
  compat_nr_pages: f.uint32(2),
  in_parent: f.bool(3),
  flags: f.uint32(4),
  nr_pages: f.uint64(5),
});
