import { f, message } from '../schema.js';

export const dumpStatsEntry = message('dump_stats_entry', {
  freezing_time: f.uint32(1),
  frozen_time: f.uint32(2),
  memdump_time: f.uint32(3),
  memwrite_time: f.uint32(4),
  pages_scanned: f.uint64(5),
  pages_skipped_parent: f.uint64(6),
  pages_written: f.uint64(7),
  irmap_resolve: f.uint32(8),
  pages_lazy: f.uint64(9),
  page_pipes: f.uint64(10),
  page_pipe_bufs: f.uint64(11),
  shpages_scanned: f.uint64(12),
  shpages_skipped_parent: f.uint64(13),
  shpages_written: f.uint64(14),
});

export const restoreStatsEntry = message('restore_stats_entry', {
  pages_compared: f.uint64(1),
  pages_skipped_cow: f.uint64(2),
  forking_time: f.uint32(3),
  restore_time: f.uint32(4),
  pages_restored: f.uint64(5),
});

export const statsEntry = message('stats_entry', {
  dump: f.message(1, dumpStatsEntry),
  restore: f.message(2, restoreStatsEntry),
});
