/**
 * Renderings of backups, stores and sync results. `-o json|yaml` of every command that makes or
 * lists backups (`kcr backup ARCHIVE|POD|podcheckpoint/NAME`, `kcr backups`) is one shape: a list
 * of catalog rows (BackupRow), even for one backup; `kcr backup get ID` prints one whole record.
 */
import type {
  BackupRow,
  ChainReport,
  RowsShape,
  StoreEntry,
  StoreRow,
  TextField,
} from '../../backup/index.js';
import { stringifyJson } from '../../util/json.js';
import { formatBytes } from '../../util/units.js';
import { escapeJsonText } from './escape.js';
import { toJson, toYaml } from './format.js';
import { renderTable, streamedTable, type Column } from './table.js';

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

/** The most a formatted size takes (`1023 MiB`, `9.99 GiB`): formatBytes keeps three digits. */
const SIZE_WIDTH = 8;
/** `2026-12-06 02:27:00Z` */
const TIME_WIDTH = 20;
const NONE_WIDTH = '<none>'.length;

function flagsText(r: BackupRow): string {
  return [r.pinned ? 'pinned' : '', r.encrypted ? 'encrypted' : '', r.kind === 'Tombstone' ? 'removed' : '']
    .filter(Boolean)
    .join(',');
}

/** A column of `kcr backups`, with the width it needs for rows of a given shape (streamed tables). */
interface BackupColumn extends Column<BackupRow> {
  width: (shape: RowsShape) => number;
}

const text =
  (field: TextField) =>
  (shape: RowsShape): number =>
    Math.max(shape.longest[field], shape.missing[field] ? NONE_WIDTH : 0);

const BACKUP_COLUMNS: readonly BackupColumn[] = [
  { header: 'ID', value: (r) => r.id, width: text('id') },
  // On a narrow terminal: names lose their middle, and FLAGS, STORE, then CREATED (which the id's
  // own UTC time repeats) are left out as needed; the id a user copies next is never cut. -o wide
  // shows every column whole.
  { header: 'NAMESPACE', value: (r) => r.namespace, width: text('namespace'), shrink: true, minWidth: 9 },
  { header: 'POD', value: (r) => r.pod, width: text('pod'), shrink: true },
  { header: 'CONTAINER', value: (r) => r.container, width: text('container'), shrink: true, minWidth: 9 },
  { header: 'CREATED', value: (r) => shortTime(r.createdAt), width: () => TIME_WIDTH, optional: true },
  { header: 'SIZE', value: (r) => formatBytes(r.size), align: 'right', width: () => SIZE_WIDTH },
  { header: 'STORE', value: (r) => r.store, width: text('store'), optional: true },
  {
    header: 'FLAGS',
    value: flagsText,
    optional: true,
    // The longest the flags present could make; rows with none show <none>.
    width: (s) =>
      Math.max(
        NONE_WIDTH,
        [s.pinned && 'pinned', s.encrypted && 'encrypted', s.removed && 'removed'].filter(Boolean).join(',')
          .length,
      ),
  },
  { header: 'NODE', value: (r) => r.node, wide: true, width: text('node') },
  { header: 'IMAGE', value: (r) => r.image, wide: true, width: text('image') },
  { header: 'ENGINE', value: (r) => r.engine, wide: true, width: text('engine') },
  {
    header: 'CHECKPOINTED',
    value: (r) => shortTime(r.checkpointedAt),
    wide: true,
    width: (s) =>
      Math.max(s.longest.checkpointedAt > 0 ? TIME_WIDTH : 0, s.missing.checkpointedAt ? NONE_WIDTH : 0),
  },
  { header: 'SHA256', value: (r) => r.sha256, wide: true, width: () => 64 },
  // The last column is never padded.
  { header: 'LABELS', value: (r) => labelText(r.labels), wide: true, width: () => 0 },
];

/** `width`: the terminal's (tableWidth), so the table fits it; undefined off a terminal. */
export function renderBackups(rows: readonly BackupRow[], format: ListFormat, width?: number): string {
  if (format === 'json') return toJson(rows);
  if (format === 'yaml') return toYaml(rows);
  return renderTable(rows, BACKUP_COLUMNS, {
    wide: format === 'wide',
    ...(format === 'table' ? { width } : {}),
  });
}

/** Where a streamed listing goes: stdout, written in large pieces. */
interface Sink {
  write(chunk: string): unknown;
}

/** Lines gathered into pieces of about this many characters: one write each, not one per row. */
const PIECE = 64 * 1024;

/**
 * `kcr backups` as a stream: the rows are rendered as they come from the catalog and written in
 * large pieces, so 100,000 backups never sit in memory as objects or as one string. The output is
 * the same as renderBackups' for json and yaml; a table's columns are as wide as `shape` says the
 * rows need. Returns how many rows were written.
 */
export function writeBackups(
  listing: { shape: RowsShape; rows: Iterable<BackupRow> },
  format: ListFormat,
  out: Sink,
  width?: number,
): number {
  let piece = '';
  let count = 0;
  const emit = (text: string) => {
    piece += text;
    if (piece.length >= PIECE) {
      out.write(piece);
      piece = '';
    }
  };
  if (format === 'json') {
    for (const row of listing.rows) emit(`${count++ === 0 ? '[\n  ' : ',\n  '}${jsonItem(row)}`);
    emit(count === 0 ? '[]\n' : '\n]\n');
  } else if (format === 'yaml') {
    for (const row of listing.rows) {
      emit(toYaml([row]));
      count++;
    }
    if (count === 0) emit('[]\n');
  } else {
    const table = streamedTable<BackupRow, BackupColumn>(
      BACKUP_COLUMNS,
      (c) => c.width(listing.shape),
      format === 'wide' ? { wide: true } : { width },
    );
    for (const row of listing.rows) emit(`${count++ === 0 ? `${table.header}\n` : ''}${table.line(row)}\n`);
  }
  if (piece) out.write(piece);
  return count;
}

/** One row as an element of toJson's array: the same text, indented one level. */
function jsonItem(row: BackupRow): string {
  return escapeJsonText(stringifyJson(row, 2).replaceAll('\n', '\n  '));
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

/**
 * One backup's whole record as stored, with the store it is in: `kcr backup get ID -o json|yaml`.
 * Commands that make backups print rows (renderBackups), as `kcr backups` does.
 */
export function renderRecord(store: string, entry: StoreEntry, format: 'json' | 'yaml'): string {
  const value = { store, ...entry };
  return format === 'json' ? toJson(value) : toYaml(value);
}
