/** Renderings of backups, stores and sync results; `-o json` prints the records as stored. */
import type { BackupRow, ChainReport, StoreEntry, StoreRow } from '../../backup/index.js';
import { formatBytes } from '../../util/units.js';
import { toJson, toYaml } from './format.js';
import { renderTable } from './table.js';

export const LIST_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

/** `2026-12-06T02:27:00.000Z` → `2026-12-06 02:27:00Z`: shorter, and still unambiguous UTC. */
function shortTime(iso: string | undefined): string | undefined {
  return iso?.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function renderBackups(rows: readonly BackupRow[], format: ListFormat): string {
  if (format === 'json') return toJson(rows);
  if (format === 'yaml') return toYaml(rows);
  return renderTable(
    rows,
    [
      { header: 'ID', value: (r) => r.id },
      { header: 'NAMESPACE', value: (r) => r.namespace },
      { header: 'POD', value: (r) => r.pod },
      { header: 'CONTAINER', value: (r) => r.container },
      { header: 'CREATED', value: (r) => shortTime(r.createdAt) },
      { header: 'SIZE', value: (r) => formatBytes(r.size), align: 'right' },
      { header: 'STORE', value: (r) => r.store },
      {
        header: 'FLAGS',
        value: (r) =>
          [r.pinned ? 'pinned' : '', r.encrypted ? 'encrypted' : '', r.kind === 'Tombstone' ? 'removed' : '']
            .filter(Boolean)
            .join(','),
      },
      { header: 'NODE', value: (r) => r.node, wide: true },
      { header: 'IMAGE', value: (r) => r.image, wide: true },
      { header: 'ENGINE', value: (r) => r.engine, wide: true },
      { header: 'CHECKPOINTED', value: (r) => shortTime(r.checkpointedAt), wide: true },
      { header: 'SHA256', value: (r) => r.sha256, wide: true },
      { header: 'LABELS', value: (r) => labelText(r.labels), wide: true },
    ],
    format === 'wide',
  );
}

export function renderStores(rows: readonly StoreRow[], format: ListFormat): string {
  if (format === 'json') return toJson(rows);
  if (format === 'yaml') return toYaml(rows);
  return renderTable(
    rows,
    [
      { header: 'NAME', value: (r) => r.name },
      { header: 'URL', value: (r) => r.url },
      { header: 'ADDED', value: (r) => shortTime(r.addedAt) },
      {
        header: 'OPTIONS',
        value: (r) =>
          Object.entries(r.options)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(','),
        wide: true,
      },
    ],
    format === 'wide',
  );
}

export function chainReportLines(report: ChainReport): string[] {
  return report.problems.map((p) => `chain ${p.chain}: ${p.kind}: ${p.message}`);
}

/** One backup as stored, with the store it is in: the `-o json|yaml` of `kcr backup` and `backup get`. */
export function renderRecord(store: string, entry: StoreEntry, format: 'json' | 'yaml'): string {
  const value = { store, ...entry };
  return format === 'json' ? toJson(value) : toYaml(value);
}
