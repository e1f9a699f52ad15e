/**
 * Renderings of the memory views. In JSON, addresses are `0x…` strings: they exceed 2^53 and
 * analysts compare them with /proc/PID/maps, which prints hex (docs/memory-forensics.md).
 */
import type { HitCount, MemoryHit, MemorySearchResult } from '../../forensics/memory/search.js';
import type { MemoryMapping } from '../../forensics/memory/mappings.js';
import type { ProcessMemorySummary } from '../../forensics/memory/summary.js';
import { formatBytes } from '../../util/units.js';
import { printable } from '../../forensics/memory/hexdump.js';
import { renderTable } from './table.js';

const hex = (v: bigint) => '0x' + v.toString(16);
const bare = (v: bigint) => v.toString(16);

export function summaryTable(rows: ProcessMemorySummary[], wide: boolean): string {
  return renderTable(
    rows,
    [
      { header: 'PID', value: (r) => r.pid, align: 'right' },
      { header: 'COMMAND', value: (r) => r.comm },
      { header: 'RESIDENT', value: (r) => formatBytes(r.dumpedBytes), align: 'right' },
      { header: 'SHARED', value: (r) => formatBytes(r.sharedBytes), align: 'right' },
      { header: 'SHARED DUMPED', value: (r) => formatBytes(r.sharedDumpedBytes), align: 'right', wide: true },
      { header: 'VMAS', value: (r) => r.vmaCount, align: 'right' },
      { header: 'PAGES MEMBER', value: (r) => r.pagesMember, wide: true },
    ],
    wide,
  );
}

export { mappingJson } from '../../forensics/memory/mappings.js';

/** Like /proc/PID/maps, with the dumped/total pages instead of device and inode. */
export function mapsText(mappings: MemoryMapping[], width?: number): string {
  return renderTable(
    mappings,
    [
      { header: 'ADDRESS', value: (m) => `${bare(m.start)}-${bare(m.end)}` },
      { header: 'PERMS', value: (m) => m.perms },
      { header: 'OFFSET', value: (m) => m.offset.toString(16).padStart(8, '0') },
      { header: 'DUMPED', value: (m) => `${m.dumpedPages}/${m.totalPages}`, align: 'right' },
      { header: 'NAME', value: (m) => m.name || ' ', shrink: true },
    ],
    { width },
  );
}

function mappingLabel(h: MemoryHit): string {
  const m = h.mapping;
  if (!m) return '(no mapping)';
  return `${bare(m.start)}-${bare(m.end)} ${m.perms} ${m.name || '(anonymous)'}`;
}

export function hitJson(h: MemoryHit) {
  return {
    pid: h.pid,
    command: h.comm,
    address: hex(h.address),
    length: h.length,
    mapping: h.mapping
      ? {
          start: hex(h.mapping.start),
          end: hex(h.mapping.end),
          perms: h.mapping.perms,
          offset: hex(h.mapping.offset),
          name: h.mapping.name,
          kind: h.mapping.kind,
        }
      : null,
    offsetInMapping: h.mapping ? hex(h.address - h.mapping.start) : null,
    match: printable(h.match),
    matchHex: h.match.toString('hex'),
    before: printable(h.before),
    after: printable(h.after),
    member: h.member,
    memberOffset: h.memberOffset,
  };
}

export function searchJson(result: MemorySearchResult, pattern: string) {
  return {
    pattern,
    scannedBytes: result.scannedBytes,
    limited: result.limited,
    counts: result.counts,
    hits: result.hits.map(hitJson),
  };
}

/** The match itself is never cut (it is what was asked for); the mapping loses its middle. */
export function hitsTable(hits: MemoryHit[], withContext: boolean, width?: number): string {
  return renderTable(
    hits,
    [
      { header: 'PID', value: (h) => h.pid, align: 'right' },
      { header: 'COMMAND', value: (h) => h.comm },
      { header: 'ADDRESS', value: (h) => hex(h.address) },
      // With context the match is what was asked for: on a narrow terminal the mapping goes (JSON
      // keeps it) rather than shrink to a few useless characters.
      { header: 'MAPPING', value: mappingLabel, shrink: true, optional: withContext },
      {
        header: withContext ? 'MATCH (WITH CONTEXT)' : 'MATCH',
        value: (h) =>
          withContext
            ? `${printable(h.before)}[${printable(h.match)}]${printable(h.after)}`
            : printable(h.match),
      },
    ],
    { width },
  );
}

export function countTable(counts: HitCount[]): string {
  return renderTable(counts, [
    { header: 'PID', value: (r) => r.pid, align: 'right' },
    { header: 'COMMAND', value: (r) => r.comm },
    { header: 'HITS', value: (r) => r.hits, align: 'right' },
  ]);
}
