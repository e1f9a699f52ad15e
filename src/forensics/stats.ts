/** CRIU's dump statistics (stats-dump): how long the container was frozen and how much was written. */
import type { DumpImages } from './images.js';

export interface DumpStats {
  /** Microseconds spent freezing the cgroup. */
  freezingTimeUs: number;
  /** Microseconds the container stayed frozen (its downtime). */
  frozenTimeUs: number;
  memdumpTimeUs: number;
  memwriteTimeUs: number;
  pagesScanned: number;
  pagesSkippedParent: number;
  pagesWritten: number;
  pagesLazy: number;
}

export function dumpStats(images: DumpImages): DumpStats | undefined {
  const d = images.stats?.dump;
  if (!d) return undefined;
  return {
    freezingTimeUs: d.freezing_time ?? 0,
    frozenTimeUs: d.frozen_time ?? 0,
    memdumpTimeUs: d.memdump_time ?? 0,
    memwriteTimeUs: d.memwrite_time ?? 0,
    pagesScanned: Number(d.pages_scanned ?? 0n),
    pagesSkippedParent: Number(d.pages_skipped_parent ?? 0n),
    pagesWritten: Number(d.pages_written ?? 0n),
    pagesLazy: Number(d.pages_lazy ?? 0n),
  };
}
